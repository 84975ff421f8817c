/**
 * forLoop, scan, whileLoop and cond: eager and jitted agree, states are carried from
 * step to step, the body is traced once whatever the number of steps, nothing leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { expectTensorClose, expectThrowsWith } from '../helpers';

const T = bst.transform;

function lifLike(v: bst.HiddenState, w: bst.ParamState) {
  return (i: tf.Tensor): tf.Tensor => {
    const next = tf.add(tf.mul(v.value, w.value), i);
    const spike = tf.greaterEqual(next, 1);
    v.value = tf.where(spike, tf.zerosLike(next), next);
    return spike;
  };
}

describe('forLoop', () => {
  it('eager and jitted agree; states carry across steps; traced once for any number of steps', () => {
    const inputs = tf.tidy(() => tf.mul(tf.add(tf.range(0, 200 * 8).reshape([200, 8]), 1), 0.003));
    const vE = new bst.HiddenState(tf.zeros([8]));
    const vJ = new bst.HiddenState(tf.zeros([8]));
    const w = new bst.ParamState(tf.scalar(0.9));
    const eager = T.forLoop(lifLike(vE, w), inputs) as tf.Tensor;
    const sim = T.jit((x: tf.Tensor) => T.forLoop(lifLike(vJ, w), x));
    const jitted = sim(inputs) as tf.Tensor;
    expect(jitted.shape).to.deep.equal([200, 8]);
    expect(jitted.dtype).to.equal('bool');
    expectTensorClose(jitted, eager, 0);
    expectTensorClose(vJ.value, vE.value, 1e-6);
    expect(tf.sum(tf.cast(eager, 'int32')).dataSync()[0]).to.be.greaterThan(0); // some spikes happened
    // A second call replays the one compiled loop from the carried state.
    T.forLoop(lifLike(vE, w), inputs);
    expectTensorClose(sim(inputs) as tf.Tensor, T.forLoop(lifLike(new bst.HiddenState(vJ.value.clone()), w), inputs) as tf.Tensor, 0);
    expect(sim.traceCount).to.equal(1);
    expect(sim.lower(inputs).toString()).to.contain('Scan{length=200');
  });

  it('loops over several xs trees, returns trees, and takes { pbar } with a custom reporter', () => {
    const ticks: string[] = [];
    const reporter = { every: 2, tick: (s: number, n: number) => { ticks.push(`${s}/${n}`); } };
    const f = (a: tf.Tensor, b: tf.Tensor) => T.forLoop((x: tf.Tensor, y: tf.Tensor) => ({ s: tf.add(x, y), p: [tf.mul(x, y)] }),
      a, b, { pbar: reporter }) as { s: tf.Tensor; p: tf.Tensor[] };
    const a = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const b = tf.tensor2d([[1, 1], [2, 2], [3, 3]]);
    const eager = f(a, b);
    expect(ticks).to.deep.equal(['2/3', '3/3']);
    const jf = T.jit(f);
    const jitted = jf(a, b);
    expectTensorClose(jitted.s, eager.s, 0);
    expectTensorClose(jitted.p[0], [[1, 2], [6, 8], [15, 18]]);
    jf(a, b);
    expect(ticks).to.deep.equal(['2/3', '3/3', '2/3', '3/3', '2/3', '3/3']); // eager, traced call, replay
    // A trace whose results are discarded (lower, here of a new signature) reports no steps.
    T.jit(f).lower(a, b);
    expect(ticks).to.have.length(6);
  });

  it('a value computed in the jitted function and captured by the body follows the inputs', () => {
    const f = T.jit((x: tf.Tensor, k: tf.Tensor) => {
      const scale = tf.mul(k, 2);
      return T.forLoop((row: tf.Tensor) => tf.mul(row, scale), x);
    });
    const x = tf.ones([3, 2]);
    expectTensorClose(f(x, tf.scalar(1)) as tf.Tensor, [[2, 2], [2, 2], [2, 2]]);
    expectTensorClose(f(x, tf.scalar(5)) as tf.Tensor, [[10, 10], [10, 10], [10, 10]]);
    expect(f.traceCount).to.equal(1);
  });

  it('nested loops compile into nested programs', () => {
    const acc = new bst.HiddenState(tf.scalar(0));
    const body = (m: tf.Tensor) => T.forLoop((row: tf.Tensor) => T.forLoop((x: tf.Tensor) => {
      acc.value = tf.add(acc.value, x);
      return acc.value;
    }, row), m);
    const m = tf.tensor2d([[1, 2], [3, 4]]);
    const eager = body(m) as tf.Tensor;
    const eagerAcc = acc.value.dataSync()[0];
    acc.value = tf.scalar(0);
    const jitted = T.jit(body)(m) as tf.Tensor;
    expectTensorClose(jitted, eager, 0);
    expect(acc.value.dataSync()[0]).to.equal(eagerAcc);
    expect(eagerAcc).to.equal(10);
    expect(jitted.shape).to.deep.equal([2, 2]);
  });

  it('under a gradient (eager or inside jit) the loop unrolls on the tape and differentiates', () => {
    const f = (w: tf.Tensor) => tf.sum(T.forLoop((x: tf.Tensor) => tf.mul(tf.sin(x), w), tf.tensor1d([0.5, 1, 2])) as tf.Tensor);
    const eager = tf.grad(f)(tf.scalar(1.5));
    const jitted = T.jit((w: tf.Tensor) => tf.grad(f)(w))(tf.scalar(1.5));
    expectTensorClose(eager, [Math.sin(0.5) + Math.sin(1) + Math.sin(2)], 1e-5);
    expectTensorClose(jitted, eager, 1e-6);
  });

  it('1,000 jitted loop calls leave numTensors flat', function () {
    this.timeout(60000);
    const v = new bst.HiddenState(tf.zeros([4]));
    const w = new bst.ParamState(tf.scalar(0.5));
    const sim = T.jit((x: tf.Tensor) => T.forLoop(lifLike(v, w), x));
    const x = tf.fill([10, 4], 0.4);
    (sim(x) as tf.Tensor).dispose();
    const before = tf.memory();
    for (let i = 0; i < 1000; i++) (sim(x) as tf.Tensor).dispose();
    expect(tf.memory().numTensors).to.equal(before.numTensors);
    expect(tf.memory().numBytes).to.equal(before.numBytes);
  });
});

describe('scan', () => {
  const cumsum = (acc: tf.Tensor, x: tf.Tensor): [tf.Tensor, tf.Tensor] => { const s = tf.add(acc, x); return [s, s]; };

  it('returns the final carry and the stacked ys, eagerly and jitted', () => {
    const xs = tf.tensor1d([1, 2, 3, 4]);
    const [c, ys] = T.scan(cumsum, tf.scalar(0), xs);
    expectTensorClose(c, [10]);
    expectTensorClose(ys, [1, 3, 6, 10]);
    const j = T.jit((v: tf.Tensor) => T.scan(cumsum, tf.scalar(0), v));
    const [cj, ysj] = j(xs) as [tf.Tensor, tf.Tensor];
    expectTensorClose(cj, [10]);
    expectTensorClose(ysj, [1, 3, 6, 10]);
    const [cj2] = j(tf.tensor1d([5, 5, 5, 5])) as [tf.Tensor, tf.Tensor];
    expectTensorClose(cj2, [20]);
    expect(j.traceCount).to.equal(1);
  });

  it('carries trees', () => {
    const step = (c: { n: tf.Tensor; s: tf.Tensor }, x: tf.Tensor): [{ n: tf.Tensor; s: tf.Tensor }, tf.Tensor] =>
      [{ n: tf.add(c.n, 1), s: tf.add(c.s, x) }, tf.div(tf.add(c.s, x), tf.add(c.n, 1))];
    const init = { n: tf.scalar(0), s: tf.scalar(0) };
    const xs = tf.tensor1d([2, 4, 6]);
    const [ce, me] = T.scan(step, init, xs);
    const [cj, mj] = T.jit((v: tf.Tensor) => T.scan(step, { n: tf.scalar(0), s: tf.scalar(0) }, v))(xs) as [typeof ce, tf.Tensor];
    expectTensorClose(cj.s, ce.s);
    expectTensorClose(mj, me);
    expectTensorClose(me, [2, 3, 4]);
  });

  it('a carry that changes shape or structure is an error naming it', () => {
    const j = T.jit((v: tf.Tensor) => T.scan((c: tf.Tensor, x: tf.Tensor) => [tf.stack([c, x]), x], tf.scalar(0), v));
    expectThrowsWith(() => j(tf.ones([3])), bst.TraceError, 'carry leaf 0 is float32[]', 'float32[2]');
    const k = T.jit((v: tf.Tensor) => T.scan((c: tf.Tensor, x: tf.Tensor) => [[c, c], x] as unknown as [tf.Tensor, tf.Tensor], tf.scalar(0), v));
    expectThrowsWith(() => k(tf.ones([3])), bst.TraceError, 'the new carry must have the structure of init');
  });

  it('eagerly too, a carry that changes dtype, shape or structure is the same error, and the loop frees what it made', () => {
    // A body that runs eagerly must trace under jit (and JAX's scan and while_loop reject it eagerly).
    // The dtype changes at step 2 only, so the loop already owns a carry and a y when it throws.
    const x = tf.tensor1d([1, 2, 3]);
    const zero = tf.scalar(0);
    // A body whose carry turns int32 at its third step (a JS step count: no read of GPU data).
    const late = (): ((c: tf.Tensor) => tf.Tensor) => {
      let step = 0;
      return (c) => (step++ === 2 ? tf.cast(tf.add(c, 1), 'int32') : tf.add(c, 1));
    };
    const cases: [() => unknown, string, string][] = [
      [() => { const f = late(); return T.scan((c: tf.Tensor, v: tf.Tensor) => [f(c), tf.mul(v, 2)], zero, x); }, 'carry leaf 0 is float32[]', 'int32[]'],
      [() => T.scan((c: tf.Tensor, v: tf.Tensor) => [tf.stack([c, v]), v], zero, x), 'carry leaf 0 is float32[]', 'float32[2]'],
      [() => T.scan((c: tf.Tensor, v: tf.Tensor) => [[c, v] as unknown as tf.Tensor, v], zero, x), 'the new carry must have the structure of init', '[*,*]'],
      // A scalar carry: webgpu runs less() of small host data on its CPU forms, so the cond reads synchronously.
      [() => T.whileLoop((c: tf.Tensor) => tf.less(c, 99), late(), zero), 'carry leaf 0 is float32[]', 'int32[]'],
    ];
    for (const [run, what, got] of cases) {
      expectThrowsWith(run, bst.TraceError, what, got);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) expectThrowsWith(run, bst.TraceError, what);
      expect(tf.memory().numTensors, what).to.equal(before);
    }
    tf.dispose([x, zero]);
  });

  it('a rejected carry frees the constants its body made (scan, unrolled scan and whileLoop; numTensors flat)', () => {
    // The fuzzer's minimiser met such bodies (seed 1325193): each failed trace kept the body's constants.
    const scanOf = (opts: { unroll?: number }) => T.jit((v: tf.Tensor) => T.scan(
      (c: tf.Tensor, x: tf.Tensor) => [tf.add(x, tf.tensor1d([2, 3])), x], tf.scalar(0), v, opts));
    const loop = T.jit((v: tf.Tensor) => T.whileLoop((c: tf.Tensor) => tf.less(tf.sum(c), tf.scalar(9)),
      (c: tf.Tensor) => tf.cast(tf.add(c, tf.scalar(1)), 'int32'), v));
    const x = tf.ones([4]);
    for (const [f, what] of [[scanOf({}), 'carry leaf 0 is float32[]'], [scanOf({ unroll: 2 }), 'carry leaf 0 is float32[]'],
      [loop, 'carry leaf 0 is float32[4]']] as const) {
      expectThrowsWith(() => f(x), bst.TraceError, what);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) expectThrowsWith(() => f(x), bst.TraceError, what);
      expect(tf.memory().numTensors, what).to.equal(before);
    }
    x.dispose();
  });
});

describe('whileLoop', () => {
  it('loops while cond holds, eagerly and jitted, carrying states; the bound can be a state', () => {
    const count = new bst.HiddenState(tf.scalar(0));
    const limit = new bst.ParamState(tf.scalar(100));
    const f = (x: tf.Tensor) => T.whileLoop((c: tf.Tensor) => tf.less(c, limit.value),
      (c: tf.Tensor) => { count.value = tf.add(count.value, 1); return tf.mul(c, 2); }, x);
    expectTensorClose(f(tf.scalar(1)), [128]);
    expect(count.value.dataSync()[0]).to.equal(7);
    count.value = tf.scalar(0);
    const j = T.jit(f);
    expectTensorClose(j(tf.scalar(1)), [128]);
    expect(count.value.dataSync()[0]).to.equal(7);
    limit.value = tf.scalar(1000);
    expectTensorClose(j(tf.scalar(3)), [1536]);
    expect(count.value.dataSync()[0]).to.equal(16);
    expect(j.traceCount).to.equal(1);
  });

  it('a cond that writes a state is an error, eagerly and jitted', () => {
    const s = new bst.HiddenState(tf.scalar(0));
    const f = (x: tf.Tensor) => T.whileLoop((c: tf.Tensor) => { s.value = tf.add(s.value, 1); return tf.less(c, 3); },
      (c: tf.Tensor) => tf.add(c, 1), x);
    expectThrowsWith(() => f(tf.scalar(0)), bst.TraceError, 'cond', 'wrote state', 'Move the write into the loop body');
    expectThrowsWith(() => T.jit(f)(tf.scalar(0)), bst.TraceError, 'wrote state', 'Move the write into the loop body');
    expect(s.value.dataSync()[0]).to.equal(0);
  });
});

describe('cond', () => {
  it('runs one branch, eagerly and jitted, with states written in either', () => {
    const acc = new bst.HiddenState(tf.scalar(0));
    const f = (p: tf.Tensor, x: tf.Tensor) => T.cond(tf.greater(p, 0),
      (y: tf.Tensor) => { acc.value = tf.add(acc.value, y); return tf.neg(y); }, (y: tf.Tensor) => tf.mul(y, 10), x);
    const j = T.jit(f);
    expectTensorClose(j(tf.scalar(1), tf.scalar(2)), [-2]);
    expect(acc.value.dataSync()[0]).to.equal(2);
    expectTensorClose(j(tf.scalar(-1), tf.scalar(2)), [20]);
    expect(acc.value.dataSync()[0]).to.equal(2);
    expectTensorClose(j(tf.scalar(1), tf.scalar(5)), [-5]);
    expect(acc.value.dataSync()[0]).to.equal(7);
    expect(j.traceCount).to.equal(1);
    expectTensorClose(f(tf.scalar(1), tf.scalar(1)), [-1]);
    expect(acc.value.dataSync()[0]).to.equal(8);
  });

  it('branches that disagree are an error naming the leaf', () => {
    const j = T.jit((p: tf.Tensor, x: tf.Tensor) => T.cond(p, (y: tf.Tensor) => y, (y: tf.Tensor) => tf.stack([y, y]), x));
    expectThrowsWith(() => j(tf.scalar(true, 'bool'), tf.scalar(1)), bst.TraceError, 'result leaf 0 is float32[] in the true branch');
  });

  it('under a gradient inside jit, a traced branch differentiates (as JAX); a while loop is a clear error', () => {
    const x = tf.scalar(2);
    const g = T.jit((v: tf.Tensor) => tf.grad((y: tf.Tensor) => T.cond(tf.greater(y, 0), (z: tf.Tensor) => tf.square(z),
      (z: tf.Tensor) => z, y))(v));
    expectTensorClose(g(x), [4]);
    expectTensorClose(g(tf.scalar(-3)), [1]);
    const h = T.jit((v: tf.Tensor) => tf.grad((y: tf.Tensor) => T.whileLoop((c: tf.Tensor) => tf.less(c, 10),
      (c: tf.Tensor) => tf.mul(c, y), tf.scalar(1)))(v));
    expectThrowsWith(() => h(x), bst.TraceError, 'whileLoop', 'forLoop / scan');
  });

  it('a JS boolean picks the branch statically', () => {
    expectTensorClose(T.cond(false, (x: tf.Tensor) => x, (x: tf.Tensor) => tf.neg(x), tf.scalar(3)), [-3]);
  });
});

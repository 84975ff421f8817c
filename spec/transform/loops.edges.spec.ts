/**
 * Issue 12, BrainState's own loop and branch tests, ported: bodies and branches that only
 * write states and return nothing, and loops of zero steps (JAX's empty ys), eagerly and
 * under jit alike.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { callJitted, expectNoLeaks, expectNoLeaksAsync, expectTensorClose } from '../helpers';

const { jit, forLoop, scan, cond, whileLoop } = bst.transform;

describe('loops and branches that return nothing (issue 12, BrainState tests)', () => {
  it('issue 12: a forLoop body that only writes states returns undefined, eagerly and jitted, states carried', () => {
    const s = new bst.HiddenState(tf.scalar(0));
    const trace = new bst.HiddenState(tf.zeros([3]));
    const body = (x: tf.Tensor): void => {
      s.value = tf.add(s.value, x);
      trace.value = tf.add(tf.mul(trace.value, 2), s.value);
    };
    const xs = tf.tensor1d([1, 2, 3]);
    expect(forLoop(body, xs)).to.equal(undefined);
    const eager = [s.value.dataSync()[0], ...trace.value.dataSync()];
    s.value = tf.scalar(0);
    trace.value = tf.zeros([3]);
    const run = jit((v: tf.Tensor) => forLoop(body, v));
    expect(run(xs)).to.equal(undefined);
    expect([s.value.dataSync()[0], ...trace.value.dataSync()]).to.deep.equal(eager);
    expect(eager).to.deep.equal([6, 16, 16, 16]);   // s: 1, 3, 6; trace: 2*0+1, 2*1+3, 2*5+6
    expect(run(xs)).to.equal(undefined);            // a replay carries on from the states
    expect(s.value.dataSync()[0]).to.equal(12);
    expect(run.traceCount).to.equal(1);
    expectNoLeaks(() => run(xs), 3);
  });

  it('issue 12: scan whose y is undefined, and a whileLoop whose carry is undefined, work eagerly and jitted', () => {
    const n = new bst.HiddenState(tf.scalar(0, 'int32'));
    const loop = () => whileLoop(() => tf.less(n.value, 5), () => { n.value = tf.add(n.value, tf.scalar(1, 'int32')); }, undefined);
    expect(loop()).to.equal(undefined);
    expect(n.value.dataSync()[0]).to.equal(5);
    n.value = tf.scalar(2, 'int32');
    expect(jit(loop)()).to.equal(undefined);
    expect(n.value.dataSync()[0]).to.equal(5);

    const acc = new bst.HiddenState(tf.scalar(1));
    const body = (c: tf.Tensor, x: tf.Tensor): [tf.Tensor, undefined] => {
      acc.value = tf.mul(acc.value, x);
      return [tf.add(c, x), undefined];
    };
    const [c1, y1] = scan(body, tf.scalar(0), tf.tensor1d([2, 3]));
    expect(y1).to.equal(undefined);
    expectTensorClose(c1, [5]);
    expect(acc.value.dataSync()[0]).to.equal(6);
    const [c2, y2] = jit((xs: tf.Tensor) => scan(body, tf.scalar(0), xs))(tf.tensor1d([2, 3]));
    expect(y2).to.equal(undefined);
    expectTensorClose(c2, [5]);
    expect(acc.value.dataSync()[0]).to.equal(36);
  });

  it('issue 12: cond branches that only write states return undefined, eagerly and jitted', () => {
    const s = new bst.HiddenState(tf.scalar(0));
    const step = (p: tf.Tensor) => cond(p, () => { s.value = tf.add(s.value, 100); },
      () => { s.value = tf.sub(s.value, 1); });
    expect(step(tf.scalar(true, 'bool'))).to.equal(undefined);
    expect(step(tf.scalar(false, 'bool'))).to.equal(undefined);
    expect(s.value.dataSync()[0]).to.equal(99);
    const jstep = jit(step);
    expect(jstep(tf.scalar(true, 'bool'))).to.equal(undefined);
    expect(jstep(tf.scalar(false, 'bool'))).to.equal(undefined);
    expect(jstep(tf.scalar(false, 'bool'))).to.equal(undefined);
    expect(s.value.dataSync()[0]).to.equal(197);
    expect(jstep.traceCount).to.equal(1);
    // A branch returning null works the same (JAX's None); both branches must agree.
    expect(cond(tf.scalar(true, 'bool'), () => null, () => null)).to.equal(null);
    expect(() => jit(() => cond(tf.scalar(true, 'bool'), () => undefined, () => tf.scalar(1)))())
      .to.throw(bst.TraceError, /the true branch returned undefined, the false branch \*/);
  });
});

describe('loops of zero steps (issue 12: JAX\'s empty ys, eagerly and under jit alike)', () => {
  /** A body with a carry, a tree of ys of several dtypes, a state write and a random draw. */
  const setup = () => {
    const s = new bst.HiddenState(tf.scalar(5));
    const body = (c: tf.Tensor, x: tf.Tensor): [tf.Tensor, { a: tf.Tensor; b: tf.Tensor; n: tf.Tensor }] => {
      s.value = tf.add(s.value, 1);
      const noise = bst.random.normal([2]);
      return [tf.add(c, tf.sum(x)), { a: tf.mul(x, 2), b: tf.cast(x, 'int32'), n: tf.add(noise, s.value) }];
    };
    return { s, body };
  };

  it('issue 12: scan over length-0 xs returns the init carry and ys with a leading axis of 0; no state changes', () => {
    const check = (out: [tf.Tensor, { a: tf.Tensor; b: tf.Tensor; n: tf.Tensor }]) => {
      const [carry, ys] = out;
      expectTensorClose(carry, [7]);
      expect([ys.a.shape, ys.a.dtype]).to.deep.equal([[0, 3], 'float32']);
      expect([ys.b.shape, ys.b.dtype]).to.deep.equal([[0, 3], 'int32']);
      expect([ys.n.shape, ys.n.dtype]).to.deep.equal([[0, 2], 'float32']);
    };
    bst.random.seed(3);
    const key = Array.from(bst.random.DEFAULT.value.dataSync());
    const { s, body } = setup();
    const xs = tf.zeros([0, 3]);
    check(scan(body, tf.scalar(7), xs));
    const f = jit((v: tf.Tensor) => scan(body, tf.scalar(7), v));
    check(f(xs));
    check(f(xs));
    expect(f.traceCount).to.equal(1);
    expect(s.value.dataSync()[0]).to.equal(5);                                // the body never ran for real
    expect(Array.from(bst.random.DEFAULT.value.dataSync())).to.deep.equal(key); // nor drew numbers
    expectNoLeaks(() => { tf.dispose(scan(body, tf.scalar(7), xs) as unknown as tf.Tensor[]); }, 2);
    expectNoLeaks(() => { tf.dispose(f(xs) as unknown as tf.Tensor[]); }, 2);
  });

  it('issue 12: forLoop over length 0 gives the same empty ys eagerly and jitted; a body of no ys gives undefined', () => {
    const xs = tf.zeros([0, 4]);
    const body = (x: tf.Tensor) => [tf.sum(x), tf.reshape(x, [2, 2])];
    for (const out of [forLoop(body, xs), jit((v: tf.Tensor) => forLoop(body, v))(xs)]) {
      expect(out.map((t) => t.shape)).to.deep.equal([[0], [0, 2, 2]]);
    }
    const s = new bst.HiddenState(tf.scalar(1));
    const write = (x: tf.Tensor) => { s.value = tf.add(s.value, tf.sum(x)); };
    expect(forLoop(write, xs)).to.equal(undefined);
    expect(jit((v: tf.Tensor) => forLoop(write, v))(xs)).to.equal(undefined);
    expect(s.value.dataSync()[0]).to.equal(1);
    // With { length: 0 } and no xs at all.
    expect(forLoop(() => tf.ones([3]), { length: 0 }).shape).to.deep.equal([0, 3]);
  });
});

describe('a loop output that is a state value inside a transform (issue 12)', () => {
  // Found when RNN cells were unrolled under grad inside jit: the loop stacked its ys and
  // disposed them, but the last y was also the shadow-written value of a state, which the
  // transform then committed: the state held a disposed tensor.
  const make = () => {
    const h = new bst.HiddenState(tf.zeros([2]));
    const w = new bst.ParamState(tf.tensor1d([0.5, 2]));
    const loss = (x: tf.Tensor): tf.Scalar => {
      const [, ys] = scan((c: tf.Tensor[], xt: tf.Tensor): [tf.Tensor[], tf.Tensor] => {
        h.value = tf.add(tf.mul(h.value, w.value), xt);
        return [c, h.value];
      }, [] as tf.Tensor[], x);
      return tf.sum(ys) as tf.Scalar;
    };
    return { h, w, loss };
  };

  it('issue 12: scan under grad returning a written state value leaves the state alive, eagerly and jitted', () => {
    const xs = tf.ones([3, 2]);
    const eager = make();
    const [gE, lE] = bst.transform.grad(() => eager.loss(xs), { gradStates: [eager.w], returnValue: true })();
    expect(eager.h.value.isDisposed).to.equal(false);
    const traced = make();
    const step = jit((x: tf.Tensor) => {
      traced.h.value = tf.zeros([2]);
      return bst.transform.grad(() => traced.loss(x), { gradStates: [traced.w], returnValue: true })();
    });
    for (let i = 0; i < 3; i++) {
      const [g, l] = step(xs) as [tf.Tensor[], tf.Tensor];
      expect(traced.h.value.isDisposed, `call ${i}`).to.equal(false);
      expectTensorClose(l, lE as tf.Tensor);
      expectTensorClose(g[0], (gE as tf.Tensor[])[0]);
      expectTensorClose(traced.h.value, eager.h.value);
    }
    expect(step.traceCount).to.equal(1);
  });
});

describe('loop bodies that return tensors from outside the loop (issue 12, found by the fuzzer)', () => {
  // An eager scan disposed the ys it had stacked and the carries it had replaced, including a
  // tensor the body merely returned from outside the loop: the caller's tensor died, and the
  // next use failed inside tfjs ("Cannot read properties of undefined (reading 'backend')").
  it('issue 12: scan returning an outer tensor as y or as carry leaves it alive, eagerly and jitted', () => {
    const outer = tf.tensor1d([1, 2, 3]);
    const xs = tf.ones([4, 3]);
    const asY = (c: tf.Tensor, x: tf.Tensor): [tf.Tensor, tf.Tensor] => [tf.add(c, x), outer];
    const asCarry = (c: tf.Tensor, x: tf.Tensor): [tf.Tensor, tf.Tensor] => [outer, tf.add(c, x)];
    for (const run of [scan, jit((f: typeof asY, i: tf.Tensor, v: tf.Tensor) => scan(f, i, v), { staticArgnums: 0 })]) {
      const [c1, ys1] = run(asY, tf.zeros([3]), xs) as [tf.Tensor, tf.Tensor];
      expect(outer.isDisposed).to.equal(false);
      expectTensorClose(c1, [4, 4, 4]);
      expectTensorClose(ys1, [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3]);
      const [c2, ys2] = run(asCarry, tf.zeros([3]), xs) as [tf.Tensor, tf.Tensor];
      expect(outer.isDisposed).to.equal(false);
      expectTensorClose(c2, [1, 2, 3]);
      expectTensorClose(ys2, [1, 1, 1, 2, 3, 4, 2, 3, 4, 2, 3, 4]);
      tf.dispose([c1, ys1, c2, ys2]);
    }
    expectTensorClose(outer, [1, 2, 3]);
  });

  it('issue 12: whileLoop alternating between two outer tensors leaves both alive', () => {
    const a = tf.scalar(5);
    const b = tf.scalar(7);
    let k = 0;
    const r = whileLoop(() => tf.scalar(k < 4), () => (k++ % 2 === 0 ? [a] : [b]), [tf.scalar(0)]) as tf.Tensor[];
    expect([a.isDisposed, b.isDisposed]).to.deep.equal([false, false]);
    expectTensorClose(r[0], [7]);
    expectTensorClose(tf.add(a, b), [12]);
  });

  it('issue 12: an eager scan that returns outer tensors leaks nothing over many calls', () => {
    const outer = tf.tensor1d([1, 2, 3]);
    const xs = tf.ones([5, 3]);
    expectNoLeaks(() => {
      const init = tf.zeros([3]);
      const [c, ys] = scan((cc: tf.Tensor, x: tf.Tensor) => [tf.add(cc, x), outer], init, xs) as [tf.Tensor, tf.Tensor];
      tf.dispose([init, c, ys]);
    }, 200);
  });
});

describe('a loop body reading a constant of the enclosing function (sharp bits 24)', () => {
  const bits = async (t: tf.Tensor) => Array.from(await t.data(), (v) => (Object.is(v, -0) ? '-0' : String(v)));
  // Eagerly the body's kernels read the enclosing function's constant itself (on webgpu a GPU kernel
  // among them uploads it for good); the jitted body must read the same data, not a copy of its own.
  const f = (xs: tf.Tensor): tf.Tensor[] => {
    const c = tf.tensor1d([0.5, 1e-40, -2]);
    const d = tf.scalar(3);
    const ys = forLoop((x: tf.Tensor) => {
      tf.softplus(c); // dead: eagerly on webgpu it still uploads c
      // d's value stays readable while tracing (d stays host data: its kernel runs on tfjs-webgpu's CPU forms).
      return tf.add(tf.mul(x, c), tf.mul(d, d.arraySync() as number));
    }, xs) as tf.Tensor;
    const [last] = scan((k: tf.Tensor, x: tf.Tensor) => [tf.sub(k, c), tf.sum(x)], tf.zeros([3]), xs);
    return [ys, tf.cast(c, 'bool'), last];
  };

  it('gives eager\'s bits, traces once and leaks nothing; on webgpu the loops take it as an argument', async () => {
    const xs = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
    const want = await Promise.all(f(xs).map(bits));
    const run = jit(f);
    for (let call = 0; call < 3; call++) {
      const got = await callJitted(run, xs);
      expect(await Promise.all(got.map(bits)), `call ${call}`).to.deep.equal(want);
      tf.dispose(got);
    }
    expect(run.traceCount).to.equal(1);
    const text = run.lower(xs).toString();
    // The loops' bodies hold no f32[3] constant of their own where placement matters (the upload threshold of webgpu).
    const bodyConstants = text.split('\n').filter((l) => /^\s{6,}const \w+:f32\[3\]/.test(l)).length;
    expect(bodyConstants).to.equal(bst.backend.name() === 'webgpu' ? 0 : 2);
    await expectNoLeaksAsync(async () => tf.dispose(await callJitted(run, xs)), 3);
  });
});

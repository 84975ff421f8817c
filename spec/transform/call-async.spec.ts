/**
 * `jitted.callAsync`: a jitted call that awaits the predicates of its while loops and
 * branches. On webgpu (where a predicate computed by GPU kernels cannot be read
 * synchronously in Node) this is the way to run such programs; on cpu and wasm it runs as a
 * synchronous call does. The expected numbers are computed here in plain JS (the loops'
 * arithmetic is exact in float32: small integers and powers of two), so the same spec
 * checks every backend.
 *
 * Tensors have 4,096 elements so that on webgpu the predicates are GPU results
 * (tfjs-webgpu runs ops on small host inputs on its CPU kernels).
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { jit as jitMethod, jitted } from '../../decorators';
import { expectTensorClose, expectThrowsWith } from '../helpers';

const N = 4096;

/** 0, 1/N, 2/N, ...: values whose sums and doublings are exact in float32. */
function ramp(scale = 1): tf.Tensor {
  return tf.mul(tf.range(0, N, 1, 'float32'), scale / N);
}

/** The float32 sum of ramp(scale), as JS computes it (exact: (N-1)/2 * scale). */
const rampSum = (scale = 1) => ((N - 1) / 2) * scale;

/** The JS doubling loop: how many doublings of `x` until its sum is at least `limit`. */
function doublings(sum: number, limit: number): number {
  let n = 0;
  for (let s = sum; s < limit; s *= 2) n++;
  return n;
}

const onWebGPU = () => bst.backend.name() === 'webgpu';

describe('jit: callAsync (loops and branches that await their predicates)', () => {
  it('a whileLoop whose predicate is computed by kernels: callAsync gives the JS loop\'s result and count', async () => {
    const count = new bst.ShortTermState<tf.Tensor>(tf.scalar(0));
    const f = bst.transform.jit((x: tf.Tensor) => bst.transform.whileLoop(
      (c: tf.Tensor[]) => tf.less(tf.sum(c[0]), 5000),
      (c: tf.Tensor[]) => {
        count.value = tf.add(count.value, 1);
        return [tf.mul(c[0], 2), tf.add(c[1], 1)];
      },
      [x, tf.scalar(0)]));
    const x = ramp();
    for (const call of [1, 2]) { // traced (with placeholder control nodes), then replayed
      const [y, n] = await f.callAsync(x) as tf.Tensor[];
      const k = doublings(rampSum(), 5000);
      expect(await n.data()).to.deep.equal(new Float32Array([k]));
      expect(await count.value.data()).to.deep.equal(new Float32Array([k * call]));
      expect((await tf.sum(y).data())[0]).to.equal(rampSum() * 2 ** k);
      y.dispose();
      n.dispose();
    }
    expect(f.traceCount).to.equal(1);
  });

  it('cond and switch on kernel-computed predicates pick the branch JS picks, and write states in it', async () => {
    const hits = new bst.ShortTermState(tf.zeros([3]));
    const pick = bst.transform.jit((x: tf.Tensor, shift: tf.Tensor) => {
      const s = tf.sub(tf.sum(x), shift);
      const y = bst.transform.cond(tf.greater(s, 0), (v: tf.Tensor) => tf.mul(v, 2), (v: tf.Tensor) => tf.neg(v), x);
      const k = tf.cast(tf.clipByValue(tf.floor(tf.div(s, 1000)), 0, 2), 'int32');
      bst.transform.switch(k, [
        () => { hits.value = tf.add(hits.value, tf.tensor1d([1, 0, 0])); },
        () => { hits.value = tf.add(hits.value, tf.tensor1d([0, 1, 0])); },
        () => { hits.value = tf.add(hits.value, tf.tensor1d([0, 0, 1])); },
      ]);
      return tf.sum(y);
    });
    const x = ramp(); // sum 2047.5
    const expected = [0, 0, 0];
    for (const shift of [3000, 1000, 0, 2047.5 - 1500]) {
      const s = rampSum() - shift;
      const total = await pick.callAsync(x, tf.scalar(shift)) as tf.Tensor;
      expect((await total.data())[0]).to.equal(s > 0 ? 2 * rampSum() : -rampSum());
      expected[Math.min(Math.max(Math.floor(s / 1000), 0), 2)]++;
      expect(Array.from(await hits.value.data())).to.deep.equal(expected);
      total.dispose();
    }
    expect(pick.traceCount).to.equal(1);
  });

  it('nested: a whileLoop inside a cond inside a forLoop awaits where it must', async () => {
    const f = bst.transform.jit((x: tf.Tensor) => bst.transform.scan(
      (acc: tf.Tensor, i: tf.Tensor) => {
        const next = bst.transform.cond(tf.greater(tf.sum(tf.mul(x, i)), 0),
          (a: tf.Tensor) => bst.transform.whileLoop((v: tf.Tensor) => tf.less(tf.sum(v), 1e5), (v: tf.Tensor) => tf.mul(v, 2), a),
          (a: tf.Tensor) => a, acc);
        return [next, tf.sum(next)];
      },
      x, tf.tensor1d([0, 1, -1, 1]))[0]);
    const y = await f.callAsync(ramp()) as tf.Tensor;
    // Step 0 and 2 keep acc (i <= 0); step 1 doubles it until its sum reaches 1e5; step 3 then doubles none.
    const k = doublings(rampSum(), 1e5);
    expect((await tf.sum(y).data())[0]).to.equal(rampSum() * 2 ** k);
    y.dispose();
  });

  it('equals the synchronous call where that can read the predicate (cpu, wasm), bit for bit', async function () {
    if (onWebGPU()) {
      console.log('      skipped on webgpu: the synchronous call cannot read a GPU predicate there (the BackendError below)');
      this.skip();
    }
    const make = () => {
      const v = new bst.ShortTermState<tf.Tensor>(tf.scalar(1));
      const f = bst.transform.jit((x: tf.Tensor) => {
        const y = bst.transform.whileLoop((c: tf.Tensor) => tf.less(tf.max(c), 3.7), (c: tf.Tensor) => tf.add(tf.mul(c, 1.3), 0.1), x);
        v.value = bst.transform.cond(tf.greater(tf.mean(y), 2), (a: tf.Tensor) => tf.sqrt(a), (a: tf.Tensor) => tf.exp(a), v.value);
        return tf.sin(y);
      });
      return { v, f };
    };
    const a = make();
    const b = make();
    const x = tf.randomUniform([64], 0, 1, 'float32', 3);
    for (let i = 0; i < 3; i++) {
      const ya = a.f(x) as tf.Tensor;
      const yb = await b.f.callAsync(x) as tf.Tensor;
      expect(Array.from(yb.dataSync())).to.deep.equal(Array.from(ya.dataSync()));
      expect(Array.from(b.v.value.dataSync())).to.deep.equal(Array.from(a.v.value.dataSync()));
      ya.dispose();
      yb.dispose();
    }
  });

  it('a loop gradient (a reverse scan) whose body holds a branch: callAsync equals the eager gradient', async () => {
    // The scan's gradient inside jit is a reverse scan over the body's VJP, and the VJP of
    // the cond is a cond: so callAsync runs an awaiting reverse scan. (Its steps once ran
    // first row first here: a wrong gradient on webgpu, where callAsync awaits.)
    const w = new bst.ParamState(tf.scalar(0.7));
    const loss = (xs: tf.Tensor): tf.Scalar => {
      const [c] = bst.transform.scan((carry: tf.Tensor, x: tf.Tensor) => {
        const next = bst.transform.cond(tf.greater(x, 0),
          () => tf.mul(tf.add(carry, x), w.value), () => tf.sub(tf.mul(carry, carry), x));
        return [next, next];
      }, tf.scalar(0.3), xs);
      return c as tf.Scalar;
    };
    const g = bst.transform.grad(loss, { gradStates: w, argnums: 0, returnValue: true });
    const f = bst.transform.jit((xs: tf.Tensor) => g(xs));
    const xs = tf.tensor1d([0.5, -0.2, 1.5, -0.4, 0.9, 0.1]);
    const [[eagerW, eagerX], eagerLoss] = g(xs) as unknown as [[tf.Tensor, tf.Tensor], tf.Tensor];
    for (let call = 0; call < 2; call++) {
      const [[gw, gx], value] = await f.callAsync(xs) as unknown as [[tf.Tensor, tf.Tensor], tf.Tensor];
      expectTensorClose(value, eagerLoss, 1e-6, 'loss');
      expectTensorClose(gw, eagerW, 1e-5, 'dloss/dw');
      expectTensorClose(gx, eagerX, 1e-5, 'dloss/dxs');
      tf.dispose([gw, gx, value]);
    }
  });

  it('calls made without awaiting run in order; a synchronous call meanwhile is a TraceError', async () => {
    const total = new bst.ShortTermState<tf.Tensor>(tf.scalar(0));
    const f = bst.transform.jit((x: tf.Tensor) => {
      total.value = bst.transform.cond(tf.greater(tf.sum(x), 0), (t: tf.Tensor) => tf.add(t, 1), (t: tf.Tensor) => tf.mul(t, 10), total.value);
      return total.value;
    });
    const pos = ramp();
    const neg = ramp(-1);
    const calls = [f.callAsync(pos), f.callAsync(neg), f.callAsync(pos)];
    expectThrowsWith(() => f(pos), bst.TraceError, 'callAsync', 'still running', 'Await them first');
    const outs = await Promise.all(calls) as tf.Tensor[];
    // ((0 + 1) * 10) + 1, step by step
    expect(await Promise.all(outs.map(async (t) => (await t.data())[0]))).to.deep.equal([1, 10, 11]);
    outs.forEach((t) => t.dispose());
    // Once they ended, a synchronous call is allowed again (where it can read the predicate).
    const after = (onWebGPU() ? await f.callAsync(pos) : f(pos)) as tf.Tensor;
    expect((await after.data())[0]).to.equal(12);
    after.dispose();
  });

  it('a call that throws rejects and leaves every state as it was', async () => {
    const s = new bst.ShortTermState<tf.Tensor>(tf.scalar(5));
    const bad = bst.transform.jit((x: tf.Tensor) => {
      s.value = bst.transform.cond(tf.greater(tf.sum(x), 0), (t: tf.Tensor) => tf.add(t, 1), (t: tf.Tensor) => t, s.value);
      return tf.matMul(x, x); // x is 1-D: rejected when traced
    });
    let caught: unknown;
    await bad.callAsync(ramp()).catch((e) => { caught = e; });
    expect(caught).to.be.instanceOf(Error);
    expect((await s.value.data())[0]).to.equal(5);
  });

  it('numTensors and numBytes stay flat over 100 awaiting calls', async () => {
    const v = new bst.ShortTermState(ramp());
    const f = bst.transform.jit(() => {
      v.value = bst.transform.whileLoop((c: tf.Tensor) => tf.less(tf.sum(c), 3000), (c: tf.Tensor) => tf.mul(c, 1.5),
        tf.mul(v.value, 0.5));
    });
    await f.callAsync();
    const before = tf.memory();
    for (let i = 0; i < 100; i++) await f.callAsync();
    const after = tf.memory();
    expect(after.numTensors).to.equal(before.numTensors);
    expect(after.numBytes).to.equal(before.numBytes);
  });

  it('a @jit method: jitted(obj.method).callAsync awaits its predicates too', async () => {
    class Counter extends bst.nn.Module {
      n = new bst.ShortTermState<tf.Tensor>(tf.scalar(0));
      @jitMethod()
      run(x: tf.Tensor): tf.Tensor {
        return bst.transform.whileLoop((c: tf.Tensor) => tf.less(tf.sum(c), 9000), (c: tf.Tensor) => {
          this.n.value = tf.add(this.n.value, 1);
          return tf.add(c, c);
        }, x);
      }
    }
    const m = new Counter();
    const y = await jitted(m.run).callAsync(ramp()) as tf.Tensor;
    const k = doublings(rampSum(), 9000);
    expect((await m.n.value.data())[0]).to.equal(k);
    expect((await tf.sum(y).data())[0]).to.equal(rampSum() * 2 ** k);
    y.dispose();
  });

  describe('on webgpu', () => {
    beforeEach(function () {
      if (!onWebGPU()) {
        console.log(`      webgpu only: on ${bst.backend.name()} a synchronous call reads any predicate`);
        this.skip();
      }
    });

    it('a synchronous call whose predicate is on the GPU is a BackendError naming callAsync', () => {
      const f = bst.transform.jit((t: tf.Tensor) => bst.transform.cond(tf.greater(tf.sum(t), 0),
        (a: tf.Tensor) => tf.neg(a), (a: tf.Tensor) => a, t));
      expectThrowsWith(() => f(ramp()), bst.BackendError, 'cond', 'await jitted.callAsync');
    });

    it('a vmapped whileLoop with a per-lane predicate: the plain call names callAsync, which runs it', async () => {
      const h = (a: tf.Tensor) => bst.transform.whileLoop((c: tf.Tensor) => tf.less(c, a), (c: tf.Tensor) => tf.add(c, 1), tf.scalar(0));
      const v = bst.transform.vmap(h);
      const limits = tf.tensor1d([1, 3, 0, 2.5]);
      expectThrowsWith(() => v(limits), bst.BackendError, 'whileLoop', 'await vmapped.callAsync');
      expect(Array.from(await (await v.callAsync(limits) as tf.Tensor).data())).to.deep.equal([1, 3, 0, 3]);
      limits.dispose();
    });

    it('needs no read where the predicate allows: a forLoop, or a cond on a host value, call synchronously', async () => {
      const loop = bst.transform.jit((x: tf.Tensor) => bst.transform.scan((c: tf.Tensor) => [tf.mul(c, 2), tf.sum(c)], x,
        [], { length: 3 })[0]);
      const y = loop(ramp()) as tf.Tensor;
      expect((await tf.sum(y).data())[0]).to.equal(rampSum() * 8);
      const pick = bst.transform.jit((p: tf.Tensor, x: tf.Tensor) => bst.transform.cond(p, (a: tf.Tensor) => tf.neg(a),
        (a: tf.Tensor) => a, x));
      const z = pick(tf.scalar(true, 'bool'), ramp()) as tf.Tensor;
      expect((await tf.sum(z).data())[0]).to.equal(-rampSum());
      y.dispose();
      z.dispose();
    });

    it('a scan that reads no predicate runs in the tracing call, so kernels after it see its results placed as eager\'s', async () => {
      // The small ys are host data eagerly (stacked from host rows); a rank-5 broadcast of them runs on
      // tfjs-webgpu's CPU tile kernel, which reads its input synchronously: GPU placeholder ys would throw
      // (fuzz seed 1260597).
      const f = (x: tf.Tensor) => {
        const [c, ys] = bst.transform.scan((carry: tf.Tensor, row: tf.Tensor) => [tf.add(carry, row), x], tf.zerosLike(x), x);
        return [c, tf.broadcastTo(ys, [2, 3, 3, 2, 1])];
      };
      const x = tf.tensor([1, -2, 3, 4, -5, 6], [3, 2, 1], 'int32');
      const eager = tf.tidy(() => f(x));
      const got = await bst.transform.jit(f).callAsync(x) as tf.Tensor[];
      expect(await Promise.all(got.map((t) => t.array()))).to.deep.equal(await Promise.all(eager.map((t) => t.array())));
      tf.dispose([x, ...eager, ...got]);
    });

    it('a branch on a host predicate runs in the tracing call, so kernels after it see its result placed as eager\'s', async () => {
      const f = (p: tf.Tensor, x: tf.Tensor) => {
        const y = bst.transform.cond(p, (a: tf.Tensor) => tf.neg(a), (a: tf.Tensor) => a, x) as tf.Tensor;
        return [y, tf.broadcastTo(y, [2, 3, 3, 2, 1])];
      };
      for (const taken of [true, false]) {
        const p = tf.scalar(taken, 'bool');
        const x = tf.tensor([1, -2, 3, 4, -5, 6], [3, 2, 1], 'int32');
        const eager = tf.tidy(() => f(p, x));
        const got = await bst.transform.jit(f).callAsync(p, x) as tf.Tensor[];
        expect(await Promise.all(got.map((t) => t.array()))).to.deep.equal(await Promise.all(eager.map((t) => t.array())));
        tf.dispose([p, x, ...eager, ...got]);
      }
    });
  });
});

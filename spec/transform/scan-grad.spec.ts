/**
 * Reverse-mode gradients through scan / forLoop inside jit: one traced body (a forward scan
 * node stacking the carries, a reverse scan node over the body's VJP), equal to the
 * eager gradient, which tfjs's tape takes through the unrolled loop.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { expectNoLeaks, expectTensorClose, expectThrowsWith } from '../helpers';

const T = bst.transform;

function leavesOf(x: unknown): tf.Tensor[] {
  if (x instanceof tf.Tensor) return [x];
  if (Array.isArray(x)) return x.flatMap(leavesOf);
  return [];
}

/** Asserts two gradient trees agree within `tol` (0: bit for bit). */
function expectSame(a: unknown, b: unknown, tol: number, what: string): void {
  const la = leavesOf(a);
  const lb = leavesOf(b);
  expect(la.length, what).to.equal(lb.length);
  la.forEach((t, k) => expectTensorClose(t, lb[k], tol, `${what} leaf ${k}`));
}

describe('gradients through scan inside jit', () => {
  it('carries, xs, a captured tensor, a read state and a written state: eager == jit', () => {
    const w = new bst.ParamState(tf.tensor1d([0.5, -1.5, 2]));
    const v = new bst.HiddenState(tf.zeros([3]));
    const f = (x0: tf.Tensor, xs: tf.Tensor, k: tf.Tensor) => {
      v.value = tf.zeros([3]);
      const h = tf.mul(k, 2);
      const [c, ys] = T.scan((c: tf.Tensor, x: tf.Tensor) => {
        const n = tf.add(tf.mul(tf.sin(c), w.value), tf.mul(x, h));
        v.value = tf.add(tf.mul(v.value, 0.9), n);
        return [n, tf.square(n)];
      }, x0, xs);
      return tf.add(tf.sum(tf.mul(c, v.value)), tf.sum(ys));
    };
    const g = T.grad(f, { gradStates: w, argnums: [0, 1, 2], returnValue: true });
    const jg = T.jit(g);
    const x0 = tf.tensor1d([0.1, 0.2, 0.3]);
    const xs = tf.randomNormal([7, 3], 0, 1, 'float32', 3);
    const k = tf.scalar(0.7);
    const eager = g(x0, xs, k);
    const jitted = jg(x0, xs, k);
    expectSame(jitted, eager, 0, 'jit vs eager');
    const text = jg.lower(x0, xs, k).toString();
    expect(text).to.contain('reverse');
  });

  it('program size does not grow with the steps: one forward and one reverse scan node', () => {
    const w = new bst.ParamState(tf.tensor1d([0.5, -1.5]));
    const f = (xs: tf.Tensor) => tf.sum(T.forLoop((x: tf.Tensor) => tf.tanh(tf.mul(w.value, x)), xs) as tf.Tensor);
    const jg = T.jit(T.grad(f, { gradStates: w }));
    const small = jg.lower(tf.ones([10, 2]));
    const large = jg.lower(tf.ones([500, 2]));
    expect(large.numKernels).to.equal(small.numKernels);
    expect(large.toString().length).to.be.below(small.toString().length + 100);
    expect(large.toString()).to.contain('reverse');
  });

  it('forLoop over states (a leaky integrator), reverse and unroll: eager == jit', () => {
    const w = new bst.ParamState(tf.tensor1d([0.3, -0.2, 0.9, 1.1]));
    const v = new bst.HiddenState(tf.zeros([4]));
    for (const opts of [{}, { reverse: true }, { unroll: 3 }, { reverse: true, unroll: 2 }] as bst.transform.LoopOptions[]) {
      const f = (xs: tf.Tensor) => {
        v.value = tf.zeros([4]);
        const trace = T.forLoop((x: tf.Tensor) => {
          v.value = tf.add(tf.mul(v.value, 0.9), tf.sigmoid(tf.mul(w.value, x)));
          return v.value;
        }, xs, opts) as tf.Tensor;
        return tf.add(tf.sum(tf.mul(trace, trace)), tf.sum(v.value));
      };
      const g = T.grad(f, { gradStates: w, argnums: 0, returnValue: true });
      const xs = tf.randomNormal([11, 4], 0, 1, 'float32', 9);
      const eager = g(xs);
      const ve = tf.clone(v.value as tf.Tensor);
      // With unroll k the backward body sums k steps' gradients of w before adding them to the
      // total (eagerly the tape adds one step at a time): float rounding, hence a tolerance.
      expectSame(T.jit(g)(xs), eager, opts.unroll === undefined ? 0 : 1e-5, JSON.stringify(opts));
      expectSame(v.value, ve, 0, `${JSON.stringify(opts)} state`);
    }
  });

  it('a nested scan, a cond in the body, an int carry and int ys: eager == jit', () => {
    const f = (x0: tf.Tensor, xs: tf.Tensor) => {
      const [[c, n], [ys, flags]] = T.scan(([c, n]: tf.Tensor[], x: tf.Tensor) => {
        const [inner] = T.scan((a: tf.Tensor, b: tf.Tensor) => [tf.add(tf.mul(a, b), 0.5), undefined], c, tf.stack([x, x]));
        const next = T.cond(tf.greater(tf.sum(x), 0), (a: tf.Tensor) => tf.sin(a), (a: tf.Tensor) => tf.mul(a, 2), inner as tf.Tensor);
        return [[next, tf.add(n, tf.scalar(1, 'int32'))], [tf.square(next), tf.cast(tf.greater(next, 0), 'int32')]];
      }, [x0, tf.scalar(0, 'int32')], xs) as unknown as [tf.Tensor[], tf.Tensor[]];
      expect(flags.dtype).to.equal('int32'); // an int ys leaf (no gradient in tfjs: kept off the loss)
      return tf.add(tf.sum(tf.mul(c, tf.cast(n, 'float32'))), tf.sum(ys));
    };
    const g = T.grad(f, { argnums: [0, 1] });
    const x0 = tf.tensor1d([0.3, -0.4]);
    const xs = tf.randomNormal([6, 2], 0, 1, 'float32', 4);
    const jg = T.jit(g);
    expectSame(jg(x0, xs), g(x0, xs), 0, 'nested');
    expect(jg.lower(x0, xs).toString().match(/reverse/g)!.length).to.be.at.least(2);
  });

  it('ys only, no xs ({ length }), zero steps: eager == jit', () => {
    const w = new bst.ParamState(tf.scalar(1.5));
    for (const length of [0, 1, 9]) {
      const f = () => {
        const [c, ys] = T.scan((c: tf.Tensor) => [tf.mul(c, w.value), tf.exp(c)], tf.scalar(0.1), undefined, { length });
        return tf.add(tf.sum(ys as tf.Tensor), c);
      };
      const g = T.grad(f, { gradStates: w, checkStates: length > 0 });
      expectSame(T.jit(g)(), g(), 0, `length ${length}`);
    }
  });

  it('a second-order gradient through a compiled scan is a clear error; eagerly it works', () => {
    const f = (x: tf.Tensor) => tf.sum(T.forLoop((r: tf.Tensor) => tf.mul(tf.square(r), x), tf.ones([3, 2])) as tf.Tensor);
    const gg = T.grad((x: tf.Tensor) => tf.sum(T.grad(f)(x) as tf.Tensor));
    expectTensorClose(gg(tf.scalar(2)) as tf.Tensor, [0], 0); // d/dx Σ r² = 6, constant: the second derivative is 0
    expectThrowsWith(() => T.jit(gg)(tf.scalar(2)), bst.TraceError, 'second-order');
  });

  it('numTensors and numBytes stay flat over many jitted gradient calls', () => {
    const w = new bst.ParamState(tf.tensor1d([0.5, -1.5, 2]));
    const v = new bst.HiddenState(tf.zeros([3]));
    const f = (xs: tf.Tensor) => {
      v.value = tf.zeros([3]);
      return tf.sum(T.forLoop((x: tf.Tensor) => { v.value = tf.add(v.value, tf.mul(w.value, x)); return tf.tanh(v.value); }, xs) as tf.Tensor);
    };
    const jg = T.jit(T.grad(f, { gradStates: w, returnValue: true }));
    const xs = tf.randomNormal([8, 3], 0, 1, 'float32', 2);
    tf.dispose(jg(xs) as unknown as tf.Tensor[]);
    expectNoLeaks(() => tf.dispose(jg(xs) as unknown as tf.Tensor[]), 50);
  });

  it('carries that are float32 casts of int32 beyond 2^24 keep their stored values in the residuals (fuzz seed 901644)', () => {
    // tfjs-cpu's cast of an int32 to float32 shares the Int32Array, so 16777217 stays exact;
    // eagerly the tape reads each step's carry as it is, and so must the compiled backward.
    const big = tf.tensor2d([[8, -16777217, 33554433, 5]], [1, 4], 'int32');
    const init = (ints: tf.Tensor) => {
      const c0 = tf.cast(ints, 'float32');
      return T.grad((i: tf.Tensor, x: tf.Tensor) => {
        const [c] = T.scan((c: tf.Tensor) => [tf.squaredDifference(tf.scalar(0.625), c), undefined], i, x);
        return tf.sum(c);
      }, { argnums: [0, 1] })(c0, tf.broadcastTo(c0, [2, 4])) as tf.Tensor[];
    };
    expectSame(T.jit(init)(big), init(big), 0, 'initial carry');
  });

  it('a carry the body makes as a float32 cast of an int32 row beyond 2^24 keeps its stored values in the residuals', () => {
    // Step 1's residual, read by an invariant's gradient.
    const xs = tf.tensor2d([[16777217, -3], [-16777219, 7], [2, 33554435]], [3, 2], 'int32');
    const body = (xsi: tf.Tensor, w: tf.Tensor) => T.grad((w: tf.Tensor) => {
      const [, ys] = T.scan((c: tf.Tensor, x: tf.Tensor) => [tf.cast(x, 'float32'), tf.mul(tf.sub(c, 1.5), w)], tf.zeros([2]), xsi);
      return tf.sum(ys as tf.Tensor);
    })(w) as tf.Tensor;
    const w = tf.tensor1d([0.5, -1.25]);
    expectSame(T.jit(body)(xs, w), body(xs, w), 0, 'carry made in the body');
  });

  it('an op without a gradient on a path from a captured tensor: the needed gradients flow, as eagerly (fuzz seed 564)', () => {
    const f = (v0: tf.Tensor) => {
      const v1 = tf.mul(v0, 2);
      const g = T.grad((i: tf.Tensor, x: tf.Tensor) => {
        const [c, ys] = T.scan((_c: tf.Tensor, r: tf.Tensor) => [tf.cast(tf.less(v1, -0.5), 'float32'), tf.mul(r, v1)], i, x);
        return tf.add(tf.sum(c), tf.sum(ys));
      }, { argnums: [0, 1] });
      return g(v1, tf.stack([v1, v1, v1])) as tf.Tensor[];
    };
    const x = tf.tensor1d([0.3, -2]);
    expectSame(T.jit(f)(x), f(x), 0, 'grads');
    // Asking for the gradient through the op without one is the error, eagerly and jitted.
    const h = (w: tf.Tensor) => T.grad((u: tf.Tensor) => {
      const [c] = T.scan((_c: tf.Tensor, r: tf.Tensor) => [tf.cast(tf.less(u, r), 'float32'), undefined], tf.zeros([2]), tf.ones([3, 2]));
      return tf.sum(c);
    })(w);
    expect(() => h(x)).to.throw(/gradient function not found for Less/);
    expect(() => T.jit(h)(x)).to.throw(/Less/);
  });
  it('a carry the body returns as it got it is the initial carry\'s data, in the call that traces too', () => {
    // Eagerly the loop hands back the data it started from: on webgpu the dead tf.sum of the final carry uploads
    // the argument, so the backward Mul on it and the exp of the gradient run on the GPU (SwiftShader's exp is
    // 1 ulp from the CPU form's). The trace's copy of the node's output left the argument on the host.
    const f = (v0: tf.Tensor): tf.Tensor => {
      const [dv] = T.grad((init: tf.Tensor, xs: tf.Tensor) => {
        const [c, ys] = T.scan((a: tf.Tensor, _x: tf.Tensor) => [a, tf.mul(a, a)], init, xs) as [tf.Tensor, tf.Tensor];
        return tf.add(tf.sum(c), tf.sum(ys));
      }, { argnums: [0, 1] })(v0, tf.reshape(v0, [-1])) as tf.Tensor[];
      return tf.exp(dv);
    };
    const jf = T.jit(f);
    for (let call = 0; call < 2; call++) expectTensorClose(jf(tf.scalar(0.5)), f(tf.scalar(0.5)), 0, `call ${call}`);
    expect(jf.traceCount).to.equal(1);
  });

  it('the stacked residuals upload no initial carry (fuzz seed 1218630)', () => {
    // Eager's tape has no stack of the carries. On webgpu tfjs's Pack of them ran on the GPU (step 1's carry is
    // GPU data: argMax has no CPU form) and uploaded row 0, the argument itself, so the backward step of row 0
    // cast Infinity to int32 on the GPU (2147483647, so the minimum's mask was 0) where eager's argument stayed
    // on the host and the CPU form's cast gave 0 (mask 1).
    const f = (init: tf.Tensor, xs: tf.Tensor): tf.Tensor => T.grad((i: tf.Tensor) => {
      const [c] = T.scan((carry: tf.Tensor, x: tf.Tensor) =>
        [tf.cast(tf.minimum(tf.cast(carry, 'int32'), tf.argMax(x, 0)), 'float32'), undefined], i, xs) as [tf.Tensor, unknown];
      return tf.sum(c);
    })(init) as tf.Tensor;
    const xs = tf.tensor3d([[[1, -2, 3, 0.5], [4, 2, -1, 0]], [[0, 5, 1, -3], [2, 1, 7, 6]]]);
    const jf = T.jit(f);
    for (let call = 0; call < 2; call++) {
      const init = () => tf.tensor1d([0.25, -Infinity, 0.75, Infinity]);
      expectTensorClose(jf(init(), xs), f(init(), xs), 0, `call ${call}`);
    }
    expect(jf.traceCount).to.equal(1);
  });

  it('the trace of the backward body uploads no captured argument the forward loop reads, in the call that traces (fuzz seed 2507652)', async () => {
    // The backward body is traced as the forward node is recorded, before the forward loop runs. On webgpu its
    // gradient Mul of the captured v uploaded v, so the loop's floorDiv(v, carry) ran on the GPU (1e10 / 0.2
    // saturates to -2147483648 through f32) where eager's ran on the host (it wraps), and a plain call's results
    // are its trace's. The backward trace now runs on copies.
    const f = (v: tf.Tensor, init: tf.Tensor): tf.Tensor => T.grad((i: tf.Tensor) => {
      const [c] = T.scan((carry: tf.Tensor, _x: tf.Tensor) =>
        [tf.cast(tf.floorDiv(v, carry), 'float32'), undefined], i, v) as [tf.Tensor, unknown];
      return tf.sum(c);
    })(init) as tf.Tensor;
    const jf = T.jit(f);
    for (let call = 0; call < 2; call++) {
      const args = (): [tf.Tensor, tf.Tensor] => [tf.tensor1d([1e10, 3, -3]), tf.tensor1d([0.2, 1, 2])];
      // Read whole: the values may be infinite (wasm floors 1e10 / 0.2 to 0).
      expect(Array.from(await jf(...args()).data()), `call ${call}`).to.deep.equal(Array.from(await f(...args()).data()));
    }
    expect(jf.traceCount).to.equal(1);
  });
});

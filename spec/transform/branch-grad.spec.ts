/**
 * Reverse-mode gradients through cond / switch / ifelse: eagerly (the branch taken is on
 * the tape) and inside jit (a custom gradient running the branches' vector-Jacobian
 * products) agree, for operands, captured tensors and states, read or written; a
 * second-order gradient through a compiled branch is a clear error; nothing leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { callJitted, expectNoLeaks, expectTensorClose, expectThrowsWith } from '../helpers';

const T = bst.transform;
const i32 = (i: number) => tf.scalar(i, 'int32');

/** Asserts two gradient trees are equal bit for bit. */
function expectSame(a: unknown, b: unknown, what: string): void {
  const la = (Array.isArray(a) ? a.flat(3) : [a]) as tf.Tensor[];
  const lb = (Array.isArray(b) ? b.flat(3) : [b]) as tf.Tensor[];
  expect(la.length, what).to.equal(lb.length);
  la.forEach((t, k) => expectTensorClose(t, lb[k], 0, `${what} leaf ${k}`));
}

describe('gradients through branches', () => {
  // Jitted calls go through callJitted (callAsync on webgpu, where the branch index lives on the GPU).
  it('cond: operands, a captured tensor and a read state; eager == jit for both branches', async () => {
    const w = new bst.ParamState(tf.tensor1d([0.5, -1.5, 2]));
    const f = (x: tf.Tensor, k: tf.Tensor) => {
      const h = tf.mul(x, k); // captured by the branches
      return tf.sum(T.cond(tf.greater(tf.sum(x), 0),
        (y: tf.Tensor) => tf.mul(tf.sin(y), tf.mul(h, w.value)),
        (y: tf.Tensor) => tf.add(tf.square(y), h), x));
    };
    const g = T.grad(f, { gradStates: w, argnums: [0, 1], returnValue: true, checkStates: false });
    const jg = T.jit(g);
    for (const x of [tf.tensor1d([1, 2, -0.5]), tf.tensor1d([-1, -2, 0.5])]) {
      const k = tf.scalar(1.25);
      const label = `x=${Array.from(await x.data())}`;
      expectSame(await callJitted(jg, x, k), g(x, k), label);
    }
    expect(jg.traceCount).to.equal(1);
    // The numbers: d/dx of sum(sin(x) * x*k*w) = cos(x)·x·k·w + sin(x)·k·w.
    const x = tf.tensor1d([1, 2, -0.5]);
    const [[, [gx]]] = await callJitted(jg, x, tf.scalar(1.25)) as unknown as [[tf.Tensor, tf.Tensor[]]];
    const want = tf.tidy(() => tf.add(tf.mul(tf.mul(tf.cos(x), x), tf.mul(1.25, w.value)), tf.mul(tf.sin(x), tf.mul(1.25, w.value))));
    expectTensorClose(gx, want, 1e-6);
  });

  it('switch: a state written in one branch and read by the loss; states in gradStates; index clamps', () => {
    const s = new bst.HiddenState<tf.Tensor>(tf.scalar(0));
    const w = new bst.ParamState(tf.scalar(3));
    const branches = [
      (x: tf.Tensor) => { s.value = tf.mul(x, w.value); return tf.square(x); },
      (x: tf.Tensor) => tf.mul(x, w.value),
      (x: tf.Tensor) => { s.value = tf.exp(x); return x; },
    ];
    const loss = (i: tf.Tensor, x: tf.Tensor) => tf.add(T.switch(i, branches, x), tf.mul(s.value, 2));
    const g = T.grad(loss, { gradStates: w, argnums: 1, checkStates: false });
    const jg = T.jit(g);
    for (const i of [-1, 0, 1, 2, 9]) {
      s.value = tf.scalar(0);
      const eager = g(i32(i), tf.scalar(0.7));
      s.value = tf.scalar(0);
      const jitted = jg(i32(i), tf.scalar(0.7));
      expectSame(jitted, eager, `index ${i}`);
    }
    // index 0: loss = x² + 2·x·w → d/dx = 2x + 2w, d/dw = 2x.
    const [gw, gx] = jg(i32(0), tf.scalar(0.7)) as unknown as tf.Tensor[];
    expectTensorClose(gx, [2 * 0.7 + 2 * 3], 1e-6);
    expectTensorClose(gw, [2 * 0.7], 1e-6);
  });

  it('an int result and a nested branch inside a branch differentiate through the float path', async () => {
    const f = (x: tf.Tensor) => {
      const [y, n] = T.cond(tf.greater(x, 1),
        (z: tf.Tensor) => [T.cond(tf.greater(z, 2), (u: tf.Tensor) => tf.pow(u, 3), (u: tf.Tensor) => tf.pow(u, 2), z), tf.scalar(1, 'int32')],
        (z: tf.Tensor) => [tf.neg(z), tf.scalar(0, 'int32')], x) as tf.Tensor[];
      return tf.mul(y, tf.cast(tf.add(n, 1), 'float32'));
    };
    const g = T.grad(f);
    const jg = T.jit(g);
    for (const [x, want] of [[3, 2 * 27], [1.5, 2 * 3], [0.5, -1]]) {
      expectTensorClose(g(tf.scalar(x)) as tf.Tensor, [want], 1e-5);
      expectSame(await callJitted(jg, tf.scalar(x)), g(tf.scalar(x)), `x=${x}`);
    }
  });

  it('a branch inside a jitted forLoop under a gradient (the loop unrolls on the tape)', () => {
    const f = (xs: tf.Tensor, w: tf.Tensor) => tf.sum(T.forLoop((x: tf.Tensor) =>
      T.cond(tf.greater(x, 0), (y: tf.Tensor) => tf.mul(y, w), (y: tf.Tensor) => tf.mul(tf.square(y), w), x), xs));
    const g = T.grad(f, { argnums: 1 });
    const xs = tf.tensor1d([1, -2, 3, -4]);
    expectSame(T.jit(g)(xs, tf.scalar(2)), g(xs, tf.scalar(2)), 'grad w');
    expectTensorClose(T.jit(g)(xs, tf.scalar(2)) as tf.Tensor, [1 + 4 + 3 + 16]);
  });

  it('a loss that does not reach the branch gives zeros and frees the backward branches', () => {
    const s = new bst.HiddenState(tf.scalar(0));
    const f = (x: tf.Tensor) => {
      T.cond(tf.greater(x, 0), () => { s.value = tf.mul(x, 2); }, () => { s.value = tf.scalar(1); });
      return tf.mul(x, 3);
    };
    const g = (x: tf.Tensor) => T.grad(f)(x);
    const x = tf.scalar(2);
    expectNoLeaks(() => {
      const j = T.jit(g); // a new trace each time
      tf.dispose(j(x));
      j.clearCache();
    }, 5);
    expectTensorClose(T.jit(g)(x) as tf.Tensor, [3]);
    expect(s.value.dataSync()[0]).to.equal(4);
  });

  it('200 jitted gradient calls through a switch leave numTensors flat', () => {
    const w = new bst.ParamState(tf.tensor1d([1, 2]));
    const jg = T.jit(T.grad((i: tf.Tensor) => tf.sum(T.switch(i, [
      () => tf.mul(w.value, w.value), () => tf.sin(w.value), () => w.value]) as tf.Tensor), { gradStates: w }));
    const idx = [0, 1, 2].map(i32);
    tf.dispose(jg(idx[0]));
    expectNoLeaks((k) => tf.dispose(jg(idx[k % 3])), 200);
  });

  it('a branch with an op tfjs cannot differentiate: an error only when the loss reaches the branch', async () => {
    const s = new bst.HiddenState(tf.scalar(0));
    const f = (x: tf.Tensor, use: boolean) => {
      const y = T.cond(tf.greater(tf.sum(x), 0), (v: tf.Tensor) => { s.value = tf.sum(tf.cumprod(v)); return tf.square(v); },
        (v: tf.Tensor) => v, x) as tf.Tensor;
      return use ? tf.add(tf.sum(y), s.value) : tf.sum(tf.square(x));
    };
    const x = tf.tensor1d([1, 2]);
    expectTensorClose(await callJitted(T.jit(T.grad((v: tf.Tensor) => f(v, false))), x) as tf.Tensor, [2, 4]);
    const failing = T.jit(T.grad((v: tf.Tensor) => f(v, true)));
    const error = await callJitted(failing, x).then(() => undefined, (e: unknown) => e);
    expectThrowsWith(() => { if (error !== undefined) throw error; }, bst.TraceError, 'could not be built', 'Cumprod');
  });

  it('a second-order gradient through a compiled branch is a clear error (outside jit it works)', () => {
    const f = (x: tf.Tensor) => T.cond(tf.greater(x, 0), (y: tf.Tensor) => tf.pow(y, 3), (y: tf.Tensor) => y, x);
    const gg = (x: tf.Tensor) => tf.grad(tf.grad(f))(x);
    expectTensorClose(gg(tf.scalar(2)), [12]);
    expectThrowsWith(() => T.jit(gg)(tf.scalar(2)), bst.TraceError, 'second-order gradient through a traced branch');
  });
});

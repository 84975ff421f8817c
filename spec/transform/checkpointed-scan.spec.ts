/**
 * checkpointedScan / checkpointedForLoop (BrainState's checkpointed_scan / checkpointed_for_loop):
 * the results of scan / forLoop, and gradients equal to the plain loop's, eagerly and under
 * jit; the memory a gradient keeps grows far slower than the number of steps.
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

function expectSame(a: unknown, b: unknown, tol: number, what: string): void {
  const la = leavesOf(a);
  const lb = leavesOf(b);
  expect(la.length, what).to.equal(lb.length);
  la.forEach((t, k) => expectTensorClose(t, lb[k], tol, `${what} leaf ${k}`));
}

/** A loss over a loop with a carry, xs, a captured tensor, a read state and a written state. */
function model(loop: 'plain' | 'checkpointed', base?: number) {
  const w = new bst.ParamState(tf.tensor1d([0.5, -0.3, 0.8]));
  const v = new bst.HiddenState(tf.zeros([3]));
  const f = (x0: tf.Tensor, xs: tf.Tensor, k: tf.Tensor) => {
    v.value = tf.zeros([3]);
    const h = tf.mul(k, 2); // made inside the loss: freed by tfjs before the backward pass
    const body = (c: tf.Tensor, x: tf.Tensor): [tf.Tensor, tf.Tensor] => {
      const n = tf.add(tf.mul(tf.tanh(c), w.value), tf.mul(x, h));
      v.value = tf.add(tf.mul(v.value, 0.9), n);
      return [n, tf.square(n)];
    };
    const [c, ys] = loop === 'plain' ? T.scan(body, x0, xs) : T.checkpointedScan(body, x0, xs, { base });
    return tf.add(tf.sum(tf.mul(c, v.value)), tf.sum(ys));
  };
  return { w, v, g: T.grad(f, { gradStates: w, argnums: [0, 1, 2], returnValue: true }) };
}

describe('checkpointedScan', () => {
  for (const [steps, base] of [[37, 4], [16, 4], [5, 16], [50, 7]] as const) {
    it(`${steps} steps, base ${base}: gradients equal the plain scan's, eagerly and under jit`, () => {
      const x0 = tf.tensor1d([0.1, 0.2, 0.3]);
      const xs = tf.randomNormal([steps, 3], 0, 1, 'float32', 5);
      const k = tf.scalar(0.7);
      const plain = model('plain');
      const ck = model('checkpointed', base);
      const want = plain.g(x0, xs, k);
      // The same kernels run, but the gradients of the loop invariants (w, the captured h)
      // and of the carry are summed block by block rather than step by step: float rounding.
      expectSame(ck.g(x0, xs, k), want, 1e-5, 'eager');
      expectSame(ck.v.value, plain.v.value, 0, 'state');
      expectSame(T.jit(ck.g)(x0, xs, k), want, 1e-5, 'jit');
      expectSame(ck.v.value, plain.v.value, 0, 'state (jit)');
    });
  }

  it('values: checkpointedScan and checkpointedForLoop return what scan and forLoop return', () => {
    const xs = tf.randomNormal([23, 2], 0, 1, 'float32', 1);
    const body = (c: tf.Tensor, x: tf.Tensor): [tf.Tensor, tf.Tensor[]] => [tf.add(c, x), [tf.mul(c, x), tf.cast(tf.greater(x, 0), 'int32')]];
    expectSame(T.checkpointedScan(body, tf.zeros([2]), xs, { base: 3 }), T.scan(body, tf.zeros([2]), xs), 0, 'eager');
    expectSame(T.jit((a: tf.Tensor) => T.checkpointedScan(body, tf.zeros([2]), a, { base: 3 }))(xs),
      T.scan(body, tf.zeros([2]), xs), 0, 'jit');
    const s = new bst.HiddenState(tf.scalar(1));
    const f = (x: tf.Tensor) => { s.value = tf.mul(s.value, tf.add(x, 1)); return s.value; };
    const a = T.checkpointedForLoop(f, tf.range(0, 10), { base: 2 }) as tf.Tensor;
    expectTensorClose(a, tf.tensor1d([1, 2, 6, 24, 120, 720, 5040, 40320, 362880, 3628800]), 0);
  });

  it('errors: zero steps and a bad base', () => {
    expectThrowsWith(() => T.checkpointedScan((c: tf.Tensor, x: tf.Tensor) => [c, x], tf.scalar(0), tf.zeros([0])),
      bst.TraceError, 'at least one step');
    expectThrowsWith(() => T.checkpointedScan((c: tf.Tensor, x: tf.Tensor) => [c, x], tf.scalar(0), tf.zeros([3]), { base: 1 }),
      bst.TraceError, 'base to be an integer >= 2');
  });
});

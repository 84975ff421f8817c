/**
 * Reverse-mode gradients through scan / forLoop inside jit: one traced body (a forward scan
 * node stacking the carries, a reverse scan node over the body's VJP), equal to the
 * eager gradient, which tfjs's tape takes through the unrolled loop.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { expectNoLeaks, expectTensorClose } from '../helpers';

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
});

/**
 * Fused SIMD kernels take 16 elements per step of their main loop, then groups of four,
 * then the JS loop for the last size % 4 (issue 19). Every size from 1 to 70 (all three
 * parts, alone and together), with a bool input, a bool and a float output, a scalar and
 * a row broadcast, gives eager tfjs's bits.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { isFusionTarget } from '../../src/compiler/fusion/ops';
import { expectBitEqual } from '../helpers';

describe('fused SIMD kernels: the 16-element main loop and its tails (issue 19)', () => {
  before(function () {
    if (!isFusionTarget(bst.backend.name())) {
      console.log(`      SIMD unroll specs skipped: no fused elementwise kernels on ${bst.backend.name()}`);
      this.skip();
    }
  });

  it('sizes 1..70: bool input and outputs, a scalar, a float output, eager bits', () => {
    const f = (x: tf.Tensor, m: tf.Tensor, s: tf.Tensor): tf.Tensor[] => {
      const y = tf.add(tf.mul(x, s), 0.5);
      const above = tf.logicalAnd(tf.greater(y, 0.25), m);
      return [above, tf.where(above, tf.zerosLike(y), tf.sub(y, 1)), tf.logicalNot(above)];
    };
    const g = bst.transform.jit(f);
    for (let n = 1; n <= 70; n++) {
      const x = tf.tidy(() => tf.sin(tf.mul(tf.range(0, n), 1.7)));
      const m = tf.tidy(() => tf.notEqual(tf.mod(tf.range(0, n, 1, 'int32'), 3), 0));
      const s = tf.scalar(1.25);
      g.compile(x, m, s); // a first call would return the trace's own (eager) results
      const jitted = g(x, m, s);
      const eager = f(x, m, s);
      jitted.forEach((t, k) => expectBitEqual(t, eager[k], `size ${n}, output ${k}`));
      tf.dispose([x, m, s, ...jitted, ...eager]);
    }
  });

  it('a row broadcast (period 8) over 3..9 rows, eager bits', () => {
    const f = (x: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.maximum(tf.add(x, b), tf.mul(x, 0.5));
    const g = bst.transform.jit(f);
    const b = tf.tensor([0.5, -1, 2, 0.25, -0.125, 3, -2, 1]);
    for (let rows = 3; rows <= 9; rows++) {
      const x = tf.tidy(() => tf.reshape(tf.cos(tf.range(0, rows * 8)), [rows, 8]));
      g.compile(x, b);
      const r = g(x, b);
      const e = f(x, b);
      expectBitEqual(r, e, `${rows} rows`);
      tf.dispose([x, r, e]);
    }
    b.dispose();
  });
});

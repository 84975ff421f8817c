/**
 * Fused SIMD kernels on memory outside a WebAssembly heap (tfjs-cpu's arrays) copy through
 * a private heap in chunks of COPY_CHUNK elements (issue 19): a domain of several chunks
 * and a partial one, with a state updated in place, a bool output, a scalar and a row
 * broadcast input, gives eager tfjs's bits. On wasm the same program runs in place.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { COPY_CHUNK } from '../../src/compiler/fusion/scratch';
import { isFusionTarget } from '../../src/compiler/fusion/ops';
import { expectBitEqual } from '../helpers';

describe('fused kernels over several copy chunks (issue 19)', () => {
  before(function () {
    if (!isFusionTarget(bst.backend.name())) {
      console.log(`      copy-chunk specs skipped: no fused elementwise kernels on ${bst.backend.name()}`);
      this.skip();
    }
  });

  it('a LIF-like step over 2 chunks and a partial one (size not a multiple of 4) keeps eager bits', () => {
    const n = 2 * COPY_CHUNK + 4 * 37 + 3;
    const input = tf.tidy(() => tf.add(tf.mul(tf.sin(tf.range(0, n)), 0.8), 1.1));
    const gain = tf.scalar(0.3);
    const step = (v: bst.HiddenState, i: tf.Tensor): tf.Tensor => {
      const vNew = tf.add(v.value, tf.mul(gain, tf.sub(i, v.value)));
      const spike = tf.greaterEqual(vNew, 1);
      v.value = tf.where(spike, tf.fill(vNew.shape, -0.25), vNew);
      return spike;
    };
    const vJit = new bst.HiddenState(tf.zeros([n]));
    const vEager = new bst.HiddenState(tf.zeros([n]));
    const f = bst.transform.jit((i: tf.Tensor) => step(vJit, i));
    for (let s = 0; s < 6; s++) {
      const sj = f(input);
      const se = tf.tidy(() => step(vEager, input));
      expectBitEqual(sj, se, `spike at step ${s}`);
      expectBitEqual(vJit.value, vEager.value, `v at step ${s}`);
      tf.dispose([sj, se]);
    }
    tf.dispose([input, gain, vJit.value, vEager.value]);
  });

  it('a row-broadcast input (a bias) over more than a chunk is copied whole and keeps eager bits', () => {
    const rows = Math.ceil((COPY_CHUNK + 100) / 64);
    const x = tf.tidy(() => tf.reshape(tf.cos(tf.range(0, rows * 64)), [rows, 64]));
    const b = tf.tidy(() => tf.mul(tf.range(0, 64), 0.01));
    const f = bst.transform.jit((y: tf.Tensor) => tf.maximum(tf.add(tf.mul(y, 1.5), b), 0));
    f.compile(x); // a first call would return the trace's own (eager) results
    const r = f(x) as tf.Tensor;
    const e = f.originFun(x) as tf.Tensor;
    expectBitEqual(r, e, 'result');
    tf.dispose([x, b, r, e]);
  });
});

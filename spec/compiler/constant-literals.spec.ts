/**
 * Constants made inside a traced function are literals of the fused kernel (issue 19),
 * whatever op made them: `fill`, `zerosLike`, `onesLike`, `ones`, a scalar broadcast, a
 * `tf.tensor` of literal values, a cast of a constant. None is a tensor the kernel reads
 * from memory at each call. Results are bit-equal to eager tfjs (Object.is on every element).
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { isFusionTarget } from '../../src/compiler/fusion/ops';
import { expectBitEqual } from '../helpers';

const N = 37; // not a multiple of 16 or 4: the SIMD main loop, its tail of groups of four, and the JS tail
const V_RESET = -0.5;

/** Ways of writing the reset value of a LIF step, each a constant made inside the trace. */
const RESETS: Record<string, (vNew: tf.Tensor) => tf.Tensor> = {
  'tf.fill(vNew.shape, V_RESET)': (vNew) => tf.fill(vNew.shape, V_RESET),
  'tf.zerosLike(vNew)': (vNew) => tf.zerosLike(vNew),
  'tf.onesLike(vNew) * V_RESET': (vNew) => tf.mul(tf.onesLike(vNew), V_RESET),
  'tf.ones(shape)': (vNew) => tf.ones(vNew.shape),
  'tf.zeros(shape)': (vNew) => tf.zeros(vNew.shape),
  'a broadcast scalar': (vNew) => tf.broadcastTo(tf.scalar(V_RESET), vNew.shape),
  'tf.tensor of literal values': () => tf.tensor(new Array<number>(N).fill(V_RESET)),
  'a cast of an int32 fill': (vNew) => tf.cast(tf.fill(vNew.shape, -2, 'int32'), 'float32'),
};

function lifStep(v: bst.HiddenState, input: tf.Tensor, reset: (vNew: tf.Tensor) => tf.Tensor): tf.Tensor {
  const vNew = tf.add(v.value, tf.mul(0.1, tf.add(tf.neg(v.value), input)));
  const spike = tf.greaterEqual(vNew, 1);
  v.value = tf.where(spike, reset(vNew), vNew);
  return spike;
}

describe('constants made inside a trace are literals of the fused kernel (issue 19)', () => {
  before(function () {
    if (!isFusionTarget(bst.backend.name())) {
      console.log(`      constant-literal specs skipped: no fused elementwise kernels on ${bst.backend.name()}`);
      this.skip();
    }
  });

  for (const [name, reset] of Object.entries(RESETS)) {
    it(`LIF reset written as ${name}: no constant tensor input, results bit-equal to eager`, () => {
      const input = tf.tidy(() => tf.add(tf.mul(tf.range(0, N), 0.05), 1));
      const vJit = new bst.HiddenState(tf.zeros([N]));
      const vEager = new bst.HiddenState(tf.zeros([N]));
      const step = bst.transform.jit((i: tf.Tensor) => lifStep(vJit, i, reset));
      const text = step.lower(input).toString();
      const fused = text.split('\n').filter((l) => l.includes('= Fused('));
      expect(fused, text).to.have.length(1);
      expect(text, 'no constant tensor in the program').to.not.match(/^\s*const /m);
      expect(fused[0], 'the reset value is a literal, not an op').to.not.match(/ZerosLike|OnesLike|Fill/);
      expect(fused[0], 'the fused kernel reads the state and the input only').to.match(/Fused\(\w+, \w+\)/);
      for (let s = 0; s < 25; s++) {
        const spikeJit = step(input);
        const spikeEager = tf.tidy(() => lifStep(vEager, input, reset));
        expectBitEqual(spikeJit, spikeEager, `spike at step ${s}`);
        expectBitEqual(vJit.value, vEager.value, `v at step ${s}`);
        tf.dispose([spikeJit, spikeEager]);
      }
      step.clearCache();
      tf.dispose([input, vJit.value, vEager.value]);
    });
  }

  it('a zerosLike the function also returns stays an op of the kernel (its output escapes) and keeps its bits', () => {
    const x = tf.tensor([-1, 0, 2, NaN, -0, 3, 4, 5, 6]);
    const f = bst.transform.jit((y: tf.Tensor) => {
      const z = tf.zerosLike(y);
      return [z, tf.where(tf.greater(y, 1), z, y)];
    });
    const [zj, rj] = f(x) as tf.Tensor[];
    const [ze, re] = f.originFun(x) as tf.Tensor[];
    expectBitEqual(zj, ze, 'zerosLike');
    expectBitEqual(rj, re, 'where');
    tf.dispose([x, zj, rj, ze, re]);
  });

  it('a bool onesLike and an int32 zerosLike become literals of their own dtype', () => {
    const x = tf.tensor([3, -2, 0, 7, 1, 9, -4, 2], undefined, 'int32');
    const f = bst.transform.jit((y: tf.Tensor) => {
      const mask = tf.logicalAnd(tf.greater(y, 0), tf.onesLike(tf.greater(y, -100)));
      return tf.where(mask, tf.add(y, 1), tf.zerosLike(y));
    });
    const text = f.lower(x).toString();
    expect(text.split('\n').find((l) => l.includes('= Fused(')), text).to.not.match(/ZerosLike|OnesLike/);
    const r = f(x) as tf.Tensor;
    const e = f.originFun(x) as tf.Tensor;
    expectBitEqual(r, e, 'result');
    tf.dispose([x, r, e]);
  });
});

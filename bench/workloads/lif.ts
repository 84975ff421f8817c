/**
 * One Euler step of N leaky integrate-and-fire neurons:
 * v += dt/tau * (-v + I); spike = v >= 1; v = where(spike, 0, v).
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import type { Case } from '../harness';

const DT = 0.1;
const TAU = 10;

function lifStep(v: bst.HiddenState, input: tf.Tensor): tf.Tensor {
  const next = tf.add(v.value, tf.mul(DT / TAU, tf.add(tf.neg(v.value), input)));
  const spike = tf.greaterEqual(next, 1);
  v.value = tf.where(spike, tf.zerosLike(next), next);
  return spike;
}

/** Eager tfjs vs our jit for a LIF step of `n` neurons. */
export function lifCase(n: number): Case {
  const input = tf.keep(tf.fill([n], 1.5));
  const vEager = new bst.HiddenState(tf.zeros([n]));
  const vJit = new bst.HiddenState(tf.zeros([n]));
  const jitted = bst.transform.jit((i: tf.Tensor) => lifStep(vJit, i));
  const reps = Math.max(3, Math.min(2000, Math.round(2e6 / n)));
  return {
    workload: 'LIF step',
    size: `N=${n.toExponential(0)}`,
    reps,
    variants: [
      {
        name: 'eager',
        run(k) {
          for (let r = 0; r < k; r++) tf.tidy(() => { lifStep(vEager, input); });
          vEager.value.dataSync().subarray(0, 1);
        },
      },
      {
        name: 'jit',
        run(k) {
          for (let r = 0; r < k; r++) jitted(input).dispose();
          vJit.value.dataSync().subarray(0, 1);
        },
        dispose() { jitted.clearCache(); },
      },
    ],
  };
}

/**
 * A 1000-step LIF simulation of N neurons: eager tfjs step by step, 1000 calls of a
 * jitted step, and one jitted call running the whole loop (transform.forLoop).
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import type { Case, Variant } from '../harness';

const K = 0.01;

/** One LIF step of `v` with input `i` (reset to 0 at threshold 1); returns the spikes. */
export function lifSimStep(v: bst.HiddenState, i: tf.Tensor): tf.Tensor {
  const next = tf.add(v.value, tf.mul(K, tf.add(tf.neg(v.value), i)));
  const spike = tf.greaterEqual(next, 1);
  v.value = tf.where(spike, 0 as unknown as tf.Tensor, next);
  return spike;
}

/** The input currents, [steps, n]: a slow ramp from 1.2, so neurons spike at different steps. */
export function lifSimInputs(steps: number, n: number): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.mul(tf.range(0, steps * n).reshape([steps, n]), 1e-7), 1.2));
}

/** Eager vs jitted steps vs one jitted forLoop, for `steps` steps of `n` neurons. */
export async function lifSimCase(n: number, steps = 1000): Promise<Case> {
  const inputs = tf.keep(lifSimInputs(steps, n));
  const rows = tf.unstack(inputs).map((t) => tf.keep(t));
  const vE = new bst.HiddenState(tf.zeros([n]));
  const vS = new bst.HiddenState(tf.zeros([n]));
  const vL = new bst.HiddenState(tf.zeros([n]));
  const single = bst.transform.jit((i: tf.Tensor) => lifSimStep(vS, i));
  const loop = bst.transform.jit((x: tf.Tensor) => bst.transform.forLoop((i: tf.Tensor) => lifSimStep(vL, i), x) as tf.Tensor);
  const variants: Variant[] = [
    {
      name: 'eager',
      run(k) {
        for (let r = 0; r < k; r++) for (const row of rows) tf.tidy(() => { lifSimStep(vE, row); });
        vE.value.dataSync();
      },
    },
    {
      name: `jit step x${steps}`,
      run(k) {
        for (let r = 0; r < k; r++) for (const row of rows) single(row).dispose();
        vS.value.dataSync();
      },
      dispose() { single.clearCache(); },
    },
    {
      name: 'jit forLoop',
      run(k) {
        for (let r = 0; r < k; r++) loop(inputs).dispose();
        vL.value.dataSync();
      },
      dispose() { loop.clearCache(); },
    },
  ];
  return { workload: `LIF simulation, ${steps} steps`, size: `N=${n.toExponential(0)}`, reps: 1, variants };
}

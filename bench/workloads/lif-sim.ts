/**
 * A 1000-step LIF simulation of N neurons: eager tfjs step by step, 1000 calls of a
 * jitted step, and one jitted call running the whole loop (transform.forLoop).
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import type { Case, Variant } from '../harness';

const K = 0.01;

function step(v: bst.HiddenState, i: tf.Tensor): tf.Tensor {
  const next = tf.add(v.value, tf.mul(K, tf.add(tf.neg(v.value), i)));
  const spike = tf.greaterEqual(next, 1);
  v.value = tf.where(spike, 0 as unknown as tf.Tensor, next);
  return spike;
}

/** Eager vs jitted steps vs one jitted forLoop, for `steps` steps of `n` neurons. */
export async function lifSimCase(n: number, steps = 1000): Promise<Case> {
  const inputs = tf.keep(tf.tidy(() => tf.add(tf.mul(tf.range(0, steps * n).reshape([steps, n]), 1e-7), 1.2)));
  const rows = tf.unstack(inputs).map((t) => tf.keep(t));
  const vE = new bst.HiddenState(tf.zeros([n]));
  const vS = new bst.HiddenState(tf.zeros([n]));
  const vL = new bst.HiddenState(tf.zeros([n]));
  const single = bst.transform.jit((i: tf.Tensor) => step(vS, i));
  const loop = bst.transform.jit((x: tf.Tensor) => bst.transform.forLoop((i: tf.Tensor) => step(vL, i), x) as tf.Tensor);
  const variants: Variant[] = [
    {
      name: 'eager',
      run(k) {
        for (let r = 0; r < k; r++) for (const row of rows) tf.tidy(() => { step(vE, row); });
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

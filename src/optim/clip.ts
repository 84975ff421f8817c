/**
 * Gradient clipping, as optax's `clip` and `clip_by_global_norm` (braintools'
 * `grad_clip_value` and `grad_clip_norm`): tf ops only, so they work under jit.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Every gradient element clipped to `[-maxAbs, maxAbs]` (optax's `clip`, braintools'
 * `grad_clip_value`); tf ops only, so it works under jit.
 *
 * @example
 * ```ts
 * bst.optim.gradClipValue([tf.tensor1d([3, -0.5, -4])], 1)[0].print();   // [1, -0.5, -1]
 * ```
 * @param gs - the gradients.
 * @param maxAbs - the largest magnitude let through.
 * @returns the clipped gradients (new tensors).
 */
export function gradClipValue(gs: readonly tf.Tensor[], maxAbs: number): tf.Tensor[] {
  return gs.map((g) => tf.clipByValue(g, -maxAbs, maxAbs));
}

/**
 * `gs` scaled by `maxNorm / norm` when their global L2 norm exceeds `maxNorm`, else
 * unchanged (optax's `clip_by_global_norm`); tf ops only, so it works under jit.
 *
 * @example
 * ```ts
 * const [a, b] = bst.optim.clipByGlobalNorm([tf.tensor1d([3, 0]), tf.scalar(4)], 1);   // [0.6, 0], 0.8
 * ```
 * @param gs - the gradients.
 * @param maxNorm - the largest global norm let through.
 * @returns the clipped gradients (new tensors).
 */
export function clipByGlobalNorm(gs: readonly tf.Tensor[], maxNorm: number): tf.Tensor[] {
  const norm = tf.sqrt(tf.addN(gs.map((g) => tf.sum(tf.square(g)))));
  const scale = tf.where(tf.greater(norm, maxNorm), tf.div(maxNorm, norm), tf.onesLike(norm));
  return gs.map((g) => tf.mul(g, scale));
}

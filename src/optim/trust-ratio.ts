/**
 * The layer-wise trust ratio of LAMB and LARS (optax's `scale_by_trust_ratio`).
 */
import * as tf from '@tensorflow/tfjs';

/** `u · c‖p‖ / (‖u‖ + eps)`, or `u` where either norm is 0. */
export function scaleByTrustRatio(u: tf.Tensor, p: tf.Tensor, coefficient = 1, eps = 0): tf.Tensor {
  const pn = tf.norm(p);
  const un = tf.norm(u);
  const ratio = tf.div(tf.mul(coefficient, pn), tf.add(un, eps));
  const zero = tf.logicalOr(tf.equal(pn, 0), tf.equal(un, 0));
  return tf.mul(u, tf.where(zero, tf.onesLike(ratio), ratio));
}

/**
 * Activation functions, as BrainState's `brainstate.nn` functions: plain tfjs ops, so
 * they trace, differentiate and run on every backend.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * `max(x, 0)`.
 * @example
 * ```ts
 * bst.nn.relu(tf.tensor1d([-1, 2])).print();   // [0, 2]
 * ```
 * @see leakyRelu
 */
export function relu(x: tf.Tensor): tf.Tensor {
  return tf.relu(x);
}

/**
 * The logistic function `1 / (1 + exp(-x))`.
 * @example
 * ```ts
 * bst.nn.sigmoid(tf.scalar(0)).print();   // 0.5
 * ```
 */
export function sigmoid(x: tf.Tensor): tf.Tensor {
  return tf.sigmoid(x);
}

/**
 * The hyperbolic tangent.
 * @example
 * ```ts
 * bst.nn.tanh(tf.scalar(0)).print();   // 0
 * ```
 */
export function tanh(x: tf.Tensor): tf.Tensor {
  return tf.tanh(x);
}

/**
 * The Gaussian error linear unit. `approximate` (the default, as BrainState and JAX) uses
 * `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`; otherwise `0.5 x (1 + erf(x / sqrt 2))`.
 * @example
 * ```ts
 * bst.nn.gelu(tf.tensor1d([-1, 0, 1]));
 * bst.nn.gelu(tf.tensor1d([-1, 0, 1]), false);   // exact
 * ```
 */
export function gelu(x: tf.Tensor, approximate = true): tf.Tensor {
  return tf.tidy(() => {
    if (!approximate) return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
    const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
    return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
  });
}

/**
 * The sigmoid linear unit (swish) `x * sigmoid(x)`.
 * @example
 * ```ts
 * bst.nn.silu(tf.tensor1d([-1, 0, 1]));
 * ```
 */
export function silu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
}

/**
 * `log(1 + exp(x))`, computed stably.
 * @example
 * ```ts
 * bst.nn.softplus(tf.scalar(0)).print();   // 0.6931
 * ```
 */
export function softplus(x: tf.Tensor): tf.Tensor {
  return tf.softplus(x);
}

/**
 * `x` where positive, `negativeSlope * x` elsewhere (default slope 0.01, as BrainState).
 * @example
 * ```ts
 * bst.nn.leakyRelu(tf.tensor1d([-1, 2]), 0.1).print();   // [-0.1, 2]
 * ```
 * @see relu
 */
export function leakyRelu(x: tf.Tensor, negativeSlope = 0.01): tf.Tensor {
  return tf.leakyRelu(x, negativeSlope);
}

/**
 * The exponential linear unit: `x` where positive, `alpha (exp(x) - 1)` elsewhere.
 * @example
 * ```ts
 * bst.nn.elu(tf.tensor1d([-1, 2]));
 * ```
 */
export function elu(x: tf.Tensor, alpha = 1): tf.Tensor {
  if (alpha === 1) return tf.elu(x);
  return tf.tidy(() => tf.where(tf.greater(x, 0), x, tf.mul(alpha, tf.sub(tf.exp(x), 1))));
}

/**
 * The softmax along `axis` (default the last).
 * @example
 * ```ts
 * bst.nn.softmax(tf.tensor2d([[1, 2, 3]])).sum(-1).print();   // [1]
 * ```
 * @see logSoftmax
 */
export function softmax(x: tf.Tensor, axis = -1): tf.Tensor {
  return tf.tidy(() => {
    const shifted = tf.sub(x, tf.max(x, axis, true)) // shift-invariant: the max needs no gradient stop;
    const e = tf.exp(shifted);
    return tf.div(e, tf.sum(e, axis, true));
  });
}

/**
 * The log of the softmax along `axis` (default the last), computed stably.
 * @example
 * ```ts
 * bst.nn.logSoftmax(tf.tensor2d([[1, 2, 3]]));
 * ```
 * @see softmax
 */
export function logSoftmax(x: tf.Tensor, axis = -1): tf.Tensor {
  return tf.tidy(() => {
    const shifted = tf.sub(x, tf.max(x, axis, true)) // shift-invariant: the max needs no gradient stop;
    return tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), axis, true)));
  });
}

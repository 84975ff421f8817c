/**
 * Spike functions with surrogate gradients (braintools' `surrogate`): the forward pass is
 * the Heaviside step `x >= 0`, the backward pass a smooth stand-in, so spiking networks
 * train by gradient descent. Built with `tf.customGrad`, so `tf.grad`, `transform.grad`
 * and the jit see an ordinary differentiable op.
 */
import * as tf from '@tensorflow/tfjs';

/** A spike function: Heaviside forward, some surrogate derivative backward. */
export type SpikeFunction = (x: tf.Tensor) => tf.Tensor;

/**
 * A spike function whose backward pass multiplies the incoming gradient by
 * `surrogateGrad(x)`.
 *
 * @example
 * ```ts
 * const spk = bst.nn.surrogate.custom((x) => tf.exp(tf.neg(tf.abs(x))));
 * spk(tf.tensor1d([-1, 0, 1])).print();   // [0, 1, 1]
 * ```
 */
export function custom(surrogateGrad: (x: tf.Tensor) => tf.Tensor): SpikeFunction {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const x = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([x]);
    return {
      value: tf.cast(tf.greaterEqual(x, 0), x.dtype),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(dy, surrogateGrad(saved[0]))],
    };
  });
  return (x: tf.Tensor) => f(x) as tf.Tensor;
}

/** Options of {@link reluGrad}. */
export interface ReluGradOptions {
  /** The slope of the triangle (default 0.3). */
  alpha?: number;
  /** Its half width (default 1). */
  width?: number;
}

/**
 * Heaviside with a triangular surrogate `max(alpha * width - alpha * |x|, 0)`, braintools'
 * `ReluGrad` and brainpy.state's default spike function for `LIF`.
 *
 * @example
 * ```ts
 * const spk = bst.nn.surrogate.reluGrad();
 * tf.grad(spk)(tf.scalar(0.5)).print();   // 0.15
 * ```
 * @see sigmoid
 */
export function reluGrad(options: ReluGradOptions = {}): SpikeFunction {
  const { alpha = 0.3, width = 1 } = options;
  return custom((x) => tf.relu(tf.sub(alpha * width, tf.mul(tf.abs(x), alpha))));
}

/** Options of {@link sigmoid}. */
export interface SigmoidOptions {
  /** The steepness (default 4). */
  alpha?: number;
}

/**
 * Heaviside with the derivative of `sigmoid(alpha x)` as surrogate, braintools' `Sigmoid`.
 *
 * @example
 * ```ts
 * const spk = bst.nn.surrogate.sigmoid({ alpha: 4 });
 * tf.grad(spk)(tf.scalar(0)).print();   // 1 (= alpha / 4)
 * ```
 * @see reluGrad
 */
export function sigmoid(options: SigmoidOptions = {}): SpikeFunction {
  const { alpha = 4 } = options;
  return custom((x) => {
    const s = tf.sigmoid(tf.mul(x, alpha));
    return tf.mul(tf.mul(s, tf.sub(1, s)), alpha);
  });
}

/**
 * The identity forward, zero gradient backward (JAX's `stop_gradient`).
 *
 * @example
 * ```ts
 * tf.grad((x) => tf.mul(bst.nn.surrogate.stopGradient(x), x))(tf.scalar(3)).print();   // 3
 * ```
 */
export const stopGradient: (x: tf.Tensor) => tf.Tensor = (() => {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
    value: tf.clone(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => [tf.zerosLike(dy)],
  }));
  return (x: tf.Tensor) => f(x) as tf.Tensor;
})();

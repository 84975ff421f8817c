/**
 * The statistics and the normalisation shared by `BatchNorm*`, `LayerNorm`, `RMSNorm`
 * and `GroupNorm`, as BrainState's `_compute_stats` / `_normalize`.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';

/** The value of a normalisation layer's `weight` state: a scale and / or a bias. */
export type NormParams = { readonly [key in 'scale' | 'bias']?: tf.Tensor } & { readonly [key: string]: tf.Tensor };

/** `axes` made non-negative for rank `rank`, sorted and unique; an error names `where`. */
export function canonicalAxes(rank: number, axes: number | readonly number[], where: string): number[] {
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const out = list.map((a) => {
    if (!Number.isInteger(a) || a < -rank || a >= rank) {
      throw new BrainStateError(`${where}: axis ${a} is out of range for rank ${rank}.`);
    }
    return a < 0 ? a + rank : a;
  });
  return [...new Set(out)].sort((a, b) => a - b);
}

/**
 * Mean and variance of `x` over `axes`, kept as size-1 axes. `fast`: the variance is
 * `max(0, E[x²] - E[x]²)` (BrainState's default `use_fast_variance`), else
 * `E[(x - E[x])²]`. `useMean` false: the mean is zero and the variance is `E[x²]` (RMSNorm).
 */
export function computeStats(x: tf.Tensor, axes: number[], fast = true, useMean = true): [tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    if (!useMean) {
      const v = tf.mean(tf.square(x), axes, true);
      return [tf.zerosLike(v), v];
    }
    const mu = tf.mean(x, axes, true);
    const v = fast ? tf.relu(tf.sub(tf.mean(tf.square(x), axes, true), tf.square(mu)))
      : tf.mean(tf.squaredDifference(x, mu), axes, true);
    return [mu, v];
  });
}

/** `(x - mean) / sqrt(var + eps)`, then `* scale + bias` where given. */
export function normalize(x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, eps: number, params?: NormParams): tf.Tensor {
  return tf.tidy(() => {
    let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
    if (params?.scale !== undefined) y = tf.mul(y, params.scale);
    if (params?.bias !== undefined) y = tf.add(y, params.bias);
    return y;
  });
}

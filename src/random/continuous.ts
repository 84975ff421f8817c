/**
 * The basic continuous distributions: `uniform`, `normal` and `truncatedNormal`, with
 * JAX's exact numbers for a key (each is one Threefry kernel plus, for tensor
 * parameters, elementwise tfjs ops).
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import { checkShape, drawWith, KeySource } from './key';
import { RANDOM_NORMAL, RANDOM_TRUNCATED_NORMAL, RANDOM_UNIFORM, runRandomKernel } from './kernels';
import { checkParam, locScale, Scalarish } from './params';
import { nextafter32 } from './threefry';

/** Options every draw takes. */
export interface KeyOptions {
  /** Draw from this key instead of advancing the generator's state (the key is not consumed). */
  key?: tf.Tensor;
}

/** Options of `normal`. */
export interface NormalOptions extends KeyOptions {
  /** The mean (default 0). */
  mean?: Scalarish;
  /** The standard deviation (default 1). */
  std?: Scalarish;
  /** Only `'float32'` (tfjs's float type). */
  dtype?: 'float32';
}

/** Options of `uniform`. */
export interface UniformOptions extends KeyOptions {
  /** The lower bound, inclusive (default 0). */
  minval?: Scalarish;
  /** The upper bound, exclusive (default 1). */
  maxval?: Scalarish;
}

/** Options of `truncatedNormal`. */
export interface TruncatedNormalOptions extends KeyOptions {
  /** The mean of the normal before truncation (a number, default 0); bounds are in the same units. */
  loc?: number;
  /** Its standard deviation (a positive number, default 1). */
  scale?: number;
}

/** `mean + std * z`, `z` as `jax.random.normal(key, shape)`. */
export function normal(src: KeySource, shape: readonly number[], options: NormalOptions = {}): tf.Tensor {
  const where = 'random.normal';
  const s = checkShape(shape, where);
  if (options.dtype !== undefined && options.dtype !== 'float32') {
    throw new BrainStateError(`${where}: expected dtype 'float32' (tfjs has no other float type), ` +
      `got '${String(options.dtype)}'.`);
  }
  if (options.mean !== undefined) checkParam(options.mean, 'mean', where);
  if (options.std !== undefined) checkParam(options.std, 'std', where);
  return drawWith(src, 'normal', options.key, (key) =>
    locScale(runRandomKernel(RANDOM_NORMAL, { key }, { shape: s }), options.mean, options.std));
}

/** Uniform in `[minval, maxval)`, as `jax.random.uniform`. */
export function uniform(src: KeySource, shape: readonly number[], options: UniformOptions = {}): tf.Tensor {
  const where = 'random.uniform';
  const s = checkShape(shape, where);
  if (options.minval !== undefined) checkParam(options.minval, 'minval', where);
  if (options.maxval !== undefined) checkParam(options.maxval, 'maxval', where);
  const { minval = 0, maxval = 1 } = options;
  if (typeof minval === 'number' && typeof maxval === 'number') {
    return drawWith(src, 'uniform', options.key, (key) =>
      runRandomKernel(RANDOM_UNIFORM, { key }, { shape: s, minval, maxval }));
  }
  // Tensor bounds: scale a [0, 1) draw with tensor ops, as JAX does.
  return drawWith(src, 'uniform', options.key, (key) => {
    const u = runRandomKernel(RANDOM_UNIFORM, { key }, { shape: s, minval: 0, maxval: 1 });
    return tf.maximum(minval, tf.add(tf.mul(u, tf.sub(maxval, minval)), minval));
  });
}

/**
 * A normal with mean `loc` and standard deviation `scale` truncated to `(lower, upper)`,
 * as `jax.random.truncated_normal` (inverse-CDF sampling of the standardised bounds,
 * then `loc + scale * x`, clipped into the open interval).
 */
export function truncatedNormal(src: KeySource, lower: number, upper: number, shape: readonly number[],
  options: TruncatedNormalOptions = {}): tf.Tensor {
  const where = 'random.truncatedNormal';
  if (typeof lower !== 'number' || typeof upper !== 'number' || Number.isNaN(lower) || Number.isNaN(upper) ||
      !(lower < upper)) {
    throw new BrainStateError(`${where}: expected numbers lower < upper, got lower=${lower}, upper=${upper}.`);
  }
  const { loc = 0, scale = 1 } = options;
  checkParam(loc, 'loc', where);
  checkParam(scale, 'scale', where, { above: 0 });
  const s = checkShape(shape, where);
  return drawWith(src, 'truncatedNormal', options.key, (key) => {
    if (loc === 0 && scale === 1) return runRandomKernel(RANDOM_TRUNCATED_NORMAL, { key }, { shape: s, lower, upper });
    const z = runRandomKernel(RANDOM_TRUNCATED_NORMAL, { key },
      { shape: s, lower: (lower - loc) / scale, upper: (upper - loc) / scale });
    // As BrainState: transform, then clip into the open interval (a rounding could touch a bound).
    return tf.clipByValue(locScale(z, loc, scale), nextafter32(Math.fround(lower), true),
      nextafter32(Math.fround(upper), false));
  });
}

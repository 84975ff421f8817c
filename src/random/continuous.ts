/**
 * Continuous distributions: `uniform` and `normal`, with JAX's exact numbers for a key.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import { checkShape, drawWith } from './key';
import { RANDOM_NORMAL, RANDOM_TRUNCATED_NORMAL, RANDOM_UNIFORM, runRandomKernel } from './kernels';

/** A number or a tensor that broadcasts against the drawn shape. */
export type Scalarish = number | tf.Tensor;

/** Options of {@link normal}. */
export interface NormalOptions {
  /** The mean (default 0). */
  mean?: Scalarish;
  /** The standard deviation (default 1). */
  std?: Scalarish;
  /** Only `'float32'` (tfjs's float type). */
  dtype?: 'float32';
  /** Draw from this key instead of advancing `random.DEFAULT` (the key is not consumed). */
  key?: tf.Tensor;
}

/** Options of {@link uniform}. */
export interface UniformOptions {
  /** The lower bound, inclusive (default 0). */
  minval?: Scalarish;
  /** The upper bound, exclusive (default 1). */
  maxval?: Scalarish;
  /** Draw from this key instead of advancing `random.DEFAULT` (the key is not consumed). */
  key?: tf.Tensor;
}

function checkFinite(x: Scalarish | undefined, name: string, where: string): void {
  if (typeof x === 'number' && !Number.isFinite(x)) {
    throw new BrainStateError(`${where}: expected ${name} to be a finite number or a tensor, got ${x}.`);
  }
  if (x !== undefined && typeof x !== 'number' && !(x instanceof tf.Tensor)) {
    throw new BrainStateError(`${where}: expected ${name} to be a number or a tf.Tensor, got ${typeof x}.`);
  }
}

/**
 * Samples from a normal distribution: `mean + std * z` with `z` standard normal drawn as
 * `jax.random.normal` draws it (`sqrt(2) * erfinv(u)`), so a key gives JAX's numbers.
 * Without `key`, advances `random.DEFAULT` (the numbers change at every call, also jitted).
 *
 * @param shape the output shape.
 * @returns a float32 tensor of `shape` (the caller owns it).
 * @example
 * ```ts
 * bst.random.seed(0);
 * const w = bst.random.normal([3, 4], { std: 0.1 });
 * const z = bst.random.normal([5], { key: bst.random.prngKey(1) });   // DEFAULT untouched
 * ```
 * @see uniform
 */
export function normal(shape: readonly number[], options: NormalOptions = {}): tf.Tensor {
  const where = 'random.normal';
  const s = checkShape(shape, where);
  if (options.dtype !== undefined && options.dtype !== 'float32') {
    throw new BrainStateError(`${where}: expected dtype 'float32' (tfjs has no other float type), ` +
      `got '${String(options.dtype)}'.`);
  }
  checkFinite(options.mean, 'mean', where);
  checkFinite(options.std, 'std', where);
  const { mean = 0, std = 1 } = options;
  return drawWith('normal', options.key, (key) => {
    let out = runRandomKernel(RANDOM_NORMAL, { key }, { shape: s });
    if (std !== 1) out = tf.mul(out, std);
    if (mean !== 0) out = tf.add(out, mean);
    return out;
  });
}

/**
 * Samples uniformly from `[minval, maxval)`, as `jax.random.uniform`: the top 23 bits of
 * each random word make a float32 in [0, 1), scaled as `u * (maxval - minval) + minval`.
 *
 * @param shape the output shape.
 * @returns a float32 tensor of `shape` (the caller owns it).
 * @example
 * ```ts
 * const u = bst.random.uniform([1000], { minval: -1, maxval: 1 });
 * ```
 * @see normal
 */
export function uniform(shape: readonly number[], options: UniformOptions = {}): tf.Tensor {
  const where = 'random.uniform';
  const s = checkShape(shape, where);
  checkFinite(options.minval, 'minval', where);
  checkFinite(options.maxval, 'maxval', where);
  const { minval = 0, maxval = 1 } = options;
  if (typeof minval === 'number' && typeof maxval === 'number') {
    return drawWith('uniform', options.key, (key) =>
      runRandomKernel(RANDOM_UNIFORM, { key }, { shape: s, minval, maxval }));
  }
  // Tensor bounds: scale a [0, 1) draw with tensor ops, as JAX does.
  return drawWith('uniform', options.key, (key) => {
    const u = runRandomKernel(RANDOM_UNIFORM, { key }, { shape: s, minval: 0, maxval: 1 });
    return tf.maximum(minval, tf.add(tf.mul(u, tf.sub(maxval, minval)), minval));
  });
}

/** Options of {@link truncatedNormal}. */
export interface TruncatedNormalOptions {
  /** Draw from this key instead of advancing `random.DEFAULT` (the key is not consumed). */
  key?: tf.Tensor;
}

/**
 * Samples a standard normal truncated to `(lower, upper)`, as `jax.random.truncated_normal`
 * (inverse-CDF sampling; values are clipped into the open interval). BrainState's default
 * weight initialiser (`KaimingNormal`) draws from it with bounds -2 and 2.
 *
 * @param lower the lower bound (a number, may be -Infinity).
 * @param upper the upper bound (a number greater than `lower`, may be Infinity).
 * @param shape the output shape.
 * @returns a float32 tensor of `shape` (the caller owns it).
 * @example
 * ```ts
 * const w = bst.random.truncatedNormal(-2, 2, [64, 32]);   // every value in (-2, 2)
 * ```
 * @see normal
 */
export function truncatedNormal(lower: number, upper: number, shape: readonly number[],
  options: TruncatedNormalOptions = {}): tf.Tensor {
  const where = 'random.truncatedNormal';
  if (typeof lower !== 'number' || typeof upper !== 'number' || Number.isNaN(lower) || Number.isNaN(upper) ||
      !(lower < upper)) {
    throw new BrainStateError(`${where}: expected numbers lower < upper, got lower=${lower}, upper=${upper}.`);
  }
  const s = checkShape(shape, where);
  return drawWith('truncatedNormal', options.key, (key) =>
    runRandomKernel(RANDOM_TRUNCATED_NORMAL, { key }, { shape: s, lower, upper }));
}

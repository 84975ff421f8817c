/**
 * Discrete distributions: `bernoulli` and `randint`, with JAX's exact numbers for a key.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import { checkShape, drawWith } from './key';
import { RANDOM_INT, RANDOM_UNIFORM, runRandomKernel } from './kernels';

/** Options of {@link bernoulli} and {@link randint}. */
export interface DiscreteOptions {
  /** Draw from this key instead of advancing `random.DEFAULT` (the key is not consumed). */
  key?: tf.Tensor;
}

/**
 * Samples booleans that are `true` with probability `p`, as `jax.random.bernoulli`
 * (`uniform(shape) < p`).
 *
 * @param p the probability of `true`, in [0, 1]: a number or a tensor that broadcasts.
 * @param shape the output shape; default: `p`'s shape (`[]` for a number).
 * @returns a bool tensor (the caller owns it).
 * @example
 * ```ts
 * const keep = bst.random.bernoulli(0.8, [4, 5]);   // about 80% true
 * ```
 * @see randint
 */
export function bernoulli(p: number | tf.Tensor = 0.5, shape?: readonly number[],
  options: DiscreteOptions = {}): tf.Tensor {
  const where = 'random.bernoulli';
  if (typeof p === 'number') {
    if (!(p >= 0 && p <= 1)) {
      throw new BrainStateError(`${where}: expected p to be a probability in [0, 1], got ${p}.`);
    }
  } else if (!(p instanceof tf.Tensor)) {
    throw new BrainStateError(`${where}: expected p to be a number or a tf.Tensor, got ${typeof p}.`);
  }
  const s = checkShape(shape ?? (typeof p === 'number' ? [] : p.shape), where);
  return drawWith('bernoulli', options.key, (key) => {
    const u = runRandomKernel(RANDOM_UNIFORM, { key }, { shape: s, minval: 0, maxval: 1 });
    return tf.less(u, p);
  });
}

/**
 * Samples int32 integers uniformly from `[low, high)`, as `jax.random.randint` (two
 * words of bits per number, reduced modulo the span; `high <= low` gives `low`).
 *
 * @param low the lowest value, inclusive (an integer).
 * @param high the upper bound, exclusive (an integer; above 2^31 - 1 means "up to int32 max").
 * @param shape the output shape.
 * @returns an int32 tensor of `shape` (the caller owns it).
 * @example
 * ```ts
 * const dice = bst.random.randint(1, 7, [10]);   // values in 1..6
 * ```
 * @see bernoulli
 */
export function randint(low: number, high: number, shape: readonly number[], options: DiscreteOptions = {}): tf.Tensor {
  const where = 'random.randint';
  for (const [name, v] of [['low', low], ['high', high]] as const) {
    if (!Number.isSafeInteger(v)) {
      throw new BrainStateError(`${where}: expected ${name} to be an integer, got ${v}; ` +
        'round it first (e.g. Math.floor).');
    }
  }
  const s = checkShape(shape, where);
  return drawWith('randint', options.key, (key) =>
    runRandomKernel(RANDOM_INT, { key }, { shape: s, minval: low, maxval: high }));
}

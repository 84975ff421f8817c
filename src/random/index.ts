/**
 * `random`: counter-based random numbers (JAX's Threefry-2x32) whose key lives in a
 * `RandomState`, `random.DEFAULT`. Every draw is a tfjs kernel that reads and advances
 * that state, so jitted functions draw fresh numbers at every call and the same seed
 * gives the same numbers, eagerly and jitted; with an explicit key, the numbers are
 * those of `jax.random`.
 *
 * @example
 * ```ts
 * bst.random.seed(42);
 * const x = bst.random.normal([2, 3]);
 * const mask = bst.random.bernoulli(0.5, [2, 3]);
 * ```
 */
export { DEFAULT, seed, splitKey, seedContext, prngKey, split } from './key';
export { normal, uniform, truncatedNormal } from './continuous';
export type { NormalOptions, UniformOptions, TruncatedNormalOptions, Scalarish } from './continuous';
export { bernoulli, randint } from './discrete';
export type { DiscreteOptions } from './discrete';
export {
  registerRandomKernels, setThreefryPartitionable, threefryPartitionable, RANDOM_KERNEL_NAMES,
  THREEFRY_2X32, RANDOM_SPLIT, RANDOM_BITS, RANDOM_UNIFORM, RANDOM_NORMAL, RANDOM_TRUNCATED_NORMAL, RANDOM_INT,
} from './kernels';

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
export {
  DEFAULT, seed, splitKey, splitKeys, backupKey, restoreKey, getKey, setKey, seedContext, defaultRng, cloneRng,
} from './default';
export {
  normal, standardNormal, randn, uniform, rand, truncatedNormal, bernoulli, randint, categorical, permutation,
  shuffle, choice, randLike, randnLike, randintLike,
} from './functions-basic';
export {
  exponential, standardExponential, gamma, standardGamma, beta, dirichlet, chisquare, standardT, t, poisson,
  binomial, multinomial, geometric, gumbel, laplace, logistic, cauchy, standardCauchy, lognormal, rayleigh, weibull,
  weibullMin, pareto, loggamma, negativeBinomial, f, noncentralChisquare, wald, maxwell, triangular,
} from './functions-families';
export { BasicDraws } from './basic-draws';
export { RandomState } from './random-state';
export { KeyState } from './key-state';
export type { SeedOrKey } from './key-state';
export { prngKey, split } from './key';
export type { KeyOptions, NormalOptions, UniformOptions, TruncatedNormalOptions } from './continuous';
export type { CategoricalOptions } from './discrete';
export type { PermutationOptions, ChoiceOptions } from './shuffle';
export type { GammaOptions } from './gamma';
export { GAMMA_ROUNDS } from './gamma';
export { INVERSION_TERMS, REJECTION_ROUNDS } from './counts';
export type { LocScaleOptions, ScaleOptions, LognormalOptions } from './inverse-cdf';
export type { Scalarish } from './params';
export {
  registerRandomKernels, setThreefryPartitionable, threefryPartitionable, RANDOM_KERNEL_NAMES,
  THREEFRY_2X32, RANDOM_SPLIT, RANDOM_BITS, RANDOM_UNIFORM, RANDOM_NORMAL, RANDOM_TRUNCATED_NORMAL, RANDOM_INT,
  RANDOM_SHUFFLE,
} from './kernels';

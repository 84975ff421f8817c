/**
 * The module-level generator, `random.DEFAULT`, and BrainState's module-level functions:
 * key management (`seed`, `splitKey`, `splitKeys`, `backupKey`, `restoreKey`, `getKey`,
 * `setKey`, `seedContext`, `defaultRng`, `cloneRng`) and every distribution, each the
 * `RandomState` method of the same name called on `DEFAULT`.
 */
import * as tf from '@tensorflow/tfjs';
import { withRestore } from '../util/scoped';
import { SeedOrKey } from './key-state';
import { RandomState } from './random-state';

/**
 * The module-global generator state: a {@link RandomState} whose value is the current
 * key (`int32[2]`). Its key is drawn from `Math.random` on first use unless
 * {@link seed} set it; read and write it like any state.
 *
 * @example
 * ```ts
 * bst.random.seed(0);
 * bst.random.DEFAULT.value.print();   // [0, 0]
 * ```
 */
export const DEFAULT: RandomState = new RandomState(undefined, { name: 'random.DEFAULT' });

/**
 * Reseeds {@link DEFAULT}: with an integer (as `prngKey(seed)`), with a key tensor (copied),
 * or with a fresh seed from `Math.random` when called with nothing.
 *
 * @example
 * ```ts
 * bst.random.seed(42);
 * const a = bst.random.normal([3]);
 * bst.random.seed(42);
 * const b = bst.random.normal([3]);   // equal to a
 * ```
 * @see seedContext
 */
export function seed(seedOrKey?: SeedOrKey): void {
  DEFAULT.seed(seedOrKey);
}

/**
 * Advances {@link DEFAULT} and returns fresh subkey(s), as BrainState's `split_key`: the
 * key is split into `n + 1` (or 2) keys, the first becomes the new key, the rest are
 * returned (one key `[2]` with no `n`, else `[n, 2]`).
 *
 * @example
 * ```ts
 * const k = bst.random.splitKey();        // shape [2]
 * const ks = bst.random.splitKey(4);      // shape [4, 2]
 * bst.random.normal([3], { key: k });
 * ```
 * @see splitKeys
 */
export function splitKey(n?: number, options: { backup?: boolean } = {}): tf.Tensor {
  return DEFAULT.splitKey(n, options);
}

/**
 * `n` new keys (`[n, 2]`) split off {@link DEFAULT}, as BrainState's `split_keys`.
 *
 * @example
 * ```ts
 * const keys = bst.random.splitKeys(8);
 * const draws = tf.unstack(keys).map((k) => bst.random.normal([2], { key: k }));
 * ```
 */
export function splitKeys(n: number, options: { backup?: boolean } = {}): tf.Tensor {
  return DEFAULT.splitKeys(n, options);
}

/**
 * Remembers {@link DEFAULT}'s key until {@link restoreKey} (BrainState's `random.DEFAULT.backup_key()`).
 *
 * @example
 * ```ts
 * bst.random.backupKey();
 * const a = bst.random.uniform([3]);
 * bst.random.restoreKey();
 * const b = bst.random.uniform([3]);   // equal to a
 * ```
 */
export function backupKey(): void {
  DEFAULT.backupKey();
}

/**
 * Puts back the key {@link backupKey} remembered (BrainState's `restore_key`).
 *
 * @example
 * ```ts
 * bst.random.restoreKey();
 * ```
 */
export function restoreKey(): void {
  DEFAULT.restoreKey();
}

/**
 * A copy of {@link DEFAULT}'s current key (the caller owns it), as BrainState's `get_key`.
 *
 * @example
 * ```ts
 * const saved = bst.random.getKey();
 * bst.random.setKey(saved);
 * ```
 */
export function getKey(): tf.Tensor {
  return tf.clone(DEFAULT.value);
}

/**
 * Sets {@link DEFAULT}'s key (a copy; a number is a seed), as BrainState's `set_key`.
 *
 * @example
 * ```ts
 * bst.random.setKey(bst.random.prngKey(3));
 * ```
 */
export function setKey(key: SeedOrKey): void {
  DEFAULT.setKey(key);
}

/**
 * Runs `fn` with {@link DEFAULT} reseeded by `seedOrKey`, then restores the key it had,
 * also when `fn` throws (or, for a promise, when it settles).
 *
 * @example
 * ```ts
 * const x = bst.random.seedContext(123, () => bst.random.normal([2]));
 * const y = bst.random.seedContext(123, () => bst.random.normal([2]));   // equal to x
 * ```
 * @see seed
 */
export function seedContext<R>(seedOrKey: SeedOrKey, fn: () => R): R {
  const saved = tf.keep(tf.clone(DEFAULT.value));
  return withRestore(() => {
    seed(seedOrKey);
    return fn();
  }, () => { DEFAULT.value = saved; });
}

/**
 * {@link DEFAULT} with no argument, else a new {@link RandomState} for the seed or key,
 * as BrainState's `default_rng`.
 *
 * @example
 * ```ts
 * const rng = bst.random.defaultRng(7);
 * rng.normal([2]);
 * ```
 */
export function defaultRng(seedOrKey?: SeedOrKey): RandomState {
  return seedOrKey === undefined ? DEFAULT : new RandomState(seedOrKey);
}

/**
 * A new {@link RandomState}: split off {@link DEFAULT} with no argument (`clone`
 * false: `DEFAULT` itself), else for the seed or key, as BrainState's `clone_rng`.
 *
 * @example
 * ```ts
 * const rng = bst.random.cloneRng();   // independent of DEFAULT from now on
 * ```
 */
export function cloneRng(seedOrKey?: SeedOrKey, options: { clone?: boolean } = {}): RandomState {
  if (seedOrKey !== undefined) return new RandomState(seedOrKey);
  return options.clone === false ? DEFAULT : DEFAULT.clone();
}

/**
 * {@link RandomState.normal} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.seed(0);
 * const w = bst.random.normal([3, 4], { std: 0.1 });
 * const z = bst.random.normal([5], { key: bst.random.prngKey(1) });   // DEFAULT untouched
 * ```
 */
export const normal: RandomState['normal'] = (...args: Parameters<RandomState['normal']>) => DEFAULT.normal(...args);

/**
 * {@link RandomState.standardNormal} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.standardNormal([5]);
 * ```
 */
export const standardNormal: RandomState['standardNormal'] = (...args: Parameters<RandomState['standardNormal']>) => DEFAULT.standardNormal(...args);

/**
 * {@link RandomState.randn} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.randn(2, 3);
 * ```
 */
export const randn: RandomState['randn'] = (...args: Parameters<RandomState['randn']>) => DEFAULT.randn(...args);

/**
 * {@link RandomState.uniform} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * const u = bst.random.uniform([1000], { minval: -1, maxval: 1 });
 * ```
 */
export const uniform: RandomState['uniform'] = (...args: Parameters<RandomState['uniform']>) => DEFAULT.uniform(...args);

/**
 * {@link RandomState.rand} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.rand(2, 3);
 * ```
 */
export const rand: RandomState['rand'] = (...args: Parameters<RandomState['rand']>) => DEFAULT.rand(...args);

/**
 * {@link RandomState.truncatedNormal} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * const w = bst.random.truncatedNormal(-2, 2, [64, 32]);   // every value in (-2, 2)
 * ```
 */
export const truncatedNormal: RandomState['truncatedNormal'] = (...args: Parameters<RandomState['truncatedNormal']>) => DEFAULT.truncatedNormal(...args);

/**
 * {@link RandomState.bernoulli} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * const keep = bst.random.bernoulli(0.8, [4, 5]);   // about 80% true
 * ```
 */
export const bernoulli: RandomState['bernoulli'] = (...args: Parameters<RandomState['bernoulli']>) => DEFAULT.bernoulli(...args);

/**
 * {@link RandomState.randint} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * const dice = bst.random.randint(1, 7, [10]);   // values in 1..6
 * ```
 */
export const randint: RandomState['randint'] = (...args: Parameters<RandomState['randint']>) => DEFAULT.randint(...args);

/**
 * {@link RandomState.categorical} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.categorical(tf.log(tf.tensor1d([0.2, 0.3, 0.5])), { shape: [100] });
 * ```
 */
export const categorical: RandomState['categorical'] = (...args: Parameters<RandomState['categorical']>) => DEFAULT.categorical(...args);

/**
 * {@link RandomState.permutation} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.permutation(10);                              // int32 [10]
 * bst.random.permutation(tf.range(0, 6).reshape([2, 3]), { axis: 1 });
 * ```
 */
export const permutation: RandomState['permutation'] = (...args: Parameters<RandomState['permutation']>) => DEFAULT.permutation(...args);

/**
 * {@link RandomState.shuffle} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.shuffle(tf.range(0, 5));
 * ```
 */
export const shuffle: RandomState['shuffle'] = (...args: Parameters<RandomState['shuffle']>) => DEFAULT.shuffle(...args);

/**
 * {@link RandomState.choice} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.choice(5, [3], { replace: false });
 * bst.random.choice(tf.tensor1d([10, 20, 30]), [8], { p: [0.1, 0.1, 0.8] });
 * ```
 */
export const choice: RandomState['choice'] = (...args: Parameters<RandomState['choice']>) => DEFAULT.choice(...args);

/**
 * {@link RandomState.exponential} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.exponential([100], { scale: 2 });
 * ```
 */
export const exponential: RandomState['exponential'] = (...args: Parameters<RandomState['exponential']>) => DEFAULT.exponential(...args);

/**
 * {@link RandomState.standardExponential} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.standardExponential([100]);
 * ```
 */
export const standardExponential: RandomState['standardExponential'] = (...args: Parameters<RandomState['standardExponential']>) => DEFAULT.standardExponential(...args);

/**
 * {@link RandomState.gamma} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.gamma(2, [1000], { scale: 0.5 });   // mean 1
 * ```
 */
export const gamma: RandomState['gamma'] = (...args: Parameters<RandomState['gamma']>) => DEFAULT.gamma(...args);

/**
 * {@link RandomState.standardGamma} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.standardGamma(tf.tensor1d([0.5, 1, 4]));
 * ```
 */
export const standardGamma: RandomState['standardGamma'] = (...args: Parameters<RandomState['standardGamma']>) => DEFAULT.standardGamma(...args);

/**
 * {@link RandomState.beta} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.beta(2, 5, [100]);
 * ```
 */
export const beta: RandomState['beta'] = (...args: Parameters<RandomState['beta']>) => DEFAULT.beta(...args);

/**
 * {@link RandomState.dirichlet} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.dirichlet([1, 2, 3], [10]);   // shape [10, 3], rows sum to 1
 * ```
 */
export const dirichlet: RandomState['dirichlet'] = (...args: Parameters<RandomState['dirichlet']>) => DEFAULT.dirichlet(...args);

/**
 * {@link RandomState.chisquare} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.chisquare(3, [100]);
 * ```
 */
export const chisquare: RandomState['chisquare'] = (...args: Parameters<RandomState['chisquare']>) => DEFAULT.chisquare(...args);

/**
 * {@link RandomState.standardT} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.standardT(5, [100]);
 * ```
 */
export const standardT: RandomState['standardT'] = (...args: Parameters<RandomState['standardT']>) => DEFAULT.standardT(...args);

/**
 * {@link RandomState.t} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.t(5, [100]);
 * ```
 */
export const t: RandomState['t'] = (...args: Parameters<RandomState['t']>) => DEFAULT.t(...args);

/**
 * {@link RandomState.poisson} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.poisson(3, [100]);
 * bst.random.poisson(tf.tensor1d([0.5, 50]));
 * ```
 */
export const poisson: RandomState['poisson'] = (...args: Parameters<RandomState['poisson']>) => DEFAULT.poisson(...args);

/**
 * {@link RandomState.binomial} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.binomial(20, 0.3, [100]);
 * ```
 */
export const binomial: RandomState['binomial'] = (...args: Parameters<RandomState['binomial']>) => DEFAULT.binomial(...args);

/**
 * {@link RandomState.multinomial} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.multinomial(10, [0.2, 0.3, 0.5], [4]);   // shape [4, 3], rows sum to 10
 * ```
 */
export const multinomial: RandomState['multinomial'] = (...args: Parameters<RandomState['multinomial']>) => DEFAULT.multinomial(...args);

/**
 * {@link RandomState.geometric} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.geometric(0.25, [100]);   // mean 4
 * ```
 */
export const geometric: RandomState['geometric'] = (...args: Parameters<RandomState['geometric']>) => DEFAULT.geometric(...args);

/**
 * {@link RandomState.gumbel} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.gumbel([100]);
 * ```
 */
export const gumbel: RandomState['gumbel'] = (...args: Parameters<RandomState['gumbel']>) => DEFAULT.gumbel(...args);

/**
 * {@link RandomState.laplace} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.laplace([100], { scale: 2 });
 * ```
 */
export const laplace: RandomState['laplace'] = (...args: Parameters<RandomState['laplace']>) => DEFAULT.laplace(...args);

/**
 * {@link RandomState.logistic} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.logistic([100]);
 * ```
 */
export const logistic: RandomState['logistic'] = (...args: Parameters<RandomState['logistic']>) => DEFAULT.logistic(...args);

/**
 * {@link RandomState.cauchy} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.cauchy([100]);
 * ```
 */
export const cauchy: RandomState['cauchy'] = (...args: Parameters<RandomState['cauchy']>) => DEFAULT.cauchy(...args);

/**
 * {@link RandomState.standardCauchy} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.standardCauchy([100]);
 * ```
 */
export const standardCauchy: RandomState['standardCauchy'] = (...args: Parameters<RandomState['standardCauchy']>) => DEFAULT.standardCauchy(...args);

/**
 * {@link RandomState.lognormal} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.lognormal([100], { sigma: 0.5 });
 * ```
 */
export const lognormal: RandomState['lognormal'] = (...args: Parameters<RandomState['lognormal']>) => DEFAULT.lognormal(...args);

/**
 * {@link RandomState.rayleigh} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.rayleigh([100], { scale: 2 });
 * ```
 */
export const rayleigh: RandomState['rayleigh'] = (...args: Parameters<RandomState['rayleigh']>) => DEFAULT.rayleigh(...args);

/**
 * {@link RandomState.weibull} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.weibull(1.5, [100]);
 * ```
 */
export const weibull: RandomState['weibull'] = (...args: Parameters<RandomState['weibull']>) => DEFAULT.weibull(...args);

/**
 * {@link RandomState.weibullMin} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.weibullMin(1.5, [100], { scale: 3 });
 * ```
 */
export const weibullMin: RandomState['weibullMin'] = (...args: Parameters<RandomState['weibullMin']>) => DEFAULT.weibullMin(...args);

/**
 * {@link RandomState.pareto} on {@link DEFAULT} (without `key`, advances it).
 *
 * @example
 * ```ts
 * bst.random.pareto(3, [100]);
 * ```
 */
export const pareto: RandomState['pareto'] = (...args: Parameters<RandomState['pareto']>) => DEFAULT.pareto(...args);

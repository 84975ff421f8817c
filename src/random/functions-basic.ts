/**
 * BrainState's module-level everyday draws (uniform, normal, integers, categorical,
 * permutations, choice): each the `RandomState` method of the same name called on `random.DEFAULT` (so, without `options.key`, each call advances it).
 */
import { DEFAULT } from './default';
import type { RandomState } from './random-state';

/**
 * {@link RandomState.normal} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.seed(0);
 * const w = bst.random.normal([3, 4], { std: 0.1 });
 * const z = bst.random.normal([5], { key: bst.random.prngKey(1) });   // DEFAULT untouched
 * ```
 */
export const normal: RandomState['normal'] = (...args: Parameters<RandomState['normal']>) => DEFAULT.normal(...args);

/**
 * {@link RandomState.standardNormal} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.standardNormal([5]);
 * ```
 */
export const standardNormal: RandomState['standardNormal'] = (...args: Parameters<RandomState['standardNormal']>) => DEFAULT.standardNormal(...args);

/**
 * {@link RandomState.randn} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.randn(2, 3);
 * ```
 */
export const randn: RandomState['randn'] = (...args: Parameters<RandomState['randn']>) => DEFAULT.randn(...args);

/**
 * {@link RandomState.uniform} on {@link DEFAULT}.
 * @example
 * ```ts
 * const u = bst.random.uniform([1000], { minval: -1, maxval: 1 });
 * ```
 */
export const uniform: RandomState['uniform'] = (...args: Parameters<RandomState['uniform']>) => DEFAULT.uniform(...args);

/**
 * {@link RandomState.rand} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.rand(2, 3);
 * ```
 */
export const rand: RandomState['rand'] = (...args: Parameters<RandomState['rand']>) => DEFAULT.rand(...args);

/**
 * {@link RandomState.truncatedNormal} on {@link DEFAULT}.
 * @example
 * ```ts
 * const w = bst.random.truncatedNormal(-2, 2, [64, 32]);   // every value in (-2, 2)
 * ```
 */
export const truncatedNormal: RandomState['truncatedNormal'] = (...args: Parameters<RandomState['truncatedNormal']>) => DEFAULT.truncatedNormal(...args);

/**
 * {@link RandomState.bernoulli} on {@link DEFAULT}.
 * @example
 * ```ts
 * const keep = bst.random.bernoulli(0.8, [4, 5]);   // about 80% true
 * ```
 */
export const bernoulli: RandomState['bernoulli'] = (...args: Parameters<RandomState['bernoulli']>) => DEFAULT.bernoulli(...args);

/**
 * {@link RandomState.randint} on {@link DEFAULT}.
 * @example
 * ```ts
 * const dice = bst.random.randint(1, 7, [10]);   // values in 1..6
 * ```
 */
export const randint: RandomState['randint'] = (...args: Parameters<RandomState['randint']>) => DEFAULT.randint(...args);

/**
 * {@link RandomState.categorical} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.categorical(tf.log(tf.tensor1d([0.2, 0.3, 0.5])), { shape: [100] });
 * ```
 */
export const categorical: RandomState['categorical'] = (...args: Parameters<RandomState['categorical']>) => DEFAULT.categorical(...args);

/**
 * {@link RandomState.permutation} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.permutation(10);                              // int32 [10]
 * bst.random.permutation(tf.range(0, 6).reshape([2, 3]), { axis: 1 });
 * ```
 */
export const permutation: RandomState['permutation'] = (...args: Parameters<RandomState['permutation']>) => DEFAULT.permutation(...args);

/**
 * {@link RandomState.shuffle} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.shuffle(tf.range(0, 5));
 * ```
 */
export const shuffle: RandomState['shuffle'] = (...args: Parameters<RandomState['shuffle']>) => DEFAULT.shuffle(...args);

/**
 * {@link RandomState.choice} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.choice(5, [3], { replace: false });
 * bst.random.choice(tf.tensor1d([10, 20, 30]), [8], { p: [0.1, 0.1, 0.8] });
 * ```
 */
export const choice: RandomState['choice'] = (...args: Parameters<RandomState['choice']>) => DEFAULT.choice(...args);

/**
 * {@link RandomState.randLike} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.randLike(tf.zeros([3, 4]));
 * ```
 */
export const randLike: RandomState['randLike'] = (...args: Parameters<RandomState['randLike']>) => DEFAULT.randLike(...args);

/**
 * {@link RandomState.randnLike} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.randnLike(tf.zeros([2, 3]));
 * ```
 */
export const randnLike: RandomState['randnLike'] = (...args: Parameters<RandomState['randnLike']>) => DEFAULT.randnLike(...args);

/**
 * {@link RandomState.randintLike} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.randintLike(tf.zeros([2, 3], 'int32'), 0, 10);
 * ```
 */
export const randintLike: RandomState['randintLike'] = (...args: Parameters<RandomState['randintLike']>) => DEFAULT.randintLike(...args);

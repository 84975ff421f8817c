/**
 * `BasicDraws`: the everyday draws of BrainState's `random.RandomState` (uniform,
 * normal, truncated normal, integers, Bernoulli, categorical, permutations, choice and
 * the `...Like` helpers), on top of the key management of `KeyState`. `RandomState`
 * adds the distribution families.
 */
import * as tf from '@tensorflow/tfjs';
import * as M from './compound';
import * as C from './continuous';
import type { KeyOptions, NormalOptions, TruncatedNormalOptions, UniformOptions } from './continuous';
import * as D from './discrete';
import type { CategoricalOptions } from './discrete';
import { KeyState } from './key-state';
import type { Scalarish } from './params';
import * as S from './shuffle';
import type { ChoiceOptions, PermutationOptions } from './shuffle';

/**
 * The everyday draws of a random state (see `RandomState`, which adds the families).
 *
 * @example
 * ```ts
 * const rng = new bst.random.RandomState(0);
 * rng.uniform([2, 3]);
 * ```
 */
export class BasicDraws extends KeyState {
  /**
   * Normal samples `mean + std * z`, `z` as `jax.random.normal` draws it (`sqrt(2) erfinv(u)`): a key gives JAX's numbers.
   *
   * @example
   * ```ts
   * rng.normal([3, 4], { std: 0.1 });
   * ```
   */
  normal(shape: readonly number[], options: NormalOptions = {}): tf.Tensor {
    return C.normal(this, shape, options);
  }

  /**
   * Standard normal samples (BrainState's `standard_normal`).
   *
   * @example
   * ```ts
   * rng.standardNormal([5]);
   * ```
   */
  standardNormal(shape: readonly number[] = [], options: KeyOptions = {}): tf.Tensor {
    return C.normal(this, shape, options);
  }

  /**
   * Standard normal samples of shape `dims` (BrainState's `randn(*dn)`).
   *
   * @example
   * ```ts
   * rng.randn(2, 3);
   * ```
   */
  randn(...dims: number[]): tf.Tensor {
    return C.normal(this, dims);
  }

  /**
   * Uniform samples in `[minval, maxval)`, as `jax.random.uniform` (a key gives JAX's numbers).
   *
   * @example
   * ```ts
   * rng.uniform([1000], { minval: -1, maxval: 1 });
   * ```
   */
  uniform(shape: readonly number[], options: UniformOptions = {}): tf.Tensor {
    return C.uniform(this, shape, options);
  }

  /**
   * Uniform samples in [0, 1) of shape `dims` (BrainState's `rand(*dn)`).
   *
   * @example
   * ```ts
   * rng.rand(2, 3);
   * ```
   */
  rand(...dims: number[]): tf.Tensor {
    return C.uniform(this, dims);
  }

  /**
   * A normal (`loc`, `scale`) truncated to `(lower, upper)`, as `jax.random.truncated_normal` / BrainState (inverse-CDF sampling; a key gives JAX's numbers).
   *
   * @example
   * ```ts
   * rng.truncatedNormal(-2, 2, [64, 32]);   // every value in (-2, 2)
   * ```
   */
  truncatedNormal(lower: number, upper: number, shape: readonly number[], options: TruncatedNormalOptions = {}): tf.Tensor {
    return C.truncatedNormal(this, lower, upper, shape, options);
  }

  /**
   * Booleans that are true with probability `p`, as `jax.random.bernoulli` (`uniform < p`).
   *
   * @example
   * ```ts
   * rng.bernoulli(0.8, [4, 5]);
   * ```
   */
  bernoulli(p: Scalarish = 0.5, shape?: readonly number[], options: KeyOptions = {}): tf.Tensor {
    return D.bernoulli(this, p, shape, options);
  }

  /**
   * int32 integers in `[low, high)`, as `jax.random.randint`.
   *
   * @example
   * ```ts
   * rng.randint(1, 7, [10]);   // dice
   * ```
   */
  randint(low: number, high: number, shape: readonly number[], options: KeyOptions = {}): tf.Tensor {
    return D.randint(this, low, high, shape, options);
  }

  /**
   * Category indices (int32) from unnormalised log-probabilities, by the Gumbel-max trick, as `jax.random.categorical` (a key gives JAX's indices).
   *
   * @example
   * ```ts
   * rng.categorical(tf.log(tf.tensor1d([0.2, 0.3, 0.5])), { shape: [100] });
   * ```
   */
  categorical(logits: tf.Tensor, options: CategoricalOptions = {}): tf.Tensor {
    return D.categorical(this, logits, options);
  }

  /**
   * `x` permuted along `axis` (a number `n`: a permutation of `0 .. n-1`), as `jax.random.permutation` (sort-based shuffle; a key gives JAX's order). `independent` permutes every fibre on its own.
   *
   * @example
   * ```ts
   * rng.permutation(10);                              // int32 [10]
   * rng.permutation(tf.range(0, 6).reshape([2, 3]), { axis: 1 });
   * ```
   */
  permutation(x: number | tf.Tensor, options: PermutationOptions = {}): tf.Tensor {
    return S.permutation(this, x, options);
  }

  /**
   * `x` permuted along `axis` (BrainState's `shuffle`: a new tensor, tensors are immutable).
   *
   * @example
   * ```ts
   * rng.shuffle(tf.range(0, 5));
   * ```
   */
  shuffle(x: tf.Tensor, options: { axis?: number; key?: tf.Tensor } = {}): tf.Tensor {
    return S.permutation(this, x, options);
  }

  /**
   * Samples from `a` (a number `n`: from `0 .. n-1`) with or without replacement, optionally weighted by `p`, as `jax.random.choice` (a key gives JAX's indices).
   *
   * @example
   * ```ts
   * rng.choice(5, [3], { replace: false });
   * rng.choice(tf.tensor1d([10, 20, 30]), [8], { p: [0.1, 0.1, 0.8] });
   * ```
   */
  choice(a: number | tf.Tensor, shape: readonly number[] = [], options: ChoiceOptions = {}): tf.Tensor {
    return S.choice(this, a, shape, options);
  }

  /**
   * Uniform [0, 1) samples of `input`'s shape (BrainState's `rand_like`).
   *
   * @example
   * ```ts
   * rng.randLike(tf.zeros([3, 4]));
   * ```
   */
  randLike(input: tf.Tensor, options: KeyOptions = {}): tf.Tensor {
    return M.randLike(this, input, options);
  }

  /**
   * Standard normal samples of `input`'s shape (BrainState's `randn_like`).
   *
   * @example
   * ```ts
   * rng.randnLike(tf.zeros([2, 3]));
   * ```
   */
  randnLike(input: tf.Tensor, options: KeyOptions = {}): tf.Tensor {
    return M.randnLike(this, input, options);
  }

  /**
   * int32 samples in `[low, high)` of `input`'s shape (BrainState's `randint_like`, `high` required).
   *
   * @example
   * ```ts
   * rng.randintLike(tf.zeros([2, 3], 'int32'), 0, 10);
   * ```
   */
  randintLike(input: tf.Tensor, low: number, high: number, options: KeyOptions = {}): tf.Tensor {
    return M.randintLike(this, input, low, high, options);
  }
}

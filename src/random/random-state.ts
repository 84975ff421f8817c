/**
 * `RandomState`: BrainState's `random.RandomState`, a state holding a Threefry key with
 * every distribution of `bst.random` as a method (the module-level functions are these
 * methods of `random.DEFAULT`). Each draw splits the key, writes the first half back and
 * draws from the second, so a jitted function that draws reads and advances the key
 * like any other state and gets new numbers at every call. Every method takes
 * `options.key` to draw from that key instead (the state is then not touched).
 */
import * as tf from '@tensorflow/tfjs';
import * as C from './continuous';
import type { KeyOptions, NormalOptions, TruncatedNormalOptions, UniformOptions } from './continuous';
import * as N from './counts';
import * as D from './discrete';
import type { CategoricalOptions } from './discrete';
import * as G from './gamma';
import type { GammaOptions } from './gamma';
import * as I from './inverse-cdf';
import type { LocScaleOptions, LognormalOptions, ScaleOptions } from './inverse-cdf';
import { KeyState } from './key-state';
import type { Scalarish } from './params';
import * as S from './shuffle';
import type { ChoiceOptions, PermutationOptions } from './shuffle';

/**
 * A random generator state: a `State` whose value is a JAX Threefry key (`int32[2]`),
 * with BrainState's distributions as methods.
 *
 * @example
 * ```ts
 * const rng = new bst.random.RandomState(42);
 * const w = rng.normal([3, 4], { std: 0.1 });
 * const idx = rng.permutation(10);
 * const step = bst.transform.jit(() => rng.uniform([2]));   // new numbers at every call
 * ```
 * @see random.DEFAULT
 */
export class RandomState extends KeyState {
  /**
   * A new, independent state whose key is split off this one (which advances), as
   * BrainState's `clone`.
   *
   * @example
   * ```ts
   * const child = rng.clone();
   * ```
   */
  clone(): RandomState {
    const k = this.splitKey();
    try {
      return new RandomState(k, { name: this.name, tag: this.tag });
    } finally {
      k.dispose();
    }
  }

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
   * Exponential samples with mean `scale`: `scale * -log1p(-u)`, as `jax.random.exponential`.
   *
   * @example
   * ```ts
   * rng.exponential([100], { scale: 2 });
   * ```
   */
  exponential(shape?: readonly number[], options: ScaleOptions = {}): tf.Tensor {
    return I.exponential(this, shape, options);
  }

  /**
   * Exponential samples with mean 1 (BrainState's `standard_exponential`).
   *
   * @example
   * ```ts
   * rng.standardExponential([100]);
   * ```
   */
  standardExponential(shape: readonly number[] = [], options: KeyOptions = {}): tf.Tensor {
    return I.exponential(this, shape, options);
  }

  /**
   * Gamma samples with shape `alpha` and scale `scale` (vectorised Marsaglia-Tsang; see the `random` docs for the method and its accuracy).
   *
   * @example
   * ```ts
   * rng.gamma(2, [1000], { scale: 0.5 });   // mean 1
   * ```
   */
  gamma(alpha: Scalarish, shape?: readonly number[], options: GammaOptions = {}): tf.Tensor {
    return G.gamma(this, alpha, shape, options);
  }

  /**
   * Gamma samples with scale 1 (BrainState's `standard_gamma`).
   *
   * @example
   * ```ts
   * rng.standardGamma(tf.tensor1d([0.5, 1, 4]));
   * ```
   */
  standardGamma(alpha: Scalarish, shape?: readonly number[], options: KeyOptions = {}): tf.Tensor {
    return G.gamma(this, alpha, shape, options);
  }

  /**
   * Beta samples, `Ga / (Ga + Gb)` from two gamma draws (in log space, so small a and b stay finite).
   *
   * @example
   * ```ts
   * rng.beta(2, 5, [100]);
   * ```
   */
  beta(a: Scalarish, b: Scalarish, shape?: readonly number[], options: KeyOptions = {}): tf.Tensor {
    return G.beta(this, a, b, shape, options);
  }

  /**
   * Dirichlet samples of shape `[...shape, k]` (gamma draws normalised in log space).
   *
   * @example
   * ```ts
   * rng.dirichlet([1, 2, 3], [10]);   // shape [10, 3], rows sum to 1
   * ```
   */
  dirichlet(alpha: tf.Tensor | readonly number[], shape?: readonly number[], options: KeyOptions = {}): tf.Tensor {
    return G.dirichlet(this, alpha, shape, options);
  }

  /**
   * Chi-square samples, `2 Gamma(df / 2)`, as BrainState.
   *
   * @example
   * ```ts
   * rng.chisquare(3, [100]);
   * ```
   */
  chisquare(df: Scalarish, shape?: readonly number[], options: KeyOptions = {}): tf.Tensor {
    return G.chisquare(this, df, shape, options);
  }

  /**
   * Student's t samples, `z sqrt((df / 2) / Gamma(df / 2))`, as BrainState's `t`.
   *
   * @example
   * ```ts
   * rng.standardT(5, [100]);
   * ```
   */
  standardT(df: Scalarish, shape?: readonly number[], options: KeyOptions = {}): tf.Tensor {
    return G.standardT(this, df, shape, options);
  }

  /**
   * Student's t samples (BrainState's `t`; the same as {@link standardT}).
   *
   * @example
   * ```ts
   * rng.t(5, [100]);
   * ```
   */
  t(df: Scalarish, shape?: readonly number[], options: KeyOptions = {}): tf.Tensor {
    return G.standardT(this, df, shape, options);
  }

  /**
   * Poisson counts (int32): inversion for `lam < 10`, Hörmann's transformed rejection above (see the `random` docs for the accuracy).
   *
   * @example
   * ```ts
   * rng.poisson(3, [100]);
   * rng.poisson(tf.tensor1d([0.5, 50]));
   * ```
   */
  poisson(lam: Scalarish = 1, shape?: readonly number[], options: KeyOptions = {}): tf.Tensor {
    return N.poisson(this, lam, shape, options);
  }

  /**
   * Binomial counts (int32): inversion for small means, Hörmann's BTRS above.
   *
   * @example
   * ```ts
   * rng.binomial(20, 0.3, [100]);
   * ```
   */
  binomial(n: Scalarish, p: Scalarish, shape?: readonly number[], options: KeyOptions = {}): tf.Tensor {
    return N.binomial(this, n, p, shape, options);
  }

  /**
   * Multinomial counts (int32, `[...shape, k]`) of `n` trials over the categories of `pvals`, as conditional binomials.
   *
   * @example
   * ```ts
   * rng.multinomial(10, [0.2, 0.3, 0.5], [4]);   // shape [4, 3], rows sum to 10
   * ```
   */
  multinomial(n: Scalarish, pvals: tf.Tensor | readonly number[], shape?: readonly number[], options: KeyOptions = {}): tf.Tensor {
    return N.multinomial(this, n, pvals, shape, options);
  }

  /**
   * Geometric counts (int32) on 1, 2, ...: trials up to the first success, as BrainState.
   *
   * @example
   * ```ts
   * rng.geometric(0.25, [100]);   // mean 4
   * ```
   */
  geometric(p: Scalarish, shape?: readonly number[], options: KeyOptions = {}): tf.Tensor {
    return I.geometric(this, p, shape, options);
  }

  /**
   * Gumbel samples `loc + scale * -log(-log(u))`, as `jax.random.gumbel`.
   *
   * @example
   * ```ts
   * rng.gumbel([100]);
   * ```
   */
  gumbel(shape?: readonly number[], options: LocScaleOptions = {}): tf.Tensor {
    return I.gumbel(this, shape, options);
  }

  /**
   * Laplace samples, as `jax.random.laplace`.
   *
   * @example
   * ```ts
   * rng.laplace([100], { scale: 2 });
   * ```
   */
  laplace(shape?: readonly number[], options: LocScaleOptions = {}): tf.Tensor {
    return I.laplace(this, shape, options);
  }

  /**
   * Logistic samples, as `jax.random.logistic`.
   *
   * @example
   * ```ts
   * rng.logistic([100]);
   * ```
   */
  logistic(shape?: readonly number[], options: LocScaleOptions = {}): tf.Tensor {
    return I.logistic(this, shape, options);
  }

  /**
   * Cauchy samples `loc + scale * tan(pi (u - 0.5))`, as `jax.random.cauchy`.
   *
   * @example
   * ```ts
   * rng.cauchy([100]);
   * ```
   */
  cauchy(shape?: readonly number[], options: LocScaleOptions = {}): tf.Tensor {
    return I.cauchy(this, shape, options);
  }

  /**
   * Standard Cauchy samples (BrainState's `standard_cauchy`).
   *
   * @example
   * ```ts
   * rng.standardCauchy([100]);
   * ```
   */
  standardCauchy(shape: readonly number[] = [], options: KeyOptions = {}): tf.Tensor {
    return I.cauchy(this, shape, options);
  }

  /**
   * Log-normal samples `exp(mean + sigma z)`, as BrainState.
   *
   * @example
   * ```ts
   * rng.lognormal([100], { sigma: 0.5 });
   * ```
   */
  lognormal(shape?: readonly number[], options: LognormalOptions = {}): tf.Tensor {
    return I.lognormal(this, shape, options);
  }

  /**
   * Rayleigh samples `scale * sqrt(-2 log u)`, as JAX and BrainState.
   *
   * @example
   * ```ts
   * rng.rayleigh([100], { scale: 2 });
   * ```
   */
  rayleigh(shape?: readonly number[], options: ScaleOptions = {}): tf.Tensor {
    return I.rayleigh(this, shape, options);
  }

  /**
   * Weibull samples `(-log1p(-u)) ** (1 / a)`, as BrainState.
   *
   * @example
   * ```ts
   * rng.weibull(1.5, [100]);
   * ```
   */
  weibull(a: Scalarish, shape?: readonly number[], options: KeyOptions = {}): tf.Tensor {
    return I.weibullMin(this, a, shape, options);
  }

  /**
   * Weibull samples with a scale (BrainState's `weibull_min`, `jax.random.weibull_min`).
   *
   * @example
   * ```ts
   * rng.weibullMin(1.5, [100], { scale: 3 });
   * ```
   */
  weibullMin(a: Scalarish, shape?: readonly number[], options: ScaleOptions = {}): tf.Tensor {
    return I.weibullMin(this, a, shape, options);
  }

  /**
   * Pareto samples on [1, inf), `exp(e / a)`, as `jax.random.pareto`.
   *
   * @example
   * ```ts
   * rng.pareto(3, [100]);
   * ```
   */
  pareto(a: Scalarish, shape?: readonly number[], options: KeyOptions = {}): tf.Tensor {
    return I.pareto(this, a, shape, options);
  }
}

/**
 * `RandomState`: BrainState's `random.RandomState`, a state holding a Threefry key with
 * every distribution of `bst.random` as a method (the module-level functions are these
 * methods of `random.DEFAULT`). Each draw splits the key, writes the first half back and
 * draws from the second, so a jitted function that draws reads and advances the key
 * like any other state and gets new numbers at every call. Every method takes
 * `options.key` to draw from that key instead (the state is then not touched).
 */
import * as tf from '@tensorflow/tfjs';
import * as M from './compound';
import type { KeyOptions } from './continuous';
import * as N from './counts';
import * as G from './gamma';
import type { GammaOptions } from './gamma';
import * as I from './inverse-cdf';
import type { LocScaleOptions, LognormalOptions, ScaleOptions } from './inverse-cdf';
import { BasicDraws } from './basic-draws';
import type { Scalarish } from './params';

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
export class RandomState extends BasicDraws {
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
    return new RandomState(this.splitKey(), { name: this.name, tag: this.tag });
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

  /**
   * The logarithm of Gamma(a, 1) samples, accurate where the sample itself would underflow (BrainState's `loggamma`).
   *
   * @example
   * ```ts
   * rng.loggamma(0.01, [100]);
   * ```
   */
  loggamma(a: Scalarish, shape?: readonly number[], options: KeyOptions = {}): tf.Tensor {
    return M.loggamma(this, a, shape, options);
  }

  /**
   * Negative binomial counts (int32): failures before the `n`-th success, drawn as Poisson(Gamma(n, (1 - p) / p)) as BrainState.
   *
   * @example
   * ```ts
   * rng.negativeBinomial(5, 0.5, [100]);
   * ```
   */
  negativeBinomial(n: Scalarish, p: Scalarish, shape?: readonly number[], options: KeyOptions = {}): tf.Tensor {
    return M.negativeBinomial(this, n, p, shape, options);
  }

  /**
   * Fisher's F samples, a ratio of scaled chi-squares.
   *
   * @example
   * ```ts
   * rng.f(3, 5, [100]);
   * ```
   */
  f(dfnum: Scalarish, dfden: Scalarish, shape?: readonly number[], options: KeyOptions = {}): tf.Tensor {
    return M.f(this, dfnum, dfden, shape, options);
  }

  /**
   * Noncentral chi-square samples, with BrainState's Poisson-mixture formula.
   *
   * @example
   * ```ts
   * rng.noncentralChisquare(3, 1, [100]);
   * ```
   */
  noncentralChisquare(df: Scalarish, nonc: Scalarish, shape?: readonly number[], options: KeyOptions = {}): tf.Tensor {
    return M.noncentralChisquare(this, df, nonc, shape, options);
  }

  /**
   * Wald (inverse Gaussian) samples, BrainState's cancellation-free formula.
   *
   * @example
   * ```ts
   * rng.wald(1, 2, [100]);
   * ```
   */
  wald(mean: Scalarish, scale: Scalarish, shape?: readonly number[], options: KeyOptions = {}): tf.Tensor {
    return M.wald(this, mean, scale, shape, options);
  }

  /**
   * Maxwell samples: the length of a 3-D standard normal vector.
   *
   * @example
   * ```ts
   * rng.maxwell([100]);
   * ```
   */
  maxwell(shape: readonly number[] = [], options: KeyOptions = {}): tf.Tensor {
    return M.maxwell(this, shape, options);
  }

  /**
   * Triangular samples on `[left, right]` peaking at `mode`, by inverting the CDF as BrainState.
   *
   * @example
   * ```ts
   * rng.triangular(-1, 0, 2, [50]);
   * ```
   */
  triangular(left: number, mode: number, right: number, shape: readonly number[] = [], options: KeyOptions = {}): tf.Tensor {
    return M.triangular(this, left, mode, right, shape, options);
  }
}

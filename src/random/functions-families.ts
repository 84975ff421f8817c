/**
 * BrainState's module-level distribution families (gamma, Poisson, binomial,
 * exponential, ...): each the `RandomState` method of the same name called on `random.DEFAULT` (so, without `options.key`, each call advances it).
 */
import { DEFAULT } from './default';
import type { RandomState } from './random-state';

/**
 * {@link RandomState.exponential} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.exponential([100], { scale: 2 });
 * ```
 */
export const exponential: RandomState['exponential'] = (...args: Parameters<RandomState['exponential']>) => DEFAULT.exponential(...args);

/**
 * {@link RandomState.standardExponential} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.standardExponential([100]);
 * ```
 */
export const standardExponential: RandomState['standardExponential'] = (...args: Parameters<RandomState['standardExponential']>) => DEFAULT.standardExponential(...args);

/**
 * {@link RandomState.gamma} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.gamma(2, [1000], { scale: 0.5 });   // mean 1
 * ```
 */
export const gamma: RandomState['gamma'] = (...args: Parameters<RandomState['gamma']>) => DEFAULT.gamma(...args);

/**
 * {@link RandomState.standardGamma} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.standardGamma(tf.tensor1d([0.5, 1, 4]));
 * ```
 */
export const standardGamma: RandomState['standardGamma'] = (...args: Parameters<RandomState['standardGamma']>) => DEFAULT.standardGamma(...args);

/**
 * {@link RandomState.beta} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.beta(2, 5, [100]);
 * ```
 */
export const beta: RandomState['beta'] = (...args: Parameters<RandomState['beta']>) => DEFAULT.beta(...args);

/**
 * {@link RandomState.dirichlet} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.dirichlet([1, 2, 3], [10]);   // shape [10, 3], rows sum to 1
 * ```
 */
export const dirichlet: RandomState['dirichlet'] = (...args: Parameters<RandomState['dirichlet']>) => DEFAULT.dirichlet(...args);

/**
 * {@link RandomState.chisquare} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.chisquare(3, [100]);
 * ```
 */
export const chisquare: RandomState['chisquare'] = (...args: Parameters<RandomState['chisquare']>) => DEFAULT.chisquare(...args);

/**
 * {@link RandomState.standardT} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.standardT(5, [100]);
 * ```
 */
export const standardT: RandomState['standardT'] = (...args: Parameters<RandomState['standardT']>) => DEFAULT.standardT(...args);

/**
 * {@link RandomState.t} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.t(5, [100]);
 * ```
 */
export const t: RandomState['t'] = (...args: Parameters<RandomState['t']>) => DEFAULT.t(...args);

/**
 * {@link RandomState.poisson} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.poisson(3, [100]);
 * bst.random.poisson(tf.tensor1d([0.5, 50]));
 * ```
 */
export const poisson: RandomState['poisson'] = (...args: Parameters<RandomState['poisson']>) => DEFAULT.poisson(...args);

/**
 * {@link RandomState.binomial} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.binomial(20, 0.3, [100]);
 * ```
 */
export const binomial: RandomState['binomial'] = (...args: Parameters<RandomState['binomial']>) => DEFAULT.binomial(...args);

/**
 * {@link RandomState.multinomial} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.multinomial(10, [0.2, 0.3, 0.5], [4]);   // shape [4, 3], rows sum to 10
 * ```
 */
export const multinomial: RandomState['multinomial'] = (...args: Parameters<RandomState['multinomial']>) => DEFAULT.multinomial(...args);

/**
 * {@link RandomState.geometric} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.geometric(0.25, [100]);   // mean 4
 * ```
 */
export const geometric: RandomState['geometric'] = (...args: Parameters<RandomState['geometric']>) => DEFAULT.geometric(...args);

/**
 * {@link RandomState.gumbel} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.gumbel([100]);
 * ```
 */
export const gumbel: RandomState['gumbel'] = (...args: Parameters<RandomState['gumbel']>) => DEFAULT.gumbel(...args);

/**
 * {@link RandomState.laplace} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.laplace([100], { scale: 2 });
 * ```
 */
export const laplace: RandomState['laplace'] = (...args: Parameters<RandomState['laplace']>) => DEFAULT.laplace(...args);

/**
 * {@link RandomState.logistic} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.logistic([100]);
 * ```
 */
export const logistic: RandomState['logistic'] = (...args: Parameters<RandomState['logistic']>) => DEFAULT.logistic(...args);

/**
 * {@link RandomState.cauchy} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.cauchy([100]);
 * ```
 */
export const cauchy: RandomState['cauchy'] = (...args: Parameters<RandomState['cauchy']>) => DEFAULT.cauchy(...args);

/**
 * {@link RandomState.standardCauchy} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.standardCauchy([100]);
 * ```
 */
export const standardCauchy: RandomState['standardCauchy'] = (...args: Parameters<RandomState['standardCauchy']>) => DEFAULT.standardCauchy(...args);

/**
 * {@link RandomState.lognormal} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.lognormal([100], { sigma: 0.5 });
 * ```
 */
export const lognormal: RandomState['lognormal'] = (...args: Parameters<RandomState['lognormal']>) => DEFAULT.lognormal(...args);

/**
 * {@link RandomState.rayleigh} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.rayleigh([100], { scale: 2 });
 * ```
 */
export const rayleigh: RandomState['rayleigh'] = (...args: Parameters<RandomState['rayleigh']>) => DEFAULT.rayleigh(...args);

/**
 * {@link RandomState.weibull} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.weibull(1.5, [100]);
 * ```
 */
export const weibull: RandomState['weibull'] = (...args: Parameters<RandomState['weibull']>) => DEFAULT.weibull(...args);

/**
 * {@link RandomState.weibullMin} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.weibullMin(1.5, [100], { scale: 3 });
 * ```
 */
export const weibullMin: RandomState['weibullMin'] = (...args: Parameters<RandomState['weibullMin']>) => DEFAULT.weibullMin(...args);

/**
 * {@link RandomState.pareto} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.pareto(3, [100]);
 * ```
 */
export const pareto: RandomState['pareto'] = (...args: Parameters<RandomState['pareto']>) => DEFAULT.pareto(...args);

/**
 * {@link RandomState.loggamma} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.loggamma(0.01, [100]);
 * ```
 */
export const loggamma: RandomState['loggamma'] = (...args: Parameters<RandomState['loggamma']>) => DEFAULT.loggamma(...args);

/**
 * {@link RandomState.negativeBinomial} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.negativeBinomial(5, 0.5, [100]);
 * ```
 */
export const negativeBinomial: RandomState['negativeBinomial'] = (...args: Parameters<RandomState['negativeBinomial']>) => DEFAULT.negativeBinomial(...args);

/**
 * {@link RandomState.f} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.f(3, 5, [100]);
 * ```
 */
export const f: RandomState['f'] = (...args: Parameters<RandomState['f']>) => DEFAULT.f(...args);

/**
 * {@link RandomState.noncentralChisquare} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.noncentralChisquare(3, 1, [100]);
 * ```
 */
export const noncentralChisquare: RandomState['noncentralChisquare'] = (...args: Parameters<RandomState['noncentralChisquare']>) => DEFAULT.noncentralChisquare(...args);

/**
 * {@link RandomState.wald} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.wald(1, 2, [100]);
 * ```
 */
export const wald: RandomState['wald'] = (...args: Parameters<RandomState['wald']>) => DEFAULT.wald(...args);

/**
 * {@link RandomState.maxwell} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.maxwell([100]);
 * ```
 */
export const maxwell: RandomState['maxwell'] = (...args: Parameters<RandomState['maxwell']>) => DEFAULT.maxwell(...args);

/**
 * {@link RandomState.triangular} on {@link DEFAULT}.
 * @example
 * ```ts
 * bst.random.triangular(-1, 0, 2, [50]);
 * ```
 */
export const triangular: RandomState['triangular'] = (...args: Parameters<RandomState['triangular']>) => DEFAULT.triangular(...args);

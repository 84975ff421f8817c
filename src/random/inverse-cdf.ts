/**
 * Distributions that are one closed-form transform of a uniform (or normal) draw
 * (inverse-CDF sampling): exponential, Gumbel, Laplace, logistic, Cauchy, log-normal,
 * Rayleigh, Weibull, Pareto and geometric. Each uses the formula and the uniform range
 * of `jax.random` (or of BrainState where it has its own), so a key gives JAX's numbers
 * up to float32 rounding of `log` / `tan` (tfjs and XLA round those differently by an
 * ulp or so). Elementwise tfjs ops over one Threefry kernel: a jit fuses them.
 */
import * as tf from '@tensorflow/tfjs';
import type { KeyOptions } from './continuous';
import { gumbelFrom } from './discrete';
import { drawWith, KeySource } from './key';
import { checkParam, drawShape, F32, locScale, normalBits, Scalarish, uniformBits } from './params';

/** Options of the location-scale families (`gumbel`, `laplace`, `logistic`, `cauchy`). */
export interface LocScaleOptions extends KeyOptions {
  /** The location (default 0). */
  loc?: Scalarish;
  /** The scale (default 1). */
  scale?: Scalarish;
}

/** Options of the scale families (`exponential`, `rayleigh`, `weibullMin`). */
export interface ScaleOptions extends KeyOptions {
  /** The scale (default 1). */
  scale?: Scalarish;
}

/** Options of `lognormal`. */
export interface LognormalOptions extends KeyOptions {
  /** The mean of the underlying normal (default 0). */
  mean?: Scalarish;
  /** The standard deviation of the underlying normal (default 1). */
  sigma?: Scalarish;
}

type Sampler = (key: tf.Tensor, shape: number[]) => tf.Tensor;

/** A location-scale draw: checks, shape, one standard sample, then `loc + scale * x`. */
function locScaleDraw(src: KeySource, name: string, shape: readonly number[] | undefined, options: LocScaleOptions,
  standard: Sampler): tf.Tensor {
  const where = `random.${name}`;
  if (options.loc !== undefined) checkParam(options.loc, 'loc', where);
  if (options.scale !== undefined) checkParam(options.scale, 'scale', where, { above: 0 });
  const s = drawShape(shape, [options.loc, options.scale], where);
  return drawWith(src, name, options.key, (key) => locScale(standard(key, s), options.loc, options.scale));
}

/** `-log1p(-u)`, as `jax.random.exponential`. */
function standardExponentialFrom(key: tf.Tensor, shape: readonly number[]): tf.Tensor {
  return tf.neg(tf.log1p(tf.neg(uniformBits(key, shape))));
}

/** Exponential with the given scale (mean): `scale * -log1p(-u)`. */
export function exponential(src: KeySource, shape?: readonly number[], options: ScaleOptions = {}): tf.Tensor {
  return locScaleDraw(src, 'exponential', shape, { key: options.key, scale: options.scale }, standardExponentialFrom);
}

/** Gumbel: `loc + scale * -log(-log(u))`, `u` in `[tiny, 1)`. */
export function gumbel(src: KeySource, shape?: readonly number[], options: LocScaleOptions = {}): tf.Tensor {
  return locScaleDraw(src, 'gumbel', shape, options, gumbelFrom);
}

/** Laplace: `sign(u) * log1p(-|u|)`, `u` in `[-1 + epsneg, 1)`, as JAX. */
export function laplace(src: KeySource, shape?: readonly number[], options: LocScaleOptions = {}): tf.Tensor {
  return locScaleDraw(src, 'laplace', shape, options, (key, s) => {
    const u = uniformBits(key, s, -1 + F32.epsneg, 1);
    return tf.mul(tf.sign(u), tf.log1p(tf.neg(tf.abs(u))));
  });
}

/** Logistic: `log(u) - log1p(-u)`, `u` in `[tiny, 1)`, as JAX. */
export function logistic(src: KeySource, shape?: readonly number[], options: LocScaleOptions = {}): tf.Tensor {
  return locScaleDraw(src, 'logistic', shape, options, (key, s) => {
    const u = uniformBits(key, s, F32.tiny, 1);
    return tf.sub(tf.log(u), tf.log1p(tf.neg(u)));
  });
}

/** Cauchy: `tan(pi (u - 0.5))`, `u` in `[eps, 1)`, as JAX. */
export function cauchy(src: KeySource, shape?: readonly number[], options: LocScaleOptions = {}): tf.Tensor {
  return locScaleDraw(src, 'cauchy', shape, options, (key, s) =>
    tf.tan(tf.mul(tf.sub(uniformBits(key, s, F32.eps, 1), 0.5), Math.PI)));
}

/** Log-normal: `exp(mean + sigma * z)`, as BrainState. */
export function lognormal(src: KeySource, shape?: readonly number[], options: LognormalOptions = {}): tf.Tensor {
  const where = 'random.lognormal';
  if (options.mean !== undefined) checkParam(options.mean, 'mean', where);
  if (options.sigma !== undefined) checkParam(options.sigma, 'sigma', where, { atLeast: 0 });
  const s = drawShape(shape, [options.mean, options.sigma], where);
  return drawWith(src, 'lognormal', options.key, (key) => tf.exp(locScale(normalBits(key, s), options.mean, options.sigma)));
}

/** Rayleigh: `scale * sqrt(-2 log(u))`, as JAX and BrainState. */
export function rayleigh(src: KeySource, shape?: readonly number[], options: ScaleOptions = {}): tf.Tensor {
  return locScaleDraw(src, 'rayleigh', shape, { key: options.key, scale: options.scale }, (key, s) =>
    tf.sqrt(tf.mul(tf.log(uniformBits(key, s)), -2)));
}

/** Weibull (BrainState's `weibull_min` with a scale): `scale * (-log1p(-u)) ** (1 / a)`. */
export function weibullMin(src: KeySource, a: Scalarish, shape?: readonly number[],
  options: ScaleOptions = {}): tf.Tensor {
  const where = options.scale === undefined ? 'random.weibull' : 'random.weibullMin';
  checkParam(a, 'a', where, { above: 0 });
  if (options.scale !== undefined) checkParam(options.scale, 'scale', where, { above: 0 });
  const s = drawShape(shape, [a, options.scale], where);
  return drawWith(src, 'weibull', options.key, (key) =>
    locScale(tf.pow(standardExponentialFrom(key, s), tf.div(1, a)), undefined, options.scale));
}

/** Pareto with minimum 1: `exp(e / a)`, `e` standard exponential, as JAX. */
export function pareto(src: KeySource, a: Scalarish, shape?: readonly number[], options: KeyOptions = {}): tf.Tensor {
  const where = 'random.pareto';
  checkParam(a, 'a', where, { above: 0 });
  const s = drawShape(shape, [a], where);
  return drawWith(src, 'pareto', options.key, (key) => tf.exp(tf.div(standardExponentialFrom(key, s), a)));
}

/** Geometric on 1, 2, ... (trials to the first success): `floor(log1p(-u) / log1p(-p)) + 1`, as BrainState. */
export function geometric(src: KeySource, p: Scalarish, shape?: readonly number[], options: KeyOptions = {}): tf.Tensor {
  const where = 'random.geometric';
  checkParam(p, 'p', where, { above: 0, atMost: 1 });
  const s = drawShape(shape, [p], where);
  return drawWith(src, 'geometric', options.key, (key) => tf.cast(tf.add(tf.floor(tf.div(
    tf.log1p(tf.neg(uniformBits(key, s))), tf.log1p(tf.neg(p)))), 1), 'int32'));
}

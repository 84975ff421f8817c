/**
 * Distributions built from the others, with BrainState's formulas
 * (brainstate/random/_state.py): `loggamma`, `negativeBinomial` (a gamma-Poisson
 * mixture), `f` (a ratio of chi-squares), `noncentralChisquare`, `wald`, `maxwell`,
 * `triangular`, and the `...Like` helpers (a draw of another tensor's shape).
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import type { KeyOptions } from './continuous';
import { poissonFrom } from './counts';
import { gammaParts } from './gamma';
import { checkShape, drawWith, KeySource } from './key';
import { RANDOM_INT, runRandomKernel } from './kernels';
import { checkParam, drawShape, normalBits, Scalarish, subkeys, uniformBits } from './params';

function asFloat(x: Scalarish, shape: number[]): tf.Tensor {
  return tf.broadcastTo(tf.cast(typeof x === 'number' ? tf.scalar(x) : x, 'float32'), shape);
}

/** `log Gamma(a, 1)`, accurate also where the sample itself underflows (tiny `a`). */
export function loggamma(src: KeySource, a: Scalarish, shape?: readonly number[], options: KeyOptions = {}): tf.Tensor {
  const where = 'random.loggamma';
  checkParam(a, 'a', where, { above: 0 });
  const s = drawShape(shape, [a], where);
  return drawWith(src, 'loggamma', options.key, (key) => gammaParts(key, a, s).log);
}

/** Failures before the `n`-th success: `Poisson(Gamma(n, (1 - p) / p))`, as BrainState (int32). */
export function negativeBinomial(src: KeySource, n: Scalarish, p: Scalarish, shape?: readonly number[],
  options: KeyOptions = {}): tf.Tensor {
  const where = 'random.negativeBinomial';
  checkParam(n, 'n', where, { above: 0 });
  checkParam(p, 'p', where, { above: 0, atMost: 1 });
  const s = drawShape(shape, [n, p], where);
  return drawWith(src, 'negativeBinomial', options.key, (key) => {
    const [kg, kp] = subkeys(key, 2);
    const pf = asFloat(p, s);
    const rate = tf.mul(gammaParts(kg, n, s).value, tf.div(tf.sub(1, pf), pf));
    return tf.cast(poissonFrom(kp, rate, s, 'both'), 'int32');
  });
}

/** Fisher's F: `(chi2(dfnum) / dfnum) / (chi2(dfden) / dfden)`. */
export function f(src: KeySource, dfnum: Scalarish, dfden: Scalarish, shape?: readonly number[],
  options: KeyOptions = {}): tf.Tensor {
  const where = 'random.f';
  checkParam(dfnum, 'dfnum', where, { above: 0 });
  checkParam(dfden, 'dfden', where, { above: 0 });
  const s = drawShape(shape, [dfnum, dfden], where);
  return drawWith(src, 'f', options.key, (key) => {
    const [k1, k2] = subkeys(key, 2);
    // chi2(d) / d = Gamma(d / 2) / (d / 2)
    const num = tf.div(gammaParts(k1, tf.div(dfnum, 2), s).value, tf.div(dfnum, 2));
    const den = tf.div(gammaParts(k2, tf.div(dfden, 2), s).value, tf.div(dfden, 2));
    return tf.div(num, den);
  });
}

/** Noncentral chi-square, with BrainState's Poisson-mixture formula. */
export function noncentralChisquare(src: KeySource, df: Scalarish, nonc: Scalarish, shape?: readonly number[],
  options: KeyOptions = {}): tf.Tensor {
  const where = 'random.noncentralChisquare';
  checkParam(df, 'df', where, { above: 0 });
  checkParam(nonc, 'nonc', where, { atLeast: 0 });
  const s = drawShape(shape, [df, nonc], where);
  return drawWith(src, 'noncentralChisquare', options.key, (key) => {
    const [kp, kn, kg] = subkeys(key, 3);
    const dff = asFloat(df, s);
    const nf = asFloat(nonc, s);
    const i = poissonFrom(kp, tf.mul(nf, 0.5), s, 'both');
    const z = tf.add(normalBits(kn, s), tf.sqrt(nf));
    const big = tf.greater(dff, 1);
    const df2 = tf.where(big, tf.sub(dff, 1), tf.add(dff, tf.mul(i, 2)));
    const chi2 = tf.mul(gammaParts(kg, tf.mul(df2, 0.5), s).value, 2);
    return tf.where(big, tf.add(chi2, tf.square(z)), chi2);
  });
}

/** Wald (inverse Gaussian), BrainState's cancellation-free form of Michael, Schucany and Haas. */
export function wald(src: KeySource, mean: Scalarish, scale: Scalarish, shape?: readonly number[],
  options: KeyOptions = {}): tf.Tensor {
  const where = 'random.wald';
  checkParam(mean, 'mean', where, { above: 0 });
  checkParam(scale, 'scale', where, { above: 0 });
  const s = drawShape(shape, [mean, scale], where);
  return drawWith(src, 'wald', options.key, (key) => {
    const [kc, ku] = subkeys(key, 2);
    const m = asFloat(mean, s);
    const y = tf.square(normalBits(kc, s));
    const arg = tf.div(tf.mul(4, asFloat(scale, s)), tf.mul(m, y));
    const finite = tf.isFinite(arg);
    const safe = tf.where(finite, arg, tf.onesLike(arg));
    const ratio = tf.div(tf.expm1(tf.mul(0.5, tf.log1p(safe))), tf.add(1, tf.sqrt(tf.add(safe, 1))));
    const x = tf.mul(m, tf.where(finite, ratio, tf.onesLike(ratio)));
    return tf.where(tf.lessEqual(uniformBits(ku, s), tf.div(m, tf.add(m, x))), x, tf.div(tf.square(m), x));
  });
}

/** Maxwell: the length of a 3-D standard normal vector. */
export function maxwell(src: KeySource, shape: readonly number[] = [], options: KeyOptions = {}): tf.Tensor {
  const s = checkShape(shape, 'random.maxwell');
  return drawWith(src, 'maxwell', options.key, (key) => tf.norm(normalBits(key, [...s, 3]), 'euclidean', -1));
}

/** Triangular on `[left, right]` with mode `mode`, by inverting the CDF, as BrainState. */
export function triangular(src: KeySource, left: number, mode: number, right: number, shape: readonly number[] = [],
  options: KeyOptions = {}): tf.Tensor {
  const where = 'random.triangular';
  for (const [n, v] of [['left', left], ['mode', mode], ['right', right]] as const) checkParam(v, n, where);
  if (!(left <= mode && mode <= right && left < right)) {
    throw new BrainStateError(`${where}: expected left <= mode <= right and left < right, got left=${left}, ` +
      `mode=${mode}, right=${right}.`);
  }
  const s = checkShape(shape, where);
  const span = right - left;
  const fc = (mode - left) / span;
  return drawWith(src, 'triangular', options.key, (key) => {
    const u = uniformBits(key, s);
    const rising = tf.add(left, tf.sqrt(tf.mul(u, span * (mode - left))));
    const falling = tf.sub(right, tf.sqrt(tf.mul(tf.sub(1, u), span * (right - mode))));
    return tf.where(tf.less(u, fc), rising, falling);
  });
}

/** Uniform in [0, 1) with `input`'s shape (BrainState's `rand_like`; float32). */
export function randLike(src: KeySource, input: tf.Tensor, options: KeyOptions = {}): tf.Tensor {
  const s = [...input.shape];
  return drawWith(src, 'randLike', options.key, (key) => uniformBits(key, s));
}

/** Standard normal with `input`'s shape (BrainState's `randn_like`; float32). */
export function randnLike(src: KeySource, input: tf.Tensor, options: KeyOptions = {}): tf.Tensor {
  const s = [...input.shape];
  return drawWith(src, 'randnLike', options.key, (key) => normalBits(key, s));
}

/**
 * int32 in `[low, high)` with `input`'s shape (BrainState's `randint_like`; `high` is
 * required here: BrainState's default, `max(input)`, would read a traced value under jit).
 */
export function randintLike(src: KeySource, input: tf.Tensor, low: number, high: number,
  options: KeyOptions = {}): tf.Tensor {
  const where = 'random.randintLike';
  checkParam(low, 'low', where, { integer: true });
  checkParam(high, 'high', where, { integer: true });
  const s = [...input.shape];
  return drawWith(src, 'randintLike', options.key, (key) =>
    runRandomKernel(RANDOM_INT, { key }, { shape: s, minval: low, maxval: high }));
}

/**
 * The gamma family: `gamma`, `beta`, `dirichlet`, `chisquare`, `standardT`.
 *
 * Method: Marsaglia and Tsang (2000), vectorised for a static graph. Every element
 * draws {@link GAMMA_ROUNDS} candidates at once (a normal `z` and a uniform `u` each,
 * from two subkeys) and keeps the first accepted one; for `alpha < 1` the sample of
 * `alpha + 1` is multiplied by `U ** (1 / alpha)` (the boost, done in log space so tiny
 * alphas do not underflow for `beta` and `dirichlet`). The acceptance rate of one
 * round is at least 0.9517 (at alpha = 1, measured on 4e6 draws; it rises towards 1
 * with alpha), so an element rejects all rounds with probability below 0.0483^6 = 1.3e-8;
 * such an element takes the first candidate `d (1 + c z)^3` as it is (the
 * Wilson-Hilferty approximation the method is built on), clamped to be positive.
 * Only tfjs ops over the Threefry kernels: it runs eagerly and under jit alike. The
 * numbers are not `jax.random.gamma`'s (JAX loops per element until acceptance), the
 * distribution is: the specs check the moments.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import type { KeyOptions } from './continuous';
import { checkShape, drawWith, KeySource } from './key';
import { checkParam, drawShape, normalBits, Scalarish, subkeys, uniformBits } from './params';

/** Candidates per element (see the file comment for the resulting failure bound). */
export const GAMMA_ROUNDS = 6;

/** Options of `gamma`. */
export interface GammaOptions extends KeyOptions {
  /** The scale (default 1): the sample is `scale * Gamma(alpha, 1)`. */
  scale?: Scalarish;
}

/** A Gamma(alpha, 1) sample and its logarithm, for `alpha` broadcast to `shape`. */
export function gammaParts(key: tf.Tensor, alpha: Scalarish, shape: readonly number[]): { value: tf.Tensor; log: tf.Tensor } {
  const [kz, ku, kb] = subkeys(key, 3);
  const a = tf.broadcastTo(tf.cast(typeof alpha === 'number' ? tf.scalar(alpha) : alpha, 'float32'), [...shape]);
  const boost = tf.less(a, 1);
  const d = tf.sub(tf.where(boost, tf.add(a, 1), a), 1 / 3);
  const c = tf.div(1, tf.sqrt(tf.mul(d, 9)));
  const rounds = [GAMMA_ROUNDS, ...shape];
  const z = normalBits(kz, rounds);
  const u = uniformBits(ku, rounds);
  const v = tf.pow(tf.add(1, tf.mul(c, z)), 3);
  const positive = tf.greater(v, 0);
  const vSafe = tf.where(positive, v, tf.onesLike(v));
  // log u < z^2 / 2 + d (1 - v + log v)
  const accept = tf.logicalAnd(positive, tf.less(tf.log(u),
    tf.add(tf.mul(tf.square(z), 0.5), tf.mul(d, tf.add(tf.sub(1, vSafe), tf.log(vSafe))))));
  const dv = tf.unstack(tf.mul(d, vSafe));
  const ok = tf.unstack(accept);
  let out = tf.mul(d, tf.maximum(tf.unstack(v)[0], 1e-30));
  for (let r = GAMMA_ROUNDS - 1; r >= 0; r--) out = tf.where(ok[r], dv[r], out);
  // Boost for alpha < 1: times U^(1/alpha), U = 1 - uniform in (0, 1].
  const logBoost = tf.where(boost, tf.div(tf.log1p(tf.neg(uniformBits(kb, shape))), a), tf.zerosLike(a));
  return { value: tf.mul(out, tf.exp(logBoost)), log: tf.add(tf.log(out), logBoost) };
}

/** `scale * Gamma(alpha, 1)`. */
export function gamma(src: KeySource, alpha: Scalarish, shape?: readonly number[], options: GammaOptions = {}): tf.Tensor {
  const where = 'random.gamma';
  checkParam(alpha, 'alpha', where, { above: 0 });
  if (options.scale !== undefined) checkParam(options.scale, 'scale', where, { above: 0 });
  const s = drawShape(shape, [alpha, options.scale], where);
  return drawWith(src, 'gamma', options.key, (key) => {
    const g = gammaParts(key, alpha, s).value;
    return options.scale === undefined || options.scale === 1 ? g : tf.mul(g, options.scale);
  });
}

/** `Ga / (Ga + Gb)`, computed as `sigmoid(log Ga - log Gb)` so that tiny a and b stay finite. */
export function beta(src: KeySource, a: Scalarish, b: Scalarish, shape?: readonly number[],
  options: KeyOptions = {}): tf.Tensor {
  const where = 'random.beta';
  checkParam(a, 'a', where, { above: 0 });
  checkParam(b, 'b', where, { above: 0 });
  const s = drawShape(shape, [a, b], where);
  return drawWith(src, 'beta', options.key, (key) => {
    const [ka, kb] = subkeys(key, 2);
    return tf.sigmoid(tf.sub(gammaParts(ka, a, s).log, gammaParts(kb, b, s).log));
  });
}

/** Gamma samples along a last axis of size k, normalised in log space (a softmax). */
export function dirichlet(src: KeySource, alpha: tf.Tensor | readonly number[], shape?: readonly number[],
  options: KeyOptions = {}): tf.Tensor {
  const where = 'random.dirichlet';
  const al = alpha instanceof tf.Tensor ? alpha : undefined;
  if (al !== undefined) checkParam(al, 'alpha', where);
  else if (!Array.isArray(alpha) || alpha.length === 0) {
    throw new BrainStateError(`${where}: expected alpha to be a non-empty array of positive numbers or a tensor ` +
      `whose last axis holds the concentrations, got ${JSON.stringify(alpha)}.`);
  } else alpha.forEach((x, i) => checkParam(x, `alpha[${i}]`, where, { above: 0 }));
  const aShape = al !== undefined ? al.shape : [(alpha as readonly number[]).length];
  if (aShape.length === 0) throw new BrainStateError(`${where}: expected alpha to have at least one axis, got a scalar.`);
  const k = aShape[aShape.length - 1];
  const batch = shape === undefined ? aShape.slice(0, -1) : checkShape(shape, where);
  const out = [...batch, k];
  return drawWith(src, 'dirichlet', options.key, (key) => {
    const a = al ?? tf.tensor1d(alpha as number[]);
    return tf.softmax(gammaParts(key, a, out).log);
  });
}

/** `2 * Gamma(df / 2)`, as BrainState. */
export function chisquare(src: KeySource, df: Scalarish, shape?: readonly number[], options: KeyOptions = {}): tf.Tensor {
  const where = 'random.chisquare';
  checkParam(df, 'df', where, { above: 0 });
  const s = drawShape(shape, [df], where);
  return drawWith(src, 'chisquare', options.key, (key) => tf.mul(gammaParts(key, tf.div(df, 2), s).value, 2));
}

/** Student's t: `z * sqrt((df / 2) / Gamma(df / 2))`, as BrainState's `t`. */
export function standardT(src: KeySource, df: Scalarish, shape?: readonly number[], options: KeyOptions = {}): tf.Tensor {
  const where = 'random.standardT';
  checkParam(df, 'df', where, { above: 0 });
  const s = drawShape(shape, [df], where);
  return drawWith(src, 'standardT', options.key, (key) => {
    const [kn, kg] = subkeys(key, 2);
    const half = tf.div(df, 2);
    return tf.mul(normalBits(kn, s), tf.sqrt(tf.div(half, gammaParts(kg, half, s).value)));
  });
}

/**
 * Counting distributions: `poisson`, `binomial` and `multinomial` (int32 results).
 *
 * Method, as JAX / TensorFlow / NumPy split it, vectorised for a static graph:
 * - small means (`lam < 10`, `n min(p, 1-p) < 10`): inversion of the CDF, accumulated
 *   term by term over {@link INVERSION_TERMS} terms from one uniform (whose 23 bits
 *   resolve probabilities down to 2^-23: tail mass below that folds into the last
 *   term reached, a bias below 1.2e-7 per sample);
 * - large means: Hörmann's transformed rejection (PTRS for Poisson, BTRS for the
 *   binomial, with JAX's constants), {@link REJECTION_ROUNDS} candidates per element at
 *   once, the first accepted kept. One round accepts at least 89% of the time, so an
 *   element rejects every round with probability below 0.11^8 = 2e-8, and then keeps
 *   the last candidate from the hat distribution (clipped to the support), a close
 *   approximation. The Poisson log-pmf is evaluated in a cancellation-free form
 *   (`-lam h(s) + log1p(s) - ...`, `s = (k + 1 - lam) / lam`), so it stays accurate in
 *   float32 for large `lam`.
 * Only tfjs ops over the Threefry kernels: they run eagerly and under jit alike. The
 * numbers are not JAX's (JAX loops until acceptance); the distributions are, and the
 * specs check their moments.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import type { KeyOptions } from './continuous';
import { checkShape, drawWith, KeySource } from './key';
import { checkParam, drawShape, Scalarish, subkeys, uniformBits } from './params';

/** Terms of the inversion branch: P(X > 40) < 1e-11 for a mean below 10. */
export const INVERSION_TERMS = 40;
/** Candidates per element of the rejection branch. */
export const REJECTION_ROUNDS = 8;
/** Means below this take the inversion branch. */
const SMALL_MEAN = 10;

const STIRLING_TAIL = [0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
  0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720, 0.00925546218271273,
  0.00833056343336287];

/** `lgamma(k + 1) - ((k + 0.5) log(k + 1) - (k + 1) + log(2 pi) / 2)`, as JAX's `_stirling_approx_tail`. */
function stirlingTail(k: tf.Tensor): tf.Tensor {
  const kc = tf.clipByValue(k, 0, 9);
  const table = tf.gather(tf.tensor1d(STIRLING_TAIL), tf.cast(tf.floor(kc), 'int32'));
  const kp1 = tf.add(k, 1);
  const kp1sq = tf.square(kp1);
  const approx = tf.div(tf.sub(1 / 12, tf.div(tf.sub(1 / 360, tf.div(1 / 1260, kp1sq)), kp1sq)), kp1);
  return tf.where(tf.lessEqual(k, 9), table, approx);
}

/** `sum_k [u >= F_k]` over the first INVERSION_TERMS terms of a pmf given by `p0` and the term ratio. */
function invert(u: tf.Tensor, p0: tf.Tensor, ratio: (p: tf.Tensor, k: number) => tf.Tensor): tf.Tensor {
  let p = p0;
  let cdf = p0;
  let x = tf.zerosLike(u);
  for (let k = 0; k < INVERSION_TERMS; k++) {
    x = tf.add(x, tf.cast(tf.greaterEqual(u, cdf), 'float32'));
    p = ratio(p, k);
    cdf = tf.add(cdf, p);
  }
  return x;
}

function asFloat(x: Scalarish, shape: number[]): tf.Tensor {
  return tf.broadcastTo(tf.cast(typeof x === 'number' ? tf.scalar(x) : x, 'float32'), shape);
}

/** Picks, per element, the first accepted of the rounds (else the fallback). */
function firstAccepted(candidates: tf.Tensor, accept: tf.Tensor, fallback: tf.Tensor): tf.Tensor {
  const c = tf.unstack(candidates);
  const a = tf.unstack(accept);
  let out = fallback;
  for (let r = c.length - 1; r >= 0; r--) out = tf.where(a[r], c[r], out);
  return out;
}

/** Which branches to build: both (tensor parameters), or the one number parameters pick. */
export type Branches = 'both' | 'inversion' | 'rejection';

/** Poisson counts (float32) for `lam` of `shape` (already broadcast). */
export function poissonFrom(key: tf.Tensor, lam: tf.Tensor, shape: number[], branches: Branches): tf.Tensor {
  const [ki, ku, kv] = subkeys(key, 3);
  const small = branches === 'both' ? tf.less(lam, SMALL_MEAN) : tf.cast(tf.fill(shape, branches === 'inversion' ? 1 : 0, 'int32'), 'bool');
  // Inversion branch (its lam set to 0 where unused).
  const ls = tf.where(small, lam, tf.zerosLike(lam));
  const inv = invert(uniformBits(ki, shape), tf.exp(tf.neg(ls)), (p, k) => tf.mul(p, tf.div(ls, k + 1)));
  if (branches === 'inversion') return inv;
  // PTRS branch (its lam set to a harmless 1e5 where unused, as JAX does).
  const l = tf.where(small, tf.fill(shape, 1e5), lam);
  const b = tf.add(0.931, tf.mul(2.53, tf.sqrt(l)));
  const a = tf.add(-0.059, tf.mul(0.02483, b));
  const invAlpha = tf.add(1.1239, tf.div(1.1328, tf.sub(b, 3.4)));
  const vr = tf.sub(0.9277, tf.div(3.6224, tf.sub(b, 2)));
  const rounds = [REJECTION_ROUNDS, ...shape];
  const u = tf.sub(uniformBits(ku, rounds), 0.5);
  const v = uniformBits(kv, rounds);
  const us = tf.sub(0.5, tf.abs(u));
  const k = tf.floor(tf.add(tf.mul(tf.add(tf.div(tf.mul(a, 2), us), b), u), tf.add(l, 0.43)));
  const lhs = tf.log(tf.div(tf.mul(v, invAlpha), tf.add(tf.div(a, tf.square(us)), b)));
  // log pmf(k) = -lam h(s) + log1p(s) - log(k + 1) / 2 - log(2 pi) / 2 - tail(k), h(s) = (1 + s) log1p(s) - s.
  const kk = tf.maximum(k, 0);
  const s = tf.div(tf.sub(tf.add(kk, 1), l), l);
  const h = tf.sub(tf.mul(tf.add(s, 1), tf.log1p(s)), s);
  const logPmf = tf.sub(tf.sub(tf.add(tf.mul(tf.neg(l), h), tf.log1p(s)), tf.mul(0.5, tf.log(tf.add(kk, 1)))),
    tf.add(0.9189385332046727, stirlingTail(kk)));
  const fast = tf.logicalAnd(tf.greaterEqual(us, 0.07), tf.lessEqual(v, vr));
  const reject = tf.logicalOr(tf.less(k, 0), tf.logicalAnd(tf.less(us, 0.013), tf.greater(v, us)));
  const accept = tf.logicalOr(fast, tf.logicalAnd(tf.logicalNot(reject), tf.lessEqual(lhs, logPmf)));
  const last = tf.unstack(k)[REJECTION_ROUNDS - 1];
  const ptrs = firstAccepted(k, accept, tf.where(tf.isFinite(last), tf.maximum(last, 0), tf.round(l)));
  return branches === 'rejection' ? ptrs : tf.where(small, inv, ptrs);
}

/** Poisson counts (int32). */
export function poisson(src: KeySource, lam: Scalarish = 1, shape?: readonly number[], options: KeyOptions = {}): tf.Tensor {
  const where = 'random.poisson';
  checkParam(lam, 'lam', where, { atLeast: 0 });
  const s = drawShape(shape, [lam], where);
  return drawWith(src, 'poisson', options.key, (key) =>
    tf.cast(poissonFrom(key, asFloat(lam, s), s,
      typeof lam === 'number' ? (lam < SMALL_MEAN ? 'inversion' : 'rejection') : 'both'), 'int32'));
}

/** Binomial counts (float32) for `n`, `p` of `shape` (already broadcast; n integral, p in [0, 1]). */
function binomialFrom(key: tf.Tensor, n: tf.Tensor, p: tf.Tensor, shape: number[], branches: Branches): tf.Tensor {
  const [ki, ku, kv] = subkeys(key, 3);
  const flip = tf.greater(p, 0.5);
  const q = tf.where(flip, tf.sub(1, p), p);
  const small = branches === 'both' ? tf.lessEqual(tf.mul(n, q), SMALL_MEAN)
    : tf.cast(tf.fill(shape, branches === 'inversion' ? 1 : 0, 'int32'), 'bool');
  // Inversion: p0 = (1 - q)^n, p_{k+1} = p_k (n - k) / (k + 1) q / (1 - q).
  const ni = tf.where(small, n, tf.zerosLike(n));
  const odds = tf.div(q, tf.sub(1, q));
  const inv = invert(uniformBits(ki, shape), tf.exp(tf.mul(ni, tf.log1p(tf.neg(q)))),
    (pk, k) => tf.mul(pk, tf.mul(tf.div(tf.relu(tf.sub(ni, k)), k + 1), odds)));
  if (branches === 'inversion') return tf.where(flip, tf.sub(n, inv), inv);
  // BTRS with JAX's constants (count 1e4 and q 0.5 where unused).
  const cnt = tf.where(small, tf.fill(shape, 1e4), n);
  const pr = tf.where(small, tf.fill(shape, 0.5), q);
  const stddev = tf.sqrt(tf.mul(cnt, tf.mul(pr, tf.sub(1, pr))));
  const b = tf.add(1.15, tf.mul(2.53, stddev));
  const a = tf.add(tf.add(-0.0873, tf.mul(0.0248, b)), tf.mul(0.01, pr));
  const c = tf.add(tf.mul(cnt, pr), 0.5);
  const vr = tf.sub(0.92, tf.div(4.2, b));
  const r = tf.div(pr, tf.sub(1, pr));
  const alpha = tf.mul(tf.add(2.83, tf.div(5.1, b)), stddev);
  const m = tf.floor(tf.mul(tf.add(cnt, 1), pr));
  const rounds = [REJECTION_ROUNDS, ...shape];
  const u = tf.sub(uniformBits(ku, rounds), 0.5);
  const v0 = uniformBits(kv, rounds);
  const us = tf.sub(0.5, tf.abs(u));
  const fast = tf.logicalAnd(tf.greaterEqual(us, 0.07), tf.lessEqual(v0, vr));
  const k = tf.floor(tf.add(tf.mul(tf.add(tf.div(tf.mul(a, 2), us), b), u), c));
  const reject = tf.logicalOr(tf.less(k, 0), tf.greater(k, cnt));
  const kk = tf.clipByValue(k, 0, Number.MAX_VALUE);
  const nk = tf.relu(tf.sub(cnt, kk));
  const v = tf.log(tf.div(tf.mul(v0, alpha), tf.add(tf.div(a, tf.square(us)), b)));
  const ub = [
    tf.mul(tf.add(m, 0.5), tf.log(tf.div(tf.add(m, 1), tf.mul(r, tf.add(tf.sub(cnt, m), 1))))),
    tf.mul(tf.add(cnt, 1), tf.log(tf.div(tf.add(tf.sub(cnt, m), 1), tf.add(nk, 1)))),
    tf.mul(tf.add(kk, 0.5), tf.log(tf.div(tf.mul(r, tf.add(nk, 1)), tf.add(kk, 1)))),
    stirlingTail(m), stirlingTail(tf.sub(cnt, m)), tf.neg(stirlingTail(kk)), tf.neg(stirlingTail(nk)),
  ].reduce((x, y) => tf.add(x, y));
  const accept = tf.logicalOr(fast, tf.logicalAnd(tf.logicalNot(reject), tf.lessEqual(v, ub)));
  const last = tf.unstack(k)[REJECTION_ROUNDS - 1];
  const fallback = tf.where(tf.isFinite(last), tf.clipByValue(last, 0, Number.MAX_VALUE), tf.round(c));
  const btrs = tf.minimum(firstAccepted(k, accept, fallback), cnt);
  const x = branches === 'rejection' ? btrs : tf.where(small, inv, btrs);
  return tf.where(flip, tf.sub(n, x), x);
}

/** Binomial counts (int32) of `n` trials with success probability `p`. */
export function binomial(src: KeySource, n: Scalarish, p: Scalarish, shape?: readonly number[],
  options: KeyOptions = {}): tf.Tensor {
  const where = 'random.binomial';
  checkParam(n, 'n', where, { atLeast: 0, integer: true });
  checkParam(p, 'p', where, { atLeast: 0, atMost: 1 });
  const s = drawShape(shape, [n, p], where);
  return drawWith(src, 'binomial', options.key, (key) =>
    tf.cast(binomialFrom(key, tf.floor(asFloat(n, s)), asFloat(p, s), s, typeof n === 'number' && typeof p === 'number'
      ? (n * Math.min(p, 1 - p) <= SMALL_MEAN ? 'inversion' : 'rejection') : 'both'), 'int32'));
}

/**
 * Multinomial counts (int32, shape `[...shape, k]`) of `n` trials over the `k`
 * categories of `pvals` (last axis), drawn as conditional binomials: category i gets
 * Binomial(n - counts so far, p_i / (1 - p_0 - ... - p_{i-1})), the last the rest.
 */
export function multinomial(src: KeySource, n: Scalarish, pvals: tf.Tensor | readonly number[],
  shape?: readonly number[], options: KeyOptions = {}): tf.Tensor {
  const where = 'random.multinomial';
  checkParam(n, 'n', where, { atLeast: 0, integer: true });
  const pv = pvals instanceof tf.Tensor ? pvals : undefined;
  if (pv !== undefined) checkParam(pv, 'pvals', where);
  else if (!Array.isArray(pvals) || pvals.length === 0) {
    throw new BrainStateError(`${where}: expected pvals to be a non-empty array of probabilities or a tensor ` +
      `whose last axis holds them, got ${JSON.stringify(pvals)}.`);
  } else {
    pvals.forEach((x, i) => checkParam(x, `pvals[${i}]`, where, { atLeast: 0, atMost: 1 }));
    const total = (pvals as number[]).slice(0, -1).reduce((a, b) => a + b, 0);
    if (total > 1 + 1e-6) {
      throw new BrainStateError(`${where}: expected sum(pvals[:-1]) <= 1 (as BrainState), got ${total}.`);
    }
  }
  const pShape = pv !== undefined ? pv.shape : [(pvals as readonly number[]).length];
  if (pShape.length === 0) throw new BrainStateError(`${where}: expected pvals to have at least one axis, got a scalar.`);
  const k = pShape[pShape.length - 1];
  const batch = shape === undefined ? tf.backend_util.assertAndGetBroadcastShape(
    n instanceof tf.Tensor ? n.shape : [], pShape.slice(0, -1)) : checkShape(shape, where);
  return drawWith(src, 'multinomial', options.key, (key) => {
    const p = tf.broadcastTo(pv ?? tf.tensor1d(pvals as number[]), [...batch, k]);
    const ps = tf.unstack(p, batch.length);
    const keys = subkeys(key, Math.max(1, k - 1));
    let left = tf.floor(asFloat(n, batch));
    let mass = tf.onesLike(left);
    const counts: tf.Tensor[] = [];
    for (let i = 0; i < k - 1; i++) {
      const cond = tf.clipByValue(tf.divNoNan(ps[i], mass), 0, 1);
      const x = binomialFrom(keys[i], left, cond, batch, 'both');
      counts.push(x);
      left = tf.sub(left, x);
      mass = tf.sub(mass, ps[i]);
    }
    counts.push(left);
    return tf.cast(tf.stack(counts, batch.length), 'int32');
  });
}

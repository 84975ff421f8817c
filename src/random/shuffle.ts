/**
 * Reordering and sampling from arrays: `permutation`, `shuffle` and `choice`, as
 * `jax.random` computes them (the sort-based shuffle kernel, `randint`, inverse-CDF
 * search and the Gumbel top-k trick), so a key gives JAX's indices.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import type { KeyOptions } from './continuous';
import { gumbelFrom } from './discrete';
import { checkShape, drawWith, KeySource } from './key';
import { RANDOM_INT, RANDOM_SHUFFLE, runRandomKernel } from './kernels';
import { uniformBits } from './params';

/** Options of `permutation` and `shuffle`. */
export interface PermutationOptions extends KeyOptions {
  /** The axis to permute along (default 0). */
  axis?: number;
  /** Permute every fibre along `axis` on its own (default false: one permutation for all). */
  independent?: boolean;
}

/** Options of `choice`. */
export interface ChoiceOptions extends KeyOptions {
  /** Draw with replacement (default true). */
  replace?: boolean;
  /** The probability of each entry (1-D, as long as the population); default uniform. */
  p?: tf.Tensor | readonly number[];
  /** The axis of `a` to choose along (default 0). */
  axis?: number;
}

function checkAxis(axis: number, rank: number, where: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new BrainStateError(`${where}: expected axis to be an integer in [${-rank}, ${rank - 1}], got ${axis}.`);
  }
  return axis < 0 ? axis + rank : axis;
}

function checkCount(n: number, what: string, where: string): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new BrainStateError(`${where}: expected ${what} to be a non-negative integer, got ${n}.`);
  }
}

/** The indices JAX's `_shuffle` produces for an array of `shape` along `axis` (int32). */
function shuffleIndicesOf(key: tf.Tensor, shape: readonly number[], axis: number): tf.Tensor {
  return runRandomKernel(RANDOM_SHUFFLE, { key }, { shape: [...shape], axis });
}

/**
 * `x` permuted along `axis` (a number `n`: a permutation of `0 .. n - 1`, int32), as
 * `jax.random.permutation`.
 */
export function permutation(src: KeySource, x: number | tf.Tensor, options: PermutationOptions = {}): tf.Tensor {
  const where = 'random.permutation';
  if (typeof x === 'number') {
    checkCount(x, 'x', where);
    return drawWith(src, 'permutation', options.key, (key) => shuffleIndicesOf(key, [x], 0));
  }
  if (!(x instanceof tf.Tensor) || x.rank === 0) {
    throw new BrainStateError(`${where}: expected x to be an integer or a tensor with at least one axis, got ` +
      `${x instanceof tf.Tensor ? 'a scalar tensor' : typeof x}.`);
  }
  const axis = checkAxis(options.axis ?? 0, x.rank, where);
  return drawWith(src, 'permutation', options.key, (key) => {
    if (options.independent !== true || x.rank === 1) {
      // One permutation for every fibre: JAX shuffles arange(n) (for 1-D x, x itself: the same order).
      return tf.gather(x, shuffleIndicesOf(key, [x.shape[axis]], 0), axis);
    }
    // Each fibre on its own: move the axis last, flatten, and gather by flat index
    // (row * n + index; tf.gather's batchDims is wrong on wasm in tfjs 4.22).
    const perm = x.shape.map((_d, i) => i).filter((i) => i !== axis).concat([axis]);
    const inv = perm.map((_p, i) => perm.indexOf(i));
    const moved = tf.transpose(x, perm);
    const n = x.shape[axis];
    const rows = x.size / n;
    const idx = tf.reshape(tf.transpose(shuffleIndicesOf(key, x.shape, axis), perm), [rows, n]);
    const flat = tf.add(idx, tf.mul(tf.range(0, rows, 1, 'int32').reshape([rows, 1]), tf.scalar(n, 'int32')));
    return tf.transpose(tf.reshape(tf.gather(tf.reshape(moved, [-1]), tf.reshape(flat, [-1])), moved.shape), inv);
  });
}

/**
 * Samples from `a` (a number `n`: from `0 .. n - 1`, int32), as `jax.random.choice`:
 * with replacement by `randint` (or, with `p`, by searching the cumulative `p`), without
 * by a permutation (or, with `p`, by the Gumbel top-k trick).
 */
export function choice(src: KeySource, a: number | tf.Tensor, shape: readonly number[] = [],
  options: ChoiceOptions = {}): tf.Tensor {
  const where = 'random.choice';
  const s = checkShape(shape, where);
  const arr = typeof a === 'number' ? undefined : a;
  if (arr === undefined) checkCount(a as number, 'a', where);
  else if (!(arr instanceof tf.Tensor) || arr.rank === 0) {
    throw new BrainStateError(`${where}: expected a to be an integer or a tensor with at least one axis, got ` +
      `${arr instanceof tf.Tensor ? 'a scalar tensor' : typeof arr}.`);
  }
  const axis = arr === undefined ? 0 : checkAxis(options.axis ?? 0, arr.rank, where);
  const nInputs = arr === undefined ? (a as number) : arr.shape[axis];
  const nDraws = tf.util.sizeFromShape(s as number[]);
  const replace = options.replace !== false;
  if (nDraws > 0 && nInputs <= 0) throw new BrainStateError(`${where}: expected a non-empty population, got size 0.`);
  if (!replace && nDraws > nInputs) {
    throw new BrainStateError(`${where}: cannot take a larger sample (${nDraws}) than the population (${nInputs}) ` +
      "with replace: false; draw fewer, or pass replace: true.");
  }
  const p = options.p;
  if (p !== undefined) {
    const len = p instanceof tf.Tensor ? (p.rank === 1 ? p.shape[0] : -1) : Array.isArray(p) ? p.length : -1;
    if (len !== nInputs) {
      throw new BrainStateError(`${where}: expected p to be a 1-D vector as long as the population (${nInputs}), ` +
        `got ${p instanceof tf.Tensor ? `shape [${p.shape.join(',')}]` : JSON.stringify(p)}.`);
    }
  }
  const outShape = arr === undefined ? s : [...arr.shape.slice(0, axis), ...s, ...arr.shape.slice(axis + 1)];
  return drawWith(src, 'choice', options.key, (key) => {
    let ind: tf.Tensor;
    if (nDraws === 0) {
      ind = tf.zeros([0], 'int32');
    } else if (p === undefined) {
      ind = replace ? runRandomKernel(RANDOM_INT, { key }, { shape: [nDraws], minval: 0, maxval: nInputs })
        : tf.slice(runRandomKernel(RANDOM_SHUFFLE, { key }, { shape: [nInputs], axis: 0 }), [0], [nDraws]);
    } else {
      const pt = p instanceof tf.Tensor ? tf.cast(p, 'float32') : tf.tensor1d(p as number[]);
      if (replace) {
        const cum = tf.cumsum(pt);
        const total = tf.slice(cum, [nInputs - 1], [1]);
        const r = tf.mul(total, tf.sub(1, uniformBits(key, [nDraws])));
        ind = tf.minimum(tf.searchSorted(cum, r, 'left'), nInputs - 1);
      } else {
        ind = tf.topk(tf.add(gumbelFrom(key, [nInputs]), tf.log(pt)), nDraws).indices;
      }
    }
    if (arr === undefined) return tf.reshape(ind, s);
    return tf.reshape(tf.gather(arr, ind, axis), outShape);
  });
}

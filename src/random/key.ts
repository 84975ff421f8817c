/**
 * Keys: the functional helpers `prngKey` and `split`, argument checks, and the two steps
 * every draw takes, `advanceKey` (split a state's key, write the first half back, hand
 * out the rest, as BrainState's `split_key`) and `drawWith` (run a draw from a subkey).
 * Because the key lives in a state, a jitted draw reads and advances it at every call.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import type { State } from '../state';
import { RANDOM_SPLIT, runRandomKernel } from './kernels';
import { seedToKey } from './threefry';

/** A fresh seed from `Math.random` (only for keys nobody seeded). */
export function randomSeed(): number {
  return Math.floor(Math.random() * 4294967296);
}

/** Throws unless `seed` is a safe integer. */
export function checkSeed(seed: number, where: string): void {
  if (!Number.isSafeInteger(seed)) {
    throw new BrainStateError(`${where}: expected an integer seed (a safe JS integer), got ${seed}; ` +
      'pass e.g. 0 or 42.');
  }
}

/** The key tensor of an integer seed (checked by the caller). */
export function keyFromSeed(seed: number): tf.Tensor {
  return tf.tensor1d(seedToKey(seed), 'int32');
}

/** Throws unless `key` is an int32 tensor of shape [2]. */
export function checkKey(key: tf.Tensor, where: string): void {
  if (!(key instanceof tf.Tensor) || key.dtype !== 'int32' || key.shape.length !== 1 || key.shape[0] !== 2) {
    const got = key instanceof tf.Tensor ? `shape [${key.shape.join(',')}] dtype ${key.dtype}` : String(key);
    throw new BrainStateError(`${where}: expected a key, an int32 tensor of shape [2], got ${got}; ` +
      'make one with random.prngKey(seed), or take one from random.splitKey().');
  }
}

/**
 * A new key from an integer seed, as `jax.random.PRNGKey(seed)` (x64 off, JAX's default):
 * `[0, seed mod 2^32]` (so `[0, seed]` for seeds in `[0, 2^32)`).
 *
 * @param seed an integer.
 * @returns an int32 tensor of shape [2] (uint32 bit patterns); the caller owns it.
 * @example
 * ```ts
 * bst.random.prngKey(42).print();   // [0, 42]
 * ```
 * @see split
 */
export function prngKey(seed: number): tf.Tensor {
  checkSeed(seed, 'random.prngKey');
  return keyFromSeed(seed);
}

/**
 * Splits `key` into `num` new keys, as `jax.random.split` (a kernel; `key` is untouched).
 *
 * @returns an int32 tensor of shape `[num, 2]`; the caller owns it.
 * @example
 * ```ts
 * const keys = bst.random.split(bst.random.prngKey(0), 2);   // shape [2, 2]
 * ```
 * @see RandomState.splitKey
 */
export function split(key: tf.Tensor, num = 2): tf.Tensor {
  checkKey(key, 'random.split');
  if (!Number.isInteger(num) || num < 1) {
    throw new BrainStateError(`random.split: expected num to be a positive integer, got ${num}.`);
  }
  return runRandomKernel(RANDOM_SPLIT, { key }, { num });
}

/** Throws unless `shape` is an array of non-negative integers. */
export function checkShape(shape: readonly number[], where: string): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new BrainStateError(`${where}: expected shape to be an array of non-negative integers, got ` +
      `${JSON.stringify(shape)}; pass e.g. [3] or [2, 4] ([] for a scalar).`);
  }
  return [...shape];
}

/** A state that holds a key: any `RandomState`. */
export type KeySource = State<tf.Tensor>;

/**
 * Splits the key of `src` into `n + 1` keys (2 when `n` is omitted), writes the first
 * back and returns the rest: one key of shape [2] for no `n`, else `[n, 2]`. The state
 * write goes through `.value`, so under a jit it is a state output.
 */
export function advanceKey(src: KeySource, n: number | undefined, where: string): tf.Tensor {
  if (n !== undefined && (!Number.isInteger(n) || n < 1)) {
    throw new BrainStateError(`${where}: expected n to be a positive integer or omitted, got ${n}.`);
  }
  const current = src.value;
  checkKey(current, `${where} (the key of ${src.label()})`);
  const keys = runRandomKernel(RANDOM_SPLIT, { key: current }, { num: (n ?? 1) + 1 });
  try {
    const [next, ...rest] = tf.unstack(keys);
    src.value = next;
    if (n === undefined) return rest[0];
    const out = tf.stack(rest);
    for (const r of rest) r.dispose();
    return out;
  } finally {
    keys.dispose();
  }
}

/**
 * Runs one draw: `fn` gets `key` itself when given (not consumed), else a fresh subkey
 * split off `src` (disposed afterwards). The draw runs in a tidy scope named
 * `bst.random.<name>`, outside of which only its result survives; the key advance runs
 * before it, outside the scope, so the new key is a plain state write.
 */
export function drawWith<T extends tf.Tensor | tf.Tensor[]>(src: KeySource, name: string, key: tf.Tensor | undefined,
  fn: (key: tf.Tensor) => T): T {
  const where = `random.${name}`;
  if (key !== undefined) {
    checkKey(key, where);
    return tf.tidy(`bst.${where}`, () => fn(key));
  }
  const sub = advanceKey(src, undefined, where);
  try {
    return tf.tidy(`bst.${where}`, () => fn(sub));
  } finally {
    sub.dispose();
  }
}

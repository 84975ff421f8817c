/**
 * Keys and the module-global generator state: `random.DEFAULT` (a {@link RandomState}
 * holding a JAX-style Threefry key), `seed`, `splitKey`, `seedContext`, and the
 * functional helpers `prngKey` and `split`.
 *
 * Every draw without an explicit key reads `DEFAULT.value`, splits it in two, writes the
 * first half back and draws from the second (as BrainState's `split_key`), so under a
 * jit the key is a state input and output: each call draws fresh numbers.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import { RandomState } from '../state';
import { RANDOM_SPLIT, runRandomKernel } from './kernels';
import { seedToKey } from './threefry';
import { withRestore } from '../util/scoped';

/** `RandomState` whose key is made on first use, so importing the library makes no tensor. */
class DefaultRandomState extends RandomState {
  constructor() {
    // An empty tree is a valid state value and holds no tensor; the key is made lazily.
    super([] as unknown as tf.Tensor, { name: 'random.DEFAULT' });
  }

  private materialize(): void {
    const raw = super.rawValue() as unknown;
    if (Array.isArray(raw)) this.setRaw(keyFromSeed(randomSeed()));
  }

  override get value(): tf.Tensor {
    this.materialize();
    return super.value;
  }

  override set value(v: tf.Tensor) {
    super.value = v;
  }

  override rawValue(): tf.Tensor {
    this.materialize();
    return super.rawValue();
  }

  override toString(): string {
    this.materialize();
    return super.toString();
  }
}

/**
 * The module-global generator state: a {@link RandomState} whose value is the current
 * key (`int32[2]`). Its key is drawn from `Math.random` on first use unless
 * {@link seed} set it; read and write it like any state.
 *
 * @example
 * ```ts
 * bst.random.seed(0);
 * bst.random.DEFAULT.value.print();   // [0, 0]
 * ```
 */
export const DEFAULT: RandomState = new DefaultRandomState();

function randomSeed(): number {
  return Math.floor(Math.random() * 4294967296);
}

function checkSeed(seed: number, where: string): void {
  if (!Number.isSafeInteger(seed)) {
    throw new BrainStateError(`${where}: expected an integer seed (a safe JS integer), got ${seed}; ` +
      'pass e.g. 0 or 42.');
  }
}

function keyFromSeed(seed: number): tf.Tensor {
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
 * A new key from an integer seed, as `jax.random.PRNGKey(seed)`: `[0, seed]` for seeds
 * in `[0, 2^32)`, `[0, seed mod 2^32]` for negative ones.
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
 * @see splitKey
 */
export function split(key: tf.Tensor, num = 2): tf.Tensor {
  checkKey(key, 'random.split');
  if (!Number.isInteger(num) || num < 1) {
    throw new BrainStateError(`random.split: expected num to be a positive integer, got ${num}.`);
  }
  return runRandomKernel(RANDOM_SPLIT, { key }, { num });
}

/**
 * Reseeds {@link DEFAULT}: with an integer (as `prngKey(seed)`), with a key tensor (copied),
 * or with a fresh seed from `Math.random` when called with nothing.
 *
 * @example
 * ```ts
 * bst.random.seed(42);
 * const a = bst.random.normal([3]);
 * bst.random.seed(42);
 * const b = bst.random.normal([3]);   // equal to a
 * ```
 * @see seedContext
 */
export function seed(seedOrKey?: number | tf.Tensor): void {
  if (seedOrKey instanceof tf.Tensor) {
    checkKey(seedOrKey, 'random.seed');
    DEFAULT.value = tf.clone(seedOrKey);
    return;
  }
  const s = seedOrKey ?? randomSeed();
  checkSeed(s, 'random.seed');
  DEFAULT.value = keyFromSeed(s);
}

/**
 * Advances {@link DEFAULT} and returns fresh subkey(s), as BrainState's `split_key`: the
 * key is split into `n + 1` (or 2) keys, the first becomes the new `DEFAULT`, the rest are
 * returned.
 *
 * @param n how many subkeys; omitted: one key of shape [2], else shape `[n, 2]`.
 * @returns key tensor(s) the caller owns.
 * @example
 * ```ts
 * const k = bst.random.splitKey();        // shape [2]
 * const ks = bst.random.splitKey(4);      // shape [4, 2]
 * bst.random.normal([3], { key: k });
 * ```
 * @see split
 */
export function splitKey(n?: number): tf.Tensor {
  if (n !== undefined && (!Number.isInteger(n) || n < 1)) {
    throw new BrainStateError(`random.splitKey: expected n to be a positive integer or omitted, got ${n}.`);
  }
  const keys = runRandomKernel(RANDOM_SPLIT, { key: DEFAULT.value }, { num: (n ?? 1) + 1 });
  try {
    const [next, ...rest] = tf.unstack(keys);
    DEFAULT.value = next;
    if (n === undefined) return rest[0];
    const out = tf.stack(rest);
    for (const r of rest) r.dispose();
    return out;
  } finally {
    keys.dispose();
  }
}

/**
 * Runs `fn` with {@link DEFAULT} reseeded by `seedOrKey`, then restores the key it had,
 * also when `fn` throws (or, for a promise, when it settles).
 *
 * @example
 * ```ts
 * const x = bst.random.seedContext(123, () => bst.random.normal([2]));
 * const y = bst.random.seedContext(123, () => bst.random.normal([2]));   // equal to x
 * ```
 * @see seed
 */
export function seedContext<R>(seedOrKey: number | tf.Tensor, fn: () => R): R {
  const saved = tf.clone(DEFAULT.value);
  tf.keep(saved);
  return withRestore(() => {
    seed(seedOrKey);
    return fn();
  }, () => { DEFAULT.value = saved; });
}

/** Throws unless `shape` is an array of non-negative integers. */
export function checkShape(shape: readonly number[], where: string): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new BrainStateError(`${where}: expected shape to be an array of non-negative integers, got ` +
      `${JSON.stringify(shape)}; pass e.g. [3] or [2, 4] ([] for a scalar).`);
  }
  return [...shape];
}

/**
 * Runs one draw: `fn` gets `key` itself when given (not consumed), else a fresh subkey
 * split off {@link DEFAULT} (disposed afterwards). The draw runs in a tidy scope named
 * `bst.random.<name>`, outside of which only its result survives; the key advance runs
 * before it, outside the scope, so the new `DEFAULT` key is a plain state write.
 */
export function drawWith(name: string, key: tf.Tensor | undefined, fn: (key: tf.Tensor) => tf.Tensor): tf.Tensor {
  const where = `random.${name}`;
  if (key !== undefined) {
    checkKey(key, where);
    return tf.tidy(`bst.${where}`, () => fn(key));
  }
  const sub = splitKey();
  try {
    return tf.tidy(`bst.${where}`, () => fn(sub));
  } finally {
    sub.dispose();
  }
}

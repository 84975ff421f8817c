/**
 * The module-level generator, `random.DEFAULT`, and BrainState's module-level key
 * management: `seed`, `splitKey`, `splitKeys`, `backupKey`, `restoreKey`, `getKey`,
 * `setKey`, `seedContext`, `defaultRng`, `cloneRng` (the distributions are in
 * functions-basic.ts and functions-families.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { withRestore } from '../util/scoped';
import { SeedOrKey } from './key-state';
import { RandomState } from './random-state';

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
export const DEFAULT: RandomState = new RandomState(undefined, { name: 'random.DEFAULT' });

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
export function seed(seedOrKey?: SeedOrKey): void {
  DEFAULT.seed(seedOrKey);
}

/**
 * Advances {@link DEFAULT} and returns fresh subkey(s), as BrainState's `split_key`: the
 * key is split into `n + 1` (or 2) keys, the first becomes the new key, the rest are
 * returned (one key `[2]` with no `n`, else `[n, 2]`).
 *
 * @example
 * ```ts
 * const k = bst.random.splitKey();        // shape [2]
 * const ks = bst.random.splitKey(4);      // shape [4, 2]
 * bst.random.normal([3], { key: k });
 * ```
 * @see splitKeys
 */
export function splitKey(n?: number, options: { backup?: boolean } = {}): tf.Tensor {
  return DEFAULT.splitKey(n, options);
}

/**
 * `n` new keys (`[n, 2]`) split off {@link DEFAULT}, as BrainState's `split_keys`.
 *
 * @example
 * ```ts
 * const keys = bst.random.splitKeys(8);
 * const draws = tf.unstack(keys).map((k) => bst.random.normal([2], { key: k }));
 * ```
 */
export function splitKeys(n: number, options: { backup?: boolean } = {}): tf.Tensor {
  return DEFAULT.splitKeys(n, options);
}

/**
 * Remembers {@link DEFAULT}'s key until {@link restoreKey} (BrainState's `random.DEFAULT.backup_key()`).
 *
 * @example
 * ```ts
 * bst.random.backupKey();
 * const a = bst.random.uniform([3]);
 * bst.random.restoreKey();
 * const b = bst.random.uniform([3]);   // equal to a
 * ```
 */
export function backupKey(): void {
  DEFAULT.backupKey();
}

/**
 * Puts back the key {@link backupKey} remembered (BrainState's `restore_key`).
 *
 * @example
 * ```ts
 * bst.random.restoreKey();
 * ```
 */
export function restoreKey(): void {
  DEFAULT.restoreKey();
}

/**
 * A copy of {@link DEFAULT}'s current key (the caller owns it), as BrainState's `get_key`.
 *
 * @example
 * ```ts
 * const saved = bst.random.getKey();
 * bst.random.setKey(saved);
 * ```
 */
export function getKey(): tf.Tensor {
  return tf.clone(DEFAULT.value);
}

/**
 * Sets {@link DEFAULT}'s key (a copy; a number is a seed), as BrainState's `set_key`.
 *
 * @example
 * ```ts
 * bst.random.setKey(bst.random.prngKey(3));
 * ```
 */
export function setKey(key: SeedOrKey): void {
  DEFAULT.setKey(key);
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
export function seedContext<R>(seedOrKey: SeedOrKey, fn: () => R): R {
  const saved = tf.keep(tf.clone(DEFAULT.value));
  return withRestore(() => {
    seed(seedOrKey);
    return fn();
  }, () => { DEFAULT.value = saved; });
}

/** A new state for a seed, or for a copy of a key (checked), so the caller keeps theirs. */
function fresh(seedOrKey: SeedOrKey): RandomState {
  const rng = new RandomState(0);
  rng.setKey(seedOrKey);
  return rng;
}

/**
 * {@link DEFAULT} with no argument, else a new {@link RandomState} for the seed or key,
 * as BrainState's `default_rng`.
 *
 * @example
 * ```ts
 * const rng = bst.random.defaultRng(7);
 * rng.normal([2]);
 * ```
 */
export function defaultRng(seedOrKey?: SeedOrKey): RandomState {
  return seedOrKey === undefined ? DEFAULT : fresh(seedOrKey);
}

/**
 * A new {@link RandomState}: split off {@link DEFAULT} with no argument (`clone`
 * false: `DEFAULT` itself), else for the seed or key, as BrainState's `clone_rng`.
 *
 * @example
 * ```ts
 * const rng = bst.random.cloneRng();   // independent of DEFAULT from now on
 * ```
 */
export function cloneRng(seedOrKey?: SeedOrKey, options: { clone?: boolean } = {}): RandomState {
  if (seedOrKey !== undefined) return fresh(seedOrKey);
  return options.clone === false ? DEFAULT : DEFAULT.clone();
}

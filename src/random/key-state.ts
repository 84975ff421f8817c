/**
 * `KeyState`: the key management half of BrainState's `random.RandomState` (seeding,
 * splitting, backing up and restoring the key, cloning). `RandomState` adds the
 * distributions on top of it. The key is the state's value, so jitted code that draws
 * from it reads and advances it like any other state.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import { RandomState as RandomStateKind, StateOptions } from '../state';
import { observerDepth } from '../state/stack';
import { advanceKey, checkKey, checkSeed, keyFromSeed, randomSeed } from './key';

/** A seed (integer) or a key (`int32[2]`, e.g. from `random.prngKey`). */
export type SeedOrKey = number | tf.Tensor;

/** A key backed up by `backupKey`, and whether it was taken inside a trace. */
interface Backup {
  readonly key: tf.Tensor;
  readonly depth: number;
}

/** The placeholder value of a state whose key is drawn on first use (an empty tree holds no tensor). */
const LAZY = [] as unknown as tf.Tensor;

/** A key tensor for a seed (new) or a key (a copy, after checking it). */
function keyOf(seedOrKey: SeedOrKey, where: string): tf.Tensor {
  if (seedOrKey instanceof tf.Tensor) {
    checkKey(seedOrKey, where);
    return tf.clone(seedOrKey);
  }
  checkSeed(seedOrKey, where);
  return keyFromSeed(seedOrKey);
}

/**
 * The key management of a random state (see `RandomState`, which adds the distributions).
 *
 * @example
 * ```ts
 * const rng = new bst.random.RandomState(0);
 * rng.backupKey();
 * const a = rng.normal([3]);
 * rng.restoreKey();
 * const b = rng.normal([3]);   // equal to a
 * ```
 */
export class KeyState extends RandomStateKind<tf.Tensor> {
  private backup: Backup | undefined;

  /**
   * @param seedOrKey - an integer seed (the key `prngKey(seed)`), a key tensor (held as
   *   it is, like any state value, so `treefyMerge` and `clone` of modules that hold a
   *   RandomState copy nothing; checked when a draw uses it, so a batch of keys for
   *   per-lane use is allowed), or nothing: a seed from `Math.random`, drawn when the key
   *   is first used.
   * @param options - the state's `name` and `tag`.
   */
  constructor(seedOrKey?: SeedOrKey, options: StateOptions = {}) {
    super(seedOrKey === undefined ? LAZY
      : seedOrKey instanceof tf.Tensor ? seedOrKey : keyOf(seedOrKey, 'RandomState'), options);
  }

  /** How messages name a method: `random.seed` on `random.DEFAULT` (the module function), else `RandomState.seed`. */
  protected where(method: string): string {
    return this.name === 'random.DEFAULT' ? `random.${method}` : `RandomState.${method}`;
  }

  private materialize(): void {
    if (Array.isArray(super.rawValue())) this.setRaw(keyFromSeed(randomSeed()));
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

  /**
   * Reseeds: with an integer (as `prngKey(seed)`), a key (copied), or nothing (a fresh
   * seed from `Math.random`).
   *
   * @example
   * ```ts
   * rng.seed(42);
   * ```
   */
  seed(seedOrKey?: SeedOrKey): void {
    this.value = keyOf(seedOrKey ?? randomSeed(), this.where('seed'));
  }

  /**
   * Sets the key (a copy of `key`; a number is a seed), as BrainState's `set_key`.
   *
   * @example
   * ```ts
   * rng.setKey(bst.random.prngKey(7));
   * ```
   */
  setKey(key: SeedOrKey): void {
    this.value = keyOf(key, this.where('setKey'));
  }

  /**
   * Splits the key into `n + 1` keys (2 with no `n`), keeps the first and returns the
   * rest, as BrainState's `split_key`: one key `[2]` with no `n`, else `[n, 2]`. With
   * `backup`, the key before the split is backed up first (see {@link backupKey}).
   *
   * @example
   * ```ts
   * const k = rng.splitKey();      // shape [2]
   * const ks = rng.splitKey(4);    // shape [4, 2]
   * ```
   * @returns new key tensor(s), owned by the caller.
   */
  splitKey(n?: number, options: { backup?: boolean } = {}): tf.Tensor {
    if (options.backup === true) this.backupKey();
    return advanceKey(this, n, this.where('splitKey'));
  }

  /**
   * `n` new keys (`[n, 2]`), advancing this state, as BrainState's `split_keys`.
   *
   * @example
   * ```ts
   * const keys = rng.splitKeys(8);   // one key per parallel stream
   * ```
   */
  splitKeys(n: number, options: { backup?: boolean } = {}): tf.Tensor {
    if (!Number.isInteger(n) || n < 1) {
      throw new BrainStateError(`${this.where('splitKeys')}: expected n to be a positive integer, got ${n}.`);
    }
    return this.splitKey(n, options);
  }

  /**
   * Remembers the current key until {@link restoreKey}, as BrainState's `backup_key`.
   * Backing up twice without a restore is an error. A key backed up inside a jitted
   * function must be restored inside the same call.
   *
   * @example
   * ```ts
   * rng.backupKey();
   * rng.normal([2]);
   * rng.restoreKey();   // the key is back where it was
   * ```
   */
  backupKey(): void {
    if (this.backup !== undefined) {
      throw new BrainStateError(`${this.where('backupKey')}: the key has been backed up and not restored yet; ` +
        'call restoreKey() first (BrainState: "The random key has been backed up, and has not been restored.").');
    }
    const depth = observerDepth();
    const key = tf.clone(this.value);
    if (depth === 0) tf.keep(key);
    this.backup = { key, depth };
  }

  /**
   * Puts back the key {@link backupKey} remembered, as BrainState's `restore_key`.
   *
   * @example
   * ```ts
   * rng.restoreKey();
   * ```
   */
  restoreKey(): void {
    const b = this.backup;
    if (b === undefined) {
      throw new BrainStateError(`${this.where('restoreKey')}: the key has not been backed up; call backupKey() ` +
        'first (BrainState: "The random key has not been backed up.").');
    }
    if (b.depth !== observerDepth()) {
      throw new BrainStateError(`${this.where('restoreKey')}: the key was backed up ${b.depth > 0 ? 'inside' : 'outside'} ` +
        `a traced call and is restored ${b.depth > 0 ? 'outside' : 'inside'} one; back up and restore within the ` +
        'same jitted call (or both outside).');
    }
    this.backup = undefined;
    this.value = b.key;
  }

  /** Whether a key is backed up (see {@link backupKey}). */
  get hasBackup(): boolean {
    return this.backup !== undefined;
  }
}

/**
 * Freed result arrays of the jit's cpu kernels, kept for the next result of the same size.
 *
 * Why: tfjs-cpu stores every result in a new typed array. Above glibc's mmap threshold
 * (at most 32 MB) a new array is freshly mapped memory, zeroed by the OS page by page on
 * first write: writing the 104 MB of per-example MLP gradients into a fresh array took
 * 95.5 ms, into an existing one 3.3 ms (bench/vmap.ts, `fresh fill floor` / `fill floor`).
 * A program called in a loop whose caller disposes each result makes the same sizes again
 * and again, so the array of a disposed result serves the next one.
 *
 * An array is reused only when nothing can still see it:
 * - it was allocated by one of our kernels for one data id ({@link ArrayPool.adopt}), and
 *   tfjs-cpu really freed that data id (its reference count reached zero, so no reshape,
 *   clone or state still shares it: {@link ArrayPool.released});
 * - it never escaped: a read through the backend (`dataSync()`, `data()`, `array()`,
 *   `buffer()` hand out the stored array itself) and a store of the array, or of a view of
 *   its memory, under another data id (tfjs-cpu's `Slice` stores a `subarray`) make it
 *   the user's or tfjs's for good ({@link ArrayPool.escaped}, {@link ArrayPool.stored});
 * - the kernel that takes it writes every element (pooled arrays are not zeroed): callers
 *   say so per output (`OutputSpec.filled`).
 * The bytes held are bounded (the oldest arrays go first).
 *
 * This file holds the bookkeeping only; ./memory.ts connects it to tfjs-cpu's private
 * members.
 */
import type * as tf from '@tensorflow/tfjs';

/** The typed arrays tfjs-cpu stores for float32, int32 and bool tensors. */
export type StoredArray = Float32Array | Int32Array | Uint8Array;

/** Limits of an {@link ArrayPool}. */
export interface ArrayPoolLimits {
  /** Keep freed arrays at all (ownership is tracked either way: see {@link ArrayPool.owns}). */
  readonly reuse: boolean;
  /** Bytes the pool may hold; over it, the arrays freed longest ago are dropped. */
  readonly maxBytes: number;
  /** Arrays smaller than this are neither kept nor taken (malloc reuses small blocks). */
  readonly minBytes: number;
}

/** The pool's key of an array: its type and length (a reused array must be the one tfjs-cpu would make). */
const keyOf = (array: StoredArray) => `${array.constructor.name}:${array.length}`;
const ARRAY_TYPE: Partial<Record<tf.DataType, string>> = { float32: 'Float32Array', int32: 'Int32Array', bool: 'Uint8Array' };

/** The pool of one tfjs-cpu backend instance. */
export class ArrayPool {
  /** Each adopted array's buffer, with the one data id that holds it. */
  private readonly owners = new WeakMap<ArrayBufferLike, object>();
  /** Free arrays by dtype and length, most recently freed last. */
  private readonly free = new Map<string, StoredArray[]>();
  /** Every free array with its key, oldest first (the eviction order). */
  private readonly order = new Map<StoredArray, string>();
  private bytes = 0;

  constructor(private limits: ArrayPoolLimits) {}

  /** Bytes held now. */
  get heldBytes(): number {
    return this.bytes;
  }

  /** New limits (arrays over the new maximum are dropped at once). */
  setLimits(limits: ArrayPoolLimits): void {
    this.limits = limits;
    this.trim();
  }

  /** Whether an array of this many bytes is pooled at all. */
  pools(bytes: number): boolean {
    return this.limits.reuse && bytes >= this.limits.minBytes && bytes <= this.limits.maxBytes;
  }

  /**
   * Whether `array` is ours alone, held by `dataId` only and never read out or viewed:
   * then a kernel may also write a new value into it in place (a state update) without
   * changing anything a user holds (an array from `dataSync()`, or one the user passed to
   * `tf.tensor`, which tfjs-cpu stores without a copy).
   */
  owns(array: unknown, dataId: object): boolean {
    const buffer = (array as { buffer?: ArrayBufferLike } | undefined)?.buffer;
    return buffer !== undefined && this.owners.get(buffer) === dataId;
  }

  /** A freed array for an output of `dtype` and `length`, or undefined (allocate one). */
  take(dtype: tf.DataType, length: number): StoredArray | undefined {
    if (!this.pools(length * (dtype === 'float32' || dtype === 'int32' ? 4 : 1))) return undefined;
    const key = `${ARRAY_TYPE[dtype]}:${length}`;
    const list = this.free.get(key);
    const a = list?.pop();
    if (a === undefined) return undefined;
    if (list!.length === 0) this.free.delete(key);
    this.order.delete(a);
    this.bytes -= a.byteLength;
    return a;
  }

  /** `array` (allocated by our kernel) is now the whole storage of `dataId`. */
  adopt(array: StoredArray | Float64Array, dataId: object): void {
    this.owners.set(array.buffer, dataId);
  }

  /** `values` was handed out of the backend (a read): it is never reused. */
  escaped(values: unknown): void {
    const buffer = (values as { buffer?: ArrayBufferLike } | undefined)?.buffer;
    if (buffer !== undefined) this.owners.delete(buffer);
  }

  /** tfjs-cpu stores `values` for `dataId`: an adopted array (or a view of it) under another id escapes. */
  stored(values: unknown, dataId: object): void {
    const buffer = (values as { buffer?: ArrayBufferLike } | undefined)?.buffer;
    if (buffer === undefined) return;
    const owner = this.owners.get(buffer);
    if (owner !== undefined && owner !== dataId) this.owners.delete(buffer);
  }

  /** tfjs-cpu freed `dataId`, whose stored array was `values`: keep it if it is ours alone. */
  released(values: unknown, dataId: object): void {
    const a = values as StoredArray | undefined;
    if (a?.buffer === undefined || this.owners.get(a.buffer) !== dataId) return;
    this.owners.delete(a.buffer);
    // Only the arrays tfjs-cpu makes for a dtype are taken again (not an exact stack's Float64Array).
    if (!(a instanceof Float32Array || a instanceof Int32Array || a instanceof Uint8Array) || !this.pools(a.byteLength)) return;
    const key = keyOf(a);
    const list = this.free.get(key);
    if (list === undefined) this.free.set(key, [a]);
    else list.push(a);
    this.order.set(a, key);
    this.bytes += a.byteLength;
    this.trim();
  }

  /** Drops every free array (they go to the garbage collector). */
  clear(): void {
    this.free.clear();
    this.order.clear();
    this.bytes = 0;
  }

  private trim(): void {
    for (const [a, key] of this.order) {
      if (this.bytes <= this.limits.maxBytes) return;
      const list = this.free.get(key)!;
      list.splice(list.indexOf(a), 1);
      if (list.length === 0) this.free.delete(key);
      this.order.delete(a);
      this.bytes -= a.byteLength;
    }
  }
}

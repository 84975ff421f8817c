/**
 * Reading values where GPU data cannot be read synchronously (webgpu in Node): whether a
 * tensor can be, an asynchronous read that holds the data meanwhile, waiting for the GPU,
 * and what the host knows of constants without reading them back.
 *
 * The backend members used (`incRef`, `read`, `disposeData`) are those of every tfjs
 * `KernelBackend`; the webgpu-specific ones are in `./webgpu-engine.ts`.
 */
import * as tf from '@tensorflow/tfjs';
import { gpuIdle, hostValues, isOnHost, isWebGPUBackend, storageDtype } from './webgpu-engine';

/** A tensor info, as far as it is read here. */
interface Info {
  readonly dataId: object;
}

interface BackendReads {
  incRef(dataId: object): void;
  disposeData(dataId: object): boolean;
  read(dataId: object): Promise<unknown>;
}

/**
 * What the host knows of constants made from JS values while a trace records: whether all
 * elements are equal (and to what), and the values of small ones. The compiler reads
 * these instead of the tensor, which on webgpu may by then live on the GPU only.
 */
export interface HostConstant {
  readonly splat: number | undefined;
  /** The values when there are at most {@link HOST_CONSTANT_VALUES} of them. */
  readonly values: ArrayLike<number> | undefined;
  /**
   * A copy of the data as given (same typed array type) when there are at most
   * {@link HOST_CONSTANT_DATA} values: the jit hands tfjs-webgpu a fresh host tensor of it
   * at each call, as the traced code makes one eagerly (see `freshHostConstant`).
   */
  readonly data: ArrayLike<number> | undefined;
}

const HOST_CONSTANT_VALUES = 64;
/** Above tfjs-webgpu's default WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD (1000): larger host data never runs on its CPU kernels. */
const HOST_CONSTANT_DATA = 1024;
const hostConstants = new WeakMap<object, HostConstant>();
/** Host data of kernel results over constants, as recorded by {@link recordHostResult}. */
const hostResults = new WeakMap<object, ArrayLike<number>>();

/** Records what `values` (the JS data a traced constant was made from) say about it. */
export function recordHostConstant(dataId: object, values: ArrayLike<number>): void {
  const first = values[0];
  let splat: number | undefined = values.length > 0 ? Number(first) : undefined;
  for (let i = 1; i < values.length && splat !== undefined; i++) if (!Object.is(values[i], first)) splat = undefined;
  hostConstants.set(dataId, {
    splat,
    values: values.length <= HOST_CONSTANT_VALUES ? Array.from(values) : undefined,
    data: values.length <= HOST_CONSTANT_DATA && ArrayBuffer.isView(values)
      ? (values as unknown as Float32Array).slice() : undefined,
  });
}

/**
 * Records, for a kernel result made from constants only while a trace records (a result the
 * jit folds into a constant), its values as tfjs-webgpu holds them when they are small host
 * data: eagerly that kernel runs on its CPU forms at every call and makes new host data,
 * which the jit's constant must then be too (see `freshHostConstant`). A later kernel of the
 * trace may upload the trace's result (fuzz seed 971917: `tf.round(tf.abs(c))` after
 * `tf.floorDiv(x, tf.abs(c))` left the folded |c| on the GPU, so the jit divided in f32).
 */
export function recordHostResult(dataId: object): void {
  const b = backend();
  if (!isWebGPUBackend(b) || hostConstants.has(dataId) || hostResults.has(dataId)) return;
  const values = hostValues(b, dataId);
  if (values !== undefined && values.length <= HOST_CONSTANT_DATA) hostResults.set(dataId, (values as Float32Array).slice());
}

/**
 * A new host tensor (data not on the GPU) holding what constant `t` was made from during a
 * trace, when that is known and `t` is smaller than `threshold` elements; else undefined.
 *
 * Why: a constant made inside traced code (`tf.tensor([...])`, `tf.scalar(3)`) is new host
 * data at every eager call, so tfjs-webgpu runs kernels on it (with other small host inputs)
 * on its CPU forms; the jit's one constant tensor would be uploaded by its first GPU kernel
 * and from then on make those kernels run on the GPU, whose bits differ (int32 through f32,
 * denormals flushed: fuzz seeds 74, 219 and 781 on webgpu). The same holds for a kernel
 * result over such constants that the jit folded ({@link recordHostResult}). The caller
 * disposes it.
 */
export function freshHostConstant(t: Info & { readonly shape: number[]; readonly dtype: tf.DataType; readonly size: number },
  threshold: number): Info | undefined {
  if (t.size >= threshold) return undefined;
  const data = hostConstants.get(t.dataId)?.data ?? hostResults.get(t.dataId);
  if (data === undefined || data.length !== t.size) return undefined;
  const b = backend() as { write(values: ArrayLike<number>, shape: number[], dtype: tf.DataType): object };
  // As the data was stored: a float32 cast of int32 data keeps int32 storage, which its upload keeps exact (fuzz seed 990927).
  return { dataId: b.write(data, t.shape.slice(), storageDtype(b, t.dataId) ?? t.dtype) };
}

/**
 * Whether {@link freshHostConstant} gives `t` new host data at each call: what tfjs-webgpu
 * holds of a small constant made in traced code (or of a result folded from such constants)
 * is new host data at every eager call.
 */
export function isFreshHostData(t: Info & { readonly size: number }, threshold: number): boolean {
  if (t.size >= threshold) return false;
  const data = hostConstants.get(t.dataId)?.data ?? hostResults.get(t.dataId);
  return data !== undefined && data.length === t.size;
}

/** What was recorded of `t` when it was made from JS values during a trace, if anything. */
export function hostConstant(t: Info): HostConstant | undefined {
  return hostConstants.get(t.dataId);
}

function backend(): unknown {
  return tf.engine().backend;
}

/**
 * Whether the compiler may read `t`'s values synchronously (to fold a constant): always,
 * except on webgpu when its data lives on the GPU only. Not even in browsers, where
 * tfjs-webgpu can read synchronously: in Chromium a synchronous read leaves later
 * asynchronous reads failing ("A valid external Instance reference no longer exists",
 * docs/sharp-bits.md 24), so such a constant stays a tensor input.
 */
export function canReadSync(t: Info): boolean {
  const b = backend();
  if (!isWebGPUBackend(b)) return true;
  return isOnHost(b, t.dataId);
}

/**
 * `t`'s values, read asynchronously, with `t`'s data held until they arrive (so `t` may be
 * disposed meanwhile; the read sees the data as it is now, later writes go to new data).
 */
export function readHeld(t: Info): Promise<ArrayLike<number>> {
  const b = backend() as BackendReads;
  b.incRef(t.dataId);
  let p: Promise<unknown>;
  try {
    p = b.read(t.dataId);
  } catch (e) {
    b.disposeData(t.dataId);
    throw e;
  }
  return p.then((v) => v as ArrayLike<number>).finally(() => b.disposeData(t.dataId));
}

/** Resolves when the backend has finished the work queued so far (webgpu runs asynchronously; others at once). */
export async function backendIdle(): Promise<void> {
  const b = backend();
  if (isWebGPUBackend(b)) await gpuIdle(b);
}

/**
 * Whether reads of backend data should be awaited rather than made synchronously: on
 * webgpu everywhere (Node cannot read GPU data synchronously at all; a browser can, through
 * OffscreenCanvas, but that stalls the page until the GPU is done).
 */
export function readsAreAsync(): boolean {
  return isWebGPUBackend(backend());
}

/**
 * The first element of `t`'s data (a loop's or branch's predicate): at once when it can be
 * read without waiting for the GPU (every backend but webgpu; on webgpu, data still on the
 * host), else a promise of it, read asynchronously with the data held meanwhile.
 */
export function readFirst(t: Info): number | Promise<number> {
  const b = backend();
  if (!isWebGPUBackend(b) || isOnHost(b, t.dataId)) {
    return Number(((b as { readSync(d: object): ArrayLike<number> }).readSync(t.dataId))[0]);
  }
  return readHeld(t).then((v) => Number(v[0]));
}

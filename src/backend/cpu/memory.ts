/**
 * tfjs-cpu's tensor memory, addressed directly: `backend.data.get(dataId).values` (the
 * stored typed array) and `backend.makeTensorInfo(shape, dtype, values)`, private members
 * of MathBackendCPU checked by {@link selfTestCpu} when the backend starts. The reuse of
 * disposed results' arrays (./array-pool.ts) watches the backend's `data.set`,
 * `disposeData`, `readSync` and `read` (wrapped on the instance the jit first runs on).
 */
import type * as tf from '@tensorflow/tfjs';
import { BackendError } from '../../errors';
import { currentBackend, reuseFor, TensorInfo } from '../tfjs-engine';
import type { HostMemory, RowAccess } from '../targets';
import { ArrayPool, ArrayPoolLimits, StoredArray } from './array-pool';
import { cpuMemoryOptions, CpuMemoryOptions, onCpuMemoryOptionsChange } from './options';

interface StoredData { values: ArrayLike<number>; dtype?: tf.DataType }

interface CpuBackendPrivate {
  data: {
    get(dataId: object): StoredData;
    has(dataId: object): boolean;
    set(dataId: object, value: StoredData): void;
  };
  incRef(dataId: object): void;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: unknown): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  readSync(dataId: object): unknown;
  read(dataId: object): Promise<unknown>;
}

function cpu(): CpuBackendPrivate {
  return currentBackend() as unknown as CpuBackendPrivate;
}

/** Checks the private members used here on the current (cpu) backend. */
export function selfTestCpu(): void {
  const b = cpu() as Partial<CpuBackendPrivate>;
  if (b.data == null || typeof b.data.get !== 'function') fail('backend.data.get()');
  if (typeof b.makeTensorInfo !== 'function') fail('backend.makeTensorInfo()');
  if (typeof (b as { refCount?: unknown }).refCount !== 'function') fail('backend.refCount()');
  for (const m of ['has', 'set'] as const) if (typeof b.data[m] !== 'function') fail(`backend.data.${m}()`);
  for (const m of ['disposeData', 'readSync', 'read'] as const) if (typeof b[m] !== 'function') fail(`backend.${m}()`);
  const info = b.makeTensorInfo([2], 'float32', new Float32Array([1, 2]));
  try {
    const v = b.data.get(info.dataId)?.values;
    if (!(v instanceof Float32Array) || v[0] !== 1 || v[1] !== 2) fail('backend.data.get(dataId).values (the stored array)');
  } finally {
    currentBackend().disposeData(info.dataId);
  }
}

function fail(what: string): never {
  throw new BackendError(`brainstate-ts: this version of @tensorflow/tfjs-backend-cpu lacks ${what}, which the jit ` +
    'needs on the cpu backend. brainstate-ts supports @tensorflow/tfjs 4.x (tested with 4.22.0); install that version.');
}

const limitsOf = (o: CpuMemoryOptions): ArrayPoolLimits => ({ reuse: o.reuseArrays, maxBytes: o.maxPooledBytes, minBytes: o.minPooledBytes });

/** Each backend instance's pool (tfjs can make a new cpu backend), and the last one used (changed at once). */
const pools = new WeakMap<object, ArrayPool>();
let lastPool: ArrayPool | undefined;
onCpuMemoryOptionsChange((o) => {
  if (!o.reuseArrays) lastPool?.clear();
  lastPool?.setLimits(limitsOf(o));
});

/**
 * The pool of backend `b`, its hooks installed on first use: every store (`data.set`),
 * free (`disposeData`) and read (`readSync`, `read`) of the instance tells the pool.
 */
function poolOf(b: CpuBackendPrivate, o: CpuMemoryOptions): ArrayPool {
  let pool = pools.get(b);
  if (pool === undefined) {
    const p = new ArrayPool(limitsOf(o));
    const { data, disposeData, readSync, read } = b;
    const set = data.set;
    const valuesOf = (dataId: object) => (data.has(dataId) ? data.get(dataId).values : undefined);
    data.set = function (this: unknown, dataId, value) {
      p.stored(value?.values, dataId);
      set.call(this, dataId, value);
    };
    b.disposeData = function (this: unknown, dataId, force) {
      const values = valuesOf(dataId);
      const freed = disposeData.call(this, dataId, force);
      if (values !== undefined && !data.has(dataId)) p.released(values, dataId);
      return freed;
    };
    b.readSync = function (this: unknown, dataId) {
      p.escaped(valuesOf(dataId));
      return readSync.call(this, dataId);
    };
    b.read = function (this: unknown, dataId) {
      p.escaped(valuesOf(dataId));
      return read.call(this, dataId);
    };
    pools.set(b, p);
    pool = p;
  }
  if (pool !== lastPool) {
    pool.setLimits(limitsOf(o));
    lastPool = pool;
  }
  return pool;
}

/** Bytes of freed arrays the current cpu backend holds for reuse (specs: the bound). */
export function pooledBytes(): number {
  return pools.get(cpu())?.heldBytes ?? 0;
}

export function typedArrayFor(dtype: tf.DataType, size: number): Float32Array | Int32Array | Uint8Array {
  return dtype === 'float32' ? new Float32Array(size) : dtype === 'int32' ? new Int32Array(size) : new Uint8Array(size);
}

const size = (shape: readonly number[]) => shape.reduce((p, q) => p * q, 1);
const vals = (t: TensorInfo) => cpu().data.get(t.dataId).values as Float32Array | Int32Array | Uint8Array;

/** Whether `a` is the array tfjs-cpu makes for `dtype` (a cast can leave another one). */
export function isCanonicalArray(a: ArrayLike<number>, dtype: tf.DataType): boolean {
  return a instanceof (dtype === 'float32' ? Float32Array : dtype === 'int32' ? Int32Array : Uint8Array);
}

/**
 * A row of an exact stack (a Float64Array holding each row's stored values) back in an
 * array that tfjs-cpu could have stored it in: the dtype's own where every value fits,
 * else the one that holds them (a float32 cast of an int32 beyond 2^24: an Int32Array;
 * an int32 `square` beyond 2^31: a Float32Array).
 */
function storedRow(v: Float64Array, dtype: tf.DataType): Float64Array | Float32Array | Int32Array | Uint8Array {
  const fitsFloat = v.every((x) => Math.fround(x) === x || Number.isNaN(x));
  const fitsInt = v.every((x) => (x | 0) === x);
  if (dtype === 'bool') return Uint8Array.from(v);
  if (dtype === 'int32') return fitsInt ? Int32Array.from(v) : fitsFloat ? Float32Array.from(v) : v;
  return fitsFloat ? Float32Array.from(v) : fitsInt ? Int32Array.from(v) : v;
}

/** A tensor info for `values`, a new array of ours (so a later kernel may write into it in place). */
function adopted(shape: number[], dtype: tf.DataType, values: StoredArray | Float64Array): TensorInfo {
  const b = cpu();
  const info = b.makeTensorInfo(shape, dtype, values);
  poolOf(b, cpuMemoryOptions()).adopt(values, info.dataId);
  return info;
}

const rows: RowAccess = {
  row(x, i) {
    const rest = x.shape.slice(1);
    const n = size(rest);
    const all = vals(x) as Float32Array | Int32Array | Uint8Array | Float64Array;
    const v = all.slice(i * n, (i + 1) * n);
    return adopted(rest, x.dtype, v instanceof Float64Array ? storedRow(v, x.dtype) : v);
  },
  stack(rs, exact = false) {
    // As tfjs-cpu's Pack: one row is a reshape sharing its data (a float32 cast of an
    // int32 stays an Int32Array, values beyond 2^24 exact); more rows are copied into the
    // dtype's array. An exact stack of rows not all in their dtype's array (a gradient's
    // residuals, which the eager tape reads as they are) goes into a Float64Array, which
    // holds every int32 and float32 value; `row` hands each row back in a tfjs array.
    const b = cpu();
    if (rs.length === 1) {
      b.incRef(rs[0].dataId);
      return { dataId: rs[0].dataId, shape: [1, ...rs[0].shape], dtype: rs[0].dtype };
    }
    const n = size(rs[0].shape);
    const wide = exact && rs.some((r) => !isCanonicalArray(vals(r), r.dtype));
    const out = wide ? new Float64Array(n * rs.length) : typedArrayFor(rs[0].dtype, n * rs.length);
    rs.forEach((r, k) => out.set(vals(r), k * n));
    return adopted([rs.length, ...rs[0].shape], rs[0].dtype, out);
  },
};

/** tfjs-cpu's memory as the jit addresses it. */
export const cpuMemory: HostMemory = {
  run(inputs, outputs, loop, reuse) {
    const b = cpu();
    // Data stored under another dtype than the tensor's in its dtype's own array type (tfjs-cpu's
    // Abs of int32 data is a Float32Array stored as int32, and a float32 cast shares it): kernels
    // read the array as it is, but readSync converts by the stored dtype, so a result copied from
    // it would read differently from eager's shared data (fuzz seed 771934: |-2^31| read back as
    // -2^31 eagerly, 2^31 from the copy). Handed to the loop as a plain Array, which it does not
    // take as canonical: it runs node by node then, sharing data as eager does.
    const ins = inputs.map((t) => {
      const e = b.data.get(t.dataId);
      return e.dtype !== undefined && e.dtype !== t.dtype && isCanonicalArray(e.values, t.dtype) ? Array.from(e.values) : e.values;
    });
    // tfjs-cpu can keep a float32 tensor in an Int32Array or Uint8Array (casts share storage):
    // writing floats there would truncate them.
    const pool = poolOf(b, cpuMemoryOptions());
    // Only into an array that is ours alone: a user's array (read out with dataSync(), or
    // passed to tf.tensor) must never change.
    const reused = reuseFor(inputs, outputs, reuse, (k, dtype) => ins[k] instanceof
      (dtype === 'float32' ? Float32Array : dtype === 'int32' ? Int32Array : Uint8Array) && pool.owns(ins[k], inputs[k].dataId));
    // A freed array keeps its old values: only outputs the loop writes in full take one.
    const arrays = outputs.map((out, m) => (reused[m] !== undefined ? ins[reuse!.inputOf[m]] as StoredArray
      : (out.filled === true ? pool.take(out.dtype, size(out.shape)) : undefined) ?? typedArrayFor(out.dtype, size(out.shape))));
    loop(ins, arrays as unknown as { [i: number]: number }[]);
    return outputs.map((out, i) => {
      if (reused[i] !== undefined) return reused[i]!;
      const info = b.makeTensorInfo(out.shape, out.dtype, arrays[i]);
      pool.adopt(arrays[i], info.dataId);
      return info;
    });
  },
  rows,
  canonicalStorage: false,
  writesInPlace: true,
};

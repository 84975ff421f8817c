/**
 * tfjs-wasm's tensor memory, addressed directly: its WebAssembly heap. Private members of
 * BackendWasm used here (checked by {@link selfTestWasm} when the backend starts):
 * `makeOutput`, `typedArrayFromHeap`, `dataIdMap`, `wasm.asm.memory` (or `wasm.HEAPU8`'s
 * buffer) and the module exports `_dispose_data` / `_register_tensor`.
 */
import type * as tf from '@tensorflow/tfjs';
import { BackendError } from '../../errors';
import { currentBackend, OutputReuse, reuseFor, TensorInfo } from '../tfjs-engine';
import type { HostMemory, OutputSpec, RowAccess } from '../targets';

interface WasmBackendPrivate {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): ArrayLike<number>;
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number } | undefined };
  wasm: {
    asm?: { memory?: { buffer: ArrayBuffer } };
    /** The module's exports, called directly (the `tfjs.*` cwrap wrappers cost more than the calls). */
    _dispose_data?(id: number): void;
    _register_tensor?(id: number, size: number, memoryOffset: number): void;
  };
}

function wasm(): WasmBackendPrivate {
  return currentBackend() as unknown as WasmBackendPrivate;
}

function fail(what: string): never {
  throw new BackendError(`brainstate-ts: this version of @tensorflow/tfjs-backend-wasm lacks ${what}, which the jit ` +
    'needs on the wasm backend. brainstate-ts supports @tensorflow/tfjs 4.x (tested with 4.22.0); install that version.');
}

/** Checks the private members used here on the current (wasm) backend. */
export function selfTestWasm(): void {
  const b = wasm() as Partial<WasmBackendPrivate>;
  for (const m of ['makeOutput', 'typedArrayFromHeap'] as const) if (typeof b[m] !== 'function') fail(`backend.${m}()`);
  if (b.dataIdMap == null || typeof b.dataIdMap.get !== 'function') fail('backend.dataIdMap');
  if (b.wasm == null || typeof b.wasm._dispose_data !== 'function' || typeof b.wasm._register_tensor !== 'function') {
    fail("the module exports _dispose_data / _register_tensor");
  }
  if (typeof (b as { refCount?: unknown }).refCount !== 'function') fail('backend.refCount()');
  const w = b as WasmBackendPrivate;
  const info = w.makeOutput([2], 'float32');
  try {
    const view = w.typedArrayFromHeap(info) as Float32Array;
    view[0] = 1;
    view[1] = 2;
    const d = w.dataIdMap.get(info.dataId);
    if (d == null || typeof d.id !== 'number' || typeof d.memoryOffset !== 'number') fail('backend.dataIdMap entries {id, memoryOffset}');
    const read = currentBackend().readSync(info.dataId) as Float32Array;
    if (read[0] !== 1 || read[1] !== 2) fail('backend.typedArrayFromHeap() (a view of the tensor on the heap)');
  } finally {
    currentBackend().disposeData(info.dataId);
  }
}

/**
 * Tells tfjs-wasm that the data of `info` changed in place. Its C side caches XNNPACK
 * operators by tensor id (matMul packs its weight operand once per id, conv its filter);
 * a changed buffer under the same id would make a later matMul use the stale packing.
 * Unregistering the id runs those caches' disposal callbacks (it frees no memory);
 * registering it again points it back at the same buffer.
 */
function invalidateWasmCaches(w: WasmBackendPrivate, info: TensorInfo): void {
  const d = w.dataIdMap.get(info.dataId)!;
  const m = w.wasm;
  if (typeof m._dispose_data !== 'function' || typeof m._register_tensor !== 'function') {
    fail("the module exports _dispose_data / _register_tensor");
  }
  m._dispose_data(d.id);
  m._register_tensor(d.id, info.shape.reduce((a, b) => a * b, 1), d.memoryOffset);
}

/**
 * tfjs-wasm's heap (the WebAssembly.Memory its module exports), for generated kernels
 * that work in place; undefined when not exported or shared (threads).
 */
export function wasmHeap(): { buffer: ArrayBuffer } | undefined {
  const mem = wasm().wasm?.asm?.memory;
  if (mem == null || !(mem.buffer instanceof ArrayBuffer)) return undefined;
  return mem;
}

/**
 * Runs a generated kernel on tfjs-wasm's heap: outputs are allocated, then `kernel`
 * gets the byte offsets of the inputs and outputs, and a function making the
 * typed-array views of both (after the allocations, which can grow the heap).
 */
export function runOnWasmHeap(inputs: readonly TensorInfo[], outputs: readonly OutputSpec[],
  kernel: (ptrs: number[], views: () => [ArrayLike<number>[], { [i: number]: number }[]]) => void,
  reuse?: OutputReuse): TensorInfo[] {
  const w = wasm();
  const reused = reuseFor(inputs, outputs, reuse);
  const infos = outputs.map((o, m) => reused[m] ?? w.makeOutput(o.shape, o.dtype));
  const ptrs = [...inputs, ...infos].map((t) => w.dataIdMap.get(t.dataId)!.memoryOffset);
  // Typed-array views only when asked for (a JS tail loop): making them costs per call.
  kernel(ptrs, () => [inputs.map((t) => w.typedArrayFromHeap(t)),
    infos.map((t) => w.typedArrayFromHeap(t) as unknown as { [i: number]: number })]);
  reused.forEach((r) => { if (r !== undefined) invalidateWasmCaches(w, r); });
  return infos;
}

const size = (shape: readonly number[]) => shape.reduce((p, q) => p * q, 1);

const rows: RowAccess = {
  row(x, i) {
    const w = wasm();
    const view = (t: TensorInfo) => w.typedArrayFromHeap(t) as Float32Array | Int32Array | Uint8Array;
    const rest = x.shape.slice(1);
    const n = size(rest);
    const out = w.makeOutput(rest, x.dtype);
    view(out).set(view(x).subarray(i * n, (i + 1) * n));
    return out;
  },
  stack(rs) {
    const w = wasm();
    const view = (t: TensorInfo) => w.typedArrayFromHeap(t) as Float32Array | Int32Array | Uint8Array;
    const n = size(rs[0].shape);
    const out = w.makeOutput([rs.length, ...rs[0].shape], rs[0].dtype);
    const dst = view(out);
    rs.forEach((r, k) => dst.set(view(r), k * n));
    return out;
  },
};

/** tfjs-wasm's memory as the jit addresses it. */
export const wasmMemory: HostMemory = {
  run(inputs, outputs, loop, reuse) {
    const w = wasm();
    // Allocate first: an allocation can grow the heap and detach earlier views.
    const reused = reuseFor(inputs, outputs, reuse);
    const infos = outputs.map((o, m) => reused[m] ?? w.makeOutput(o.shape, o.dtype));
    const ins = inputs.map((t) => w.typedArrayFromHeap(t));
    const outs = infos.map((t) => w.typedArrayFromHeap(t) as unknown as { [i: number]: number });
    loop(ins, outs);
    reused.forEach((r) => { if (r !== undefined) invalidateWasmCaches(w, r); });
    return infos;
  },
  rows,
  canonicalStorage: true,
  writesInPlace: true,
};

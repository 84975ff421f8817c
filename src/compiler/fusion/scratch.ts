/**
 * Running a SIMD kernel on data that does not live in a WebAssembly heap (the cpu
 * backend's typed arrays): copy the inputs into a private memory, run, copy out.
 * Copying costs one extra read and write per element, far less than a JS loop's
 * compute on these machines (measured: see the bench).
 */
import type { FusedSpec } from '../ir';
import type { SimdKernel, WasmMemory } from './codegen-wasm';

interface GrowableMemory extends WasmMemory {
  grow(pages: number): number;
}

const WA = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => GrowableMemory } }).WebAssembly;
const PAGE = 65536;
let memory: GrowableMemory | undefined;

/** The private memory copying kernels import (one per process, grown on demand). */
export function scratchMemory(): GrowableMemory {
  if (memory === undefined) memory = WA.Memory === undefined ? undefined : new WA.Memory({ initial: 1 });
  return memory!;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/**
 * Whether every input array is its dtype's own typed array. tfjs-cpu shares storage across
 * some casts (a float32 cast of an int32 keeps the Int32Array, values beyond 2^24 exact)
 * and stores int32 `abs` / `square` in a Float32Array: copying those into float32 or int32
 * lanes would change values the JS loop (like tfjs-cpu) reads as they are.
 */
export function hasCanonicalStorage(spec: FusedSpec, ins: readonly ArrayLike<number>[]): boolean {
  let k = 0;
  for (const inp of spec.inputs) {
    if (inp.mode === 'literal') continue;
    const a = ins[k++];
    const ok = inp.dtype === 'float32' ? a instanceof Float32Array : inp.dtype === 'int32' ? a instanceof Int32Array
      : a instanceof Uint8Array;
    if (!ok) return false;
  }
  return true;
}

/**
 * Elements per pass of {@link runCopying} (a multiple of 16): the private heap's share of
 * each pass (inputs and outputs, about 13 bytes per element for a LIF step: 200 KB) stays
 * in the L2 cache, so copying in, running and copying out touch main memory once, as a
 * kernel in place would.
 */
export const COPY_CHUNK = 16384;

type View = Float32Array | Int32Array | Uint8Array;

function viewOf(dtype: string, buf: ArrayBuffer, ptr: number, n: number): View {
  return dtype === 'bool' ? new Uint8Array(buf, ptr, n) : dtype === 'int32' ? new Int32Array(buf, ptr, n) : new Float32Array(buf, ptr, n);
}

/**
 * Copies the inputs in, runs `simd` over the first `body` elements, copies the results
 * into `outs`, in chunks of {@link COPY_CHUNK} elements (whole when an input is a row
 * broadcast, whose period a chunk could split). `ins` are the non-literal inputs in spec
 * order. An output may be an input's array (a state updated in place): each chunk is read
 * before it is written.
 */
export function runCopying(spec: FusedSpec, simd: SimdKernel, body: number, ins: ArrayLike<number>[],
  outs: { [i: number]: number }[]): void {
  const mem = scratchMemory();
  const live = spec.inputs.filter((i) => i.mode !== 'literal');
  const chunk = live.some((i) => i.mode === 'strided') ? body : Math.min(COPY_CHUNK, body);
  const outDtypes = spec.outputs.map((r) => (r < spec.inputs.length ? spec.inputs[r].dtype : spec.ops[r - spec.inputs.length].dtype));
  const sizes: number[] = [];
  live.forEach((inp, k) => sizes.push(inp.mode === 'scalar' ? BYTES[inp.dtype]
    : inp.mode === 'strided' ? ins[k].length * BYTES[inp.dtype] : chunk * BYTES[inp.dtype]));
  outDtypes.forEach((d) => sizes.push(chunk * BYTES[d]));
  const ptrs: number[] = [];
  let end = 0;
  for (const s of sizes) {
    ptrs.push(end);
    end += Math.ceil(s / 16) * 16;
  }
  if (end > mem.buffer.byteLength) mem.grow(Math.ceil((end - mem.buffer.byteLength) / PAGE));
  const buf = mem.buffer;
  // Scalars and row broadcasts are copied once; full inputs and outputs per chunk.
  live.forEach((inp, k) => {
    if (inp.mode === 'full') return;
    const src = ins[k] as View;
    viewOf(inp.dtype, buf, ptrs[k], src.length).set(src);
  });
  const inViews = live.map((inp, k) => (inp.mode === 'full' ? viewOf(inp.dtype, buf, ptrs[k], chunk) : undefined));
  const outViews = outDtypes.map((d, m) => viewOf(d, buf, ptrs[live.length + m], chunk));
  for (let start = 0; start < body; start += chunk) {
    const len = Math.min(chunk, body - start);
    live.forEach((inp, k) => {
      if (inp.mode !== 'full') return;
      const src = ins[k] as View;
      const dst = inViews[k]!;
      (len === chunk ? dst : dst.subarray(0, len)).set(start === 0 && src.length === len ? src : src.subarray(start, start + len));
    });
    simd(...ptrs, len);
    outDtypes.forEach((_, m) => {
      const v = outViews[m];
      (outs[m] as View).set(len === chunk ? v : v.subarray(0, len), start);
    });
  }
}

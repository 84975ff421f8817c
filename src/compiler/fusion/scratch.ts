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
 * Copies the inputs in, runs `simd` over the first `body` elements, copies the results
 * into `outs`. `ins` are the non-literal inputs in spec order.
 */
export function runCopying(spec: FusedSpec, simd: SimdKernel, body: number, ins: ArrayLike<number>[],
  outs: { [i: number]: number }[]): void {
  const mem = scratchMemory();
  const sizes: number[] = [];
  const live = spec.inputs.filter((i) => i.mode !== 'literal');
  live.forEach((inp, k) => sizes.push((inp.mode === 'scalar' ? 1 : body) * BYTES[inp.dtype]));
  spec.outputs.forEach((r) => {
    const dtype = r < spec.inputs.length ? spec.inputs[r].dtype : spec.ops[r - spec.inputs.length].dtype;
    sizes.push(body * BYTES[dtype]);
  });
  const ptrs: number[] = [];
  let end = 0;
  for (const s of sizes) {
    ptrs.push(end);
    end += Math.ceil(s / 16) * 16;
  }
  if (end > mem.buffer.byteLength) mem.grow(Math.ceil((end - mem.buffer.byteLength) / PAGE));
  const buf = mem.buffer;
  live.forEach((inp, k) => {
    const n = inp.mode === 'scalar' ? 1 : body;
    const src = ins[k] as Float32Array | Int32Array | Uint8Array;
    const view = inp.dtype === 'bool' ? new Uint8Array(buf, ptrs[k], n)
      : inp.dtype === 'int32' ? new Int32Array(buf, ptrs[k], n) : new Float32Array(buf, ptrs[k], n);
    view.set(src.length === n ? src : src.subarray(0, n));
  });
  simd(...ptrs, body);
  spec.outputs.forEach((_, m) => {
    const out = outs[m] as Float32Array | Uint8Array;
    const p = ptrs[live.length + m];
    out.set(out instanceof Uint8Array ? new Uint8Array(buf, p, body) : new Float32Array(buf, p, body));
  });
}

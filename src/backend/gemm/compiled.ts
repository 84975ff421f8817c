/**
 * The compiled GEMM modules (one per memory kind: plain, or shared for threads) and their
 * instances, one per memory they run on (tfjs-wasm's heap, or the private memory of the
 * copying path). The tile sizes were chosen by measurement (bench/workloads/gemm.ts): a
 * 4x8 micro-kernel (8 accumulators) ran at 45-53 GFLOP/s here, while every shape with 9
 * or 12 accumulators (6x8, 3x12, 4x12, 3x16, 2x24) ran at 19-27 GFLOP/s under V8, and
 * unrolling the shared dimension by 2 lost 20-30%.
 */
import type { Blocking, GemmExports } from './driver';
import { gemmModuleBytes } from './gemm-module';

/** The WebAssembly JS API parts used here (not in the ES lib typings this project compiles with). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  validate(bytes: Uint8Array): boolean;
}
export const WA = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** Tile and block sizes (see the file comment). */
export const BLOCKING: Blocking = { mr: 4, nr: 8, kc: 256, mc: 128, nc: 256 };

/** Maximum pages of the shared memory (4 GiB: address space only, committed as it grows). */
export const SHARED_MAX_PAGES = 65536;

/** Whether this engine validates relaxed-SIMD `f32x4.relaxed_madd` (Node 20 does not unless flagged). */
export function relaxedSimdValidates(): boolean {
  if (WA === undefined) return false;
  // (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd)
  return WA.validate(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 8, 1, 0x60, 3, 0x7b, 0x7b, 0x7b, 1, 0x7b,
    3, 2, 1, 0, 10, 13, 1, 11, 0, 0x20, 0, 0x20, 1, 0x20, 2, 0xfd, 0x85, 0x02, 0x0b]));
}

/** Whether WebAssembly SIMD is available at all (the GEMM needs it). */
export function simdValidates(): boolean {
  if (WA === undefined) return false;
  // (func (result v128) v128.const 0)
  return WA.validate(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7b, 3, 2, 1, 0,
    10, 22, 1, 20, 0, 0xfd, 0x0c, ...new Array<number>(16).fill(0), 0x0b]));
}

const modules = new Map<string, object>();

/** The compiled module (cached) for a memory kind and FMA choice. */
export function gemmModule(shared: boolean, fma: boolean): object {
  const key = `${shared ? 'shared' : 'plain'}-${fma ? 'fma' : 'muladd'}`;
  let m = modules.get(key);
  if (m === undefined) {
    m = new WA!.Module(gemmModuleBytes({ mr: BLOCKING.mr, nr: BLOCKING.nr, fma,
      sharedMaxPages: shared ? SHARED_MAX_PAGES : undefined }));
    modules.set(key, m);
  }
  return m;
}

/** The module instantiated on `memory`. */
export function instantiate(module: object, memory: WasmMemory): GemmExports {
  return new WA!.Instance(module, { env: { memory } }).exports as unknown as GemmExports;
}

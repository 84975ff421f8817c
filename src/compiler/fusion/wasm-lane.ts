/**
 * Which generated code a fused kernel runs as on a host-memory backend (cpu, wasm):
 * - `'simd'`: WebAssembly SIMD, 16 elements per step (./codegen-wasm.ts), the default;
 * - `'scalar'`: scalar WebAssembly, one element at a time with the same float32 operations
 *   (./codegen-scalar.ts), where `BRAINSTATE_SIMD` is off or the engine does not validate
 *   WebAssembly SIMD (detected once, as tfjs-backend-wasm picks its non-SIMD binary);
 * - undefined: the generated JS loop (./codegen-js.ts), where `BRAINSTATE_WASM_KERNELS` is off,
 *   the engine has no WebAssembly, or the spec has an op without a WebAssembly form.
 * All three give the same bits (each reproduces the backend's own kernels).
 */
import type { FusedSpec } from '../ir';
import { buildModule, f32x4Const } from '../../util/wasm-binary';
import { compilerOptions } from '../options';
import { laneSupports } from './codegen-wasm';
import type { FusionTarget } from './ops';

/** A WebAssembly kernel kind. */
export type WasmLane = 'simd' | 'scalar';

interface WasmValidate {
  validate(bytes: Uint8Array): boolean;
}
const WA = (globalThis as unknown as { WebAssembly?: WasmValidate }).WebAssembly;

let simdHost: boolean | undefined;

/** Whether this engine validates WebAssembly SIMD (a module whose function makes a v128 constant). */
export function hostHasWasmSimd(): boolean {
  if (simdHost === undefined) {
    simdHost = WA !== undefined && WA.validate(buildModule([], [], [...f32x4Const(0), 0x1a /* drop */]));
  }
  return simdHost;
}

/** Whether this engine has WebAssembly at all. */
export function hostHasWasm(): boolean {
  return WA !== undefined && typeof WA.validate === 'function';
}

/** The WebAssembly kernel kind fused kernels compile to now (the switches, then the engine), or undefined for JS loops. */
export function wasmLane(): WasmLane | undefined {
  const o = compilerOptions();
  if (!o.wasmKernels || !hostHasWasm()) return undefined;
  return o.simd && hostHasWasmSimd() ? 'simd' : 'scalar';
}

/**
 * The lane `spec` runs as on `target` under the current switches, or undefined for the JS
 * loop: the spec must have a WebAssembly form of every op, and a SIMD kernel needs at least
 * one group of four elements (the JS loop finishes the last `size % 4`).
 */
export function laneFor(spec: FusedSpec, target: FusionTarget, size: number): WasmLane | undefined {
  const lane = wasmLane();
  if (lane === undefined || !laneSupports(spec, target, lane)) return undefined;
  return lane === 'simd' && size < 4 ? undefined : lane;
}

/** The elements a kernel of `lane` computes of `size` (the JS loop does the rest). */
export function laneBody(lane: WasmLane, size: number): number {
  return lane === 'simd' ? size - (size % 4) : size;
}

/** Fused kernel calls per kind in this process (the fuzzer reports what a run exercised). */
const calls = { simd: 0, scalar: 0, js: 0 };

/** Counts one fused kernel call of `kind`. */
export function noteFusedCall(kind: WasmLane | 'js'): void {
  calls[kind]++;
}

/** Fused kernel calls per kind so far (whole-loop kernels count each step's kernels). */
export function fusedCallCounts(): { readonly simd: number; readonly scalar: number; readonly js: number } {
  return { ...calls };
}

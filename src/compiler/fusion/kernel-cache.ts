/**
 * Compiled fused kernels, shared between programs: a generated JS loop or WebAssembly
 * module (SIMD or scalar) depends only on the fused spec (plain data: shape, input modes,
 * literals, ops, attrs) and the formulas it follows, so two structurally identical programs (two
 * instances of one module class, a function traced again after clearCache) reuse one
 * compiled kernel (anchor: Flax graphlib's cache keyed by graphdef). Tracing still
 * happens per instance (each counts its own traceCount); only code generation is shared.
 *
 * The cache holds at most {@link MAX_ENTRIES} kernels per kind, dropping the oldest.
 */
import type { FusedSpec } from '../ir';
import { compileFusedLoop, FusedLoop } from './codegen-js';
import { compileSimdKernel, SimdKernel } from './codegen-wasm';
import { compileScalarKernel } from './codegen-scalar';
import type { WasmLane } from './wasm-lane';
import type { FusionTarget } from './ops';

export { compiledKernelCount } from './compile-count';

/** The most kernels kept per kind. */
export const MAX_ENTRIES = 4096;

type WasmMemory = Parameters<typeof compileSimdKernel>[2];

const loops = new Map<string, FusedLoop>();
/** WebAssembly kernels by memory (tfjs-wasm's heap, or the scratch heap), then by lane and key. */
const wasm = new WeakMap<object, Map<string, SimdKernel>>();

/** The structural key of a fused spec: numbers keep -0, NaN and infinities apart. */
export function fusedSpecKey(spec: FusedSpec, formulas: FusionTarget): string {
  return `${formulas}|${JSON.stringify(spec, (_k, v: unknown) => {
    if (typeof v === 'number' && (Object.is(v, -0) || !Number.isFinite(v))) return { n: Object.is(v, -0) ? '-0' : String(v) };
    if (ArrayBuffer.isView(v)) return { a: Array.from(v as unknown as ArrayLike<number>) };
    return v;
  })}`;
}

function remember<V>(m: Map<string, V>, key: string, value: V): V {
  if (m.size >= MAX_ENTRIES) m.delete(m.keys().next().value as string);
  m.set(key, value);
  return value;
}

/** The JS loop of `spec` following `formulas`, compiled once. */
export function fusedLoopFor(spec: FusedSpec, formulas: FusionTarget): FusedLoop {
  const key = fusedSpecKey(spec, formulas);
  const hit = loops.get(key);
  if (hit !== undefined) return hit;
  return remember(loops, key, compileFusedLoop(spec, formulas));
}

/**
 * The WebAssembly kernel of `lane` (SIMD, or scalar: fusion/codegen-scalar.ts) of `spec`
 * following `formulas` against `memory`, compiled once per memory. Both take
 * `(inputPtrs..., outputPtrs..., n)`.
 */
export function wasmKernelFor(spec: FusedSpec, formulas: FusionTarget, memory: WasmMemory, lane: WasmLane): SimdKernel {
  let byKey = wasm.get(memory);
  if (byKey === undefined) wasm.set(memory, (byKey = new Map()));
  const key = `${lane}|${fusedSpecKey(spec, formulas)}`;
  const hit = byKey.get(key);
  if (hit !== undefined) return hit;
  return remember(byKey, key, lane === 'simd' ? compileSimdKernel(spec, formulas, memory) : compileScalarKernel(spec, formulas, memory));
}

/**
 * The jit configurations a fuzz run compares against eager, per backend and kernel mode.
 */
import { JitVariant, VARIANTS } from './check';

/**
 * Which fused kernels a run exercises (fusion/wasm-lane.ts): `'on'` SIMD (and scalar
 * WebAssembly beside it), `'off'` scalar WebAssembly only (an engine without SIMD), `'js'`
 * the JS loops only (an engine without WebAssembly), `'all'` every kind (the corpus).
 * Even unfused, single elementwise ops in a whole-loop kernel run as fused kernels of one op,
 * so the unfused variant takes the mode's switches too.
 */
export type KernelMode = 'on' | 'off' | 'js' | 'all';

/** The variants of `mode` on `backend` (backends without host-memory kernels: fused and unfused). */
export function variantsFor(backend: string, mode: KernelMode): JitVariant[] {
  const hostKernels = backend === 'cpu' || backend === 'wasm';
  if (!hostKernels) return [VARIANTS.fusedNoSimd, VARIANTS.unfused];
  switch (mode) {
    case 'on': return [VARIANTS.fused, VARIANTS.fusedNoSimd, VARIANTS.unfused];
    case 'off': return [VARIANTS.fusedNoSimd, VARIANTS.unfusedNoSimd];
    case 'js': return [VARIANTS.fusedJs, VARIANTS.unfusedJs];
    case 'all': return [VARIANTS.fused, VARIANTS.fusedNoSimd, VARIANTS.fusedJs, VARIANTS.unfused];
  }
}

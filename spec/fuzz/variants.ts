/**
 * The jit configurations a fuzz run compares against eager, per backend and SIMD setting.
 */
import { JitVariant, VARIANTS } from './check';

/** Fused with SIMD (when asked and the backend has SIMD kernels), fused without, and unfused. */
export function variantsFor(backend: string, simd: boolean): JitVariant[] {
  const simdBackend = backend === 'cpu' || backend === 'wasm';
  return simd && simdBackend ? [VARIANTS.fused, VARIANTS.fusedNoSimd, VARIANTS.unfused] : [VARIANTS.fusedNoSimd, VARIANTS.unfused];
}

/**
 * The matrix-product kernel: a generated WebAssembly SIMD GEMM (packed panels, a 4x8
 * register-blocked micro-kernel, all transpose combinations, broadcast batches, optional
 * worker threads) registered as `BatchMatMul` for the cpu and wasm backends.
 */
import { registerKernelRecords } from '../training-kernels';
import type { KernelRecord } from '../training-kernels';
import { MATMUL_KERNELS } from './kernels';

export { matMulOptions, setMatMulOptions } from './config';
export type { MatMulOptions } from './config';
export { gemmRunsMatMul, MATMUL_KERNELS } from './kernels';
export { closeGemmThreads } from './runner';

/**
 * Registers {@link MATMUL_KERNELS} over tfjs's own `BatchMatMul` kernels (idempotent;
 * called at import and again by `backend.init` after it loads a backend package).
 *
 * @returns the records now registered.
 */
export function registerMatMulKernels(): readonly KernelRecord[] {
  return registerKernelRecords(MATMUL_KERNELS);
}

/**
 * `event`: event-driven connectivity, BrainState's `brainevent`. A connectivity module
 * maps the spikes of a pre-synaptic population to the input of a post-synaptic one,
 * reading only the synapses of neurons that spiked, with static shapes, eagerly and
 * under `jit`, `forLoop` and `scan`, differentiable with respect to the weights and to
 * float (surrogate) spikes.
 *
 * @example
 * ```ts
 * const conn = new bst.event.FixedProb(800, 1000, 0.1, 0.5, { seed: 0 });
 * const input = conn.call(spikes);   // spikes: bool or float [800] -> float32 [1000]
 * ```
 */
export { SparseConn, CSR, COO } from './sparse';
export type { WeightSpec } from './sparse';
export { FixedProb } from './fixed-prob';
export type { FixedProbOptions } from './fixed-prob';
export { CsrLayout } from './layout';
export type { IndexArray } from './layout';
export { eventCsrMatVec, csrMatVec, eventCsrMatVecOps } from './csr-ops';
export {
  registerEventKernels, EVENT_CSR_MATVEC, CSR_MATVEC, CSR_WEIGHT_GRAD,
} from './csr-kernels';
export { registerCustomKernel, getCustomKernel } from './kernel-record';
export type { CustomKernelRecord, MemoryLoop, KernelAttrs, KernelGradFunc, OutputInfo } from './kernel-record';
/** The tensor info a {@link MemoryLoop} receives: data id, shape and dtype of each input. */
export type { TensorInfo } from '../backend/tfjs-engine';

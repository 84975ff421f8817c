/** The kernel-info table (see ./kernel-info.ts); importing it registers the records. */
import './entries';

export { HOST_RANDOM_OPS, kernelInfo, knownKernels, registerKernelInfo } from './kernel-info';
export type { Batched, BatchContext } from './kernel-info';
export type { BatchingRule, ConstantRule, KernelInfo, KernelOrigin } from './kernel-info';

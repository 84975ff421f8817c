/**
 * The kernels brainstate-ts registers over tfjs-backend-webgpu's own: the matrix product
 * (./matmul-kernels.ts) and short reductions (./reduce-kernels.ts), both without workgroup
 * barriers, which a software adapter runs slowly; and a strided slice that shrinks an axis,
 * which tfjs's CPU forms get wrong (../training-kernels/strided-slice.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelRecord } from '../training-kernels/record';
import { WEBGPU_MATMUL_KERNELS } from './matmul-kernels';
import { WEBGPU_REDUCE_KERNELS } from './reduce-kernels';
import { WEBGPU_STRIDED_SLICE_KERNEL } from '../training-kernels/strided-slice';

/** Every webgpu record, in registration order. */
export const WEBGPU_KERNELS: readonly KernelRecord[] = [...WEBGPU_MATMUL_KERNELS, ...WEBGPU_REDUCE_KERNELS,
  WEBGPU_STRIDED_SLICE_KERNEL];

/**
 * The webgpu records to register now: none until tfjs-backend-webgpu has registered its
 * own kernels (registering first would make its later registration warn and replace ours).
 */
export function webgpuKernelRecordsDue(): readonly KernelRecord[] {
  return tf.getKernel('BatchMatMul', 'webgpu') == null ? [] : WEBGPU_KERNELS;
}

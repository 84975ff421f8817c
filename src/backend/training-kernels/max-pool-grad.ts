/**
 * Max-pooling gradients that tfjs gets wrong: tfjs-wasm's `MaxPoolGrad` when windows
 * overlap (stride below the window), and tfjs-cpu's `MaxPool3DGrad` (at every stride).
 * Both are replaced by one loop over the backend's memory (see `geometry.ts`): each
 * window's gradient goes to its first largest element.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelFunc, runOnBackendMemory, TensorInfo } from '../tfjs-engine';
import { geometry2d, geometry3d, maxPoolBackprop } from './geometry';
import type { KernelRecord } from './record';

type Args = Parameters<KernelFunc>[0];

function maxPoolGrad(backendName: string) {
  return ({ inputs, attrs }: Args): TensorInfo => {
    const { dy, input } = inputs as Record<string, TensorInfo>;
    const a = attrs as { filterSize: [number, number]; strides: [number, number]; pad: 'same'; dimRoundingMode?: 'floor' };
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize,
      a.strides, 1, a.pad, a.dimRoundingMode);
    const [dx] = runOnBackendMemory(backendName, [input, dy], [{ shape: input.shape, dtype: 'float32' }], (ins, outs) =>
      maxPoolBackprop(ins[0], ins[1], geometry2d(info), outs[0] as unknown as Float32Array));
    return dx;
  };
}

function maxPool3dGrad(backendName: string) {
  return ({ inputs, attrs }: Args): TensorInfo => {
    const { dy, input } = inputs as Record<string, TensorInfo>;
    const a = attrs as { filterSize: [number, number, number]; strides: [number, number, number]; pad: 'same';
      dimRoundingMode?: 'floor' };
    const info = tf.backend_util.computePool3DInfo(input.shape as [number, number, number, number, number], a.filterSize,
      a.strides, 1, a.pad, a.dimRoundingMode);
    const [dx] = runOnBackendMemory(backendName, [input, dy], [{ shape: input.shape, dtype: 'float32' }], (ins, outs) =>
      maxPoolBackprop(ins[0], ins[1], geometry3d(info), outs[0] as unknown as Float32Array));
    return dx;
  };
}

/** The records. */
export const MAX_POOL_GRAD_KERNELS: readonly KernelRecord[] = [
  { kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: maxPoolGrad('wasm') as unknown as KernelFunc,
    reason: 'wrong', why: 'maxPool gradients with overlapping windows' },
  { kernelName: 'MaxPool3DGrad', backendName: 'cpu', kernelFunc: maxPool3dGrad('cpu') as unknown as KernelFunc,
    reason: 'wrong', why: 'maxPool3d gradients' },
];

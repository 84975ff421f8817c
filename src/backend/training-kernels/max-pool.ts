/**
 * Max pooling that tfjs gets wrong: tfjs-wasm's `MaxPool3D` (a window of negative
 * numbers gives 0: its running maximum starts at 0), tfjs-wasm's `MaxPoolGrad` when
 * windows overlap (stride below the window), and tfjs-cpu's `MaxPool3DGrad` (at every
 * stride). Each is replaced by one loop over the backend's memory (see `geometry.ts`):
 * the forward takes each window's largest element, the gradient goes to the first one.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelFunc, TensorInfo } from '../tfjs-engine';
import { runOnBackendMemory } from '../targets';
import { Geometry, geometry2d, geometry3d, maxPoolBackprop } from './geometry';
import type { KernelRecord } from './record';
import { maxPool3dGradWgsl } from './max-pool-wgsl';

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

/** Each window's largest element (padding never counts). */
function maxPoolForward(x: ArrayLike<number>, g: Geometry, y: Float32Array): void {
  const { D, H, W, C } = g;
  let o = 0;
  for (let b = 0; b < g.B; b++) {
    const xb = b * D * H * W * C;
    for (let od = 0; od < g.OD; od++) {
      for (let oh = 0; oh < g.OH; oh++) {
        for (let ow = 0; ow < g.OW; ow++) {
          for (let ch = 0; ch < C; ch++, o++) {
            let best = -Infinity;
            for (let kd = 0; kd < g.fd; kd++) {
              const id = od * g.sd + kd * g.dd - g.front;
              if (id < 0 || id >= D) continue;
              for (let kh = 0; kh < g.fh; kh++) {
                const ih = oh * g.sh + kh * g.dh - g.top;
                if (ih < 0 || ih >= H) continue;
                for (let kw = 0; kw < g.fw; kw++) {
                  const iw = ow * g.sw + kw * g.dw - g.left;
                  if (iw < 0 || iw >= W) continue;
                  const v = x[xb + ((id * H + ih) * W + iw) * C + ch];
                  if (v > best || Number.isNaN(v)) best = v;
                }
              }
            }
            y[o] = best;
          }
        }
      }
    }
  }
}

function maxPool3d({ inputs, attrs }: Args): TensorInfo {
  const { x } = inputs as Record<string, TensorInfo>;
  const a = attrs as { filterSize: [number, number, number]; strides: [number, number, number]; pad: 'same';
    dimRoundingMode?: 'floor'; dataFormat?: 'NDHWC' };
  const info = tf.backend_util.computePool3DInfo(x.shape as [number, number, number, number, number], a.filterSize,
    a.strides, 1, a.pad, a.dimRoundingMode);
  const [y] = runOnBackendMemory('wasm', [x], [{ shape: info.outShape, dtype: 'float32' }], (ins, outs) =>
    maxPoolForward(ins[0], geometry3d(info), outs[0] as unknown as Float32Array));
  return y;
}

/** The records. */
export const MAX_POOL_KERNELS: readonly KernelRecord[] = [
  { kernelName: 'MaxPool3D', backendName: 'wasm', kernelFunc: maxPool3d as unknown as KernelFunc,
    reason: 'wrong', why: 'maxPool3d of windows whose elements are all negative (tfjs-wasm returns 0)' },
  { kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: maxPoolGrad('wasm') as unknown as KernelFunc,
    reason: 'wrong', why: 'maxPool gradients with overlapping windows' },
  { kernelName: 'MaxPool3DGrad', backendName: 'cpu', kernelFunc: maxPool3dGrad('cpu') as unknown as KernelFunc,
    reason: 'wrong', why: 'maxPool3d gradients' },
  { kernelName: 'MaxPool3DGrad', backendName: 'webgpu', kernelFunc: maxPool3dGradWgsl as unknown as KernelFunc,
    reason: 'wrong', why: 'maxPool3d gradients (tfjs-backend-webgpu 4.22; a WGSL program, max-pool-wgsl.ts)' },
];

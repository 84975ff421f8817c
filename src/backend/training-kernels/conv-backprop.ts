/**
 * Convolution gradients: for tfjs-wasm, `Conv2DBackpropFilter` (missing from tfjs-wasm
 * 4.22, so every conv1d / conv2d weight gradient failed) and `Conv3DBackpropFilterV2` /
 * `Conv3DBackpropInputV2` (tfjs-wasm's give wrong numbers: the input gradient at any
 * stride, the filter gradient at strides above 1); for tfjs-cpu, `Conv2DBackpropFilter`
 * (correct, but reading every element through a TensorBuffer: seconds per batch of a
 * small conv net; replaced by a direct loop, `filterGradientDirect`).
 *
 * Each is one matrix product around a patch copy: the filter gradient is
 * `patchesᵀ[K, M] · dy[M, Cout]`, the input gradient `col2im(dy[M, Cout] · Wᵀ[Cout, K])`
 * (`K = fd·fh·fw·Cin`, `M = B·od·oh·ow`). The patches are gathered and scattered in
 * JavaScript straight over tfjs-wasm's heap (a fallback through the backend's memory:
 * memory-bound copies), and the products run in tfjs-wasm's own `BatchMatMul`
 * (XNNPACK, SIMD) with untransposed operands, its fast path. Large batches are split so
 * the patch buffer stays under 64 MiB.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError, InternalError } from '../../errors';
import { disposeInfo, KernelBackendLike, KernelFunc, lookupKernel, TensorInfo } from '../tfjs-engine';
import { runOnBackendMemory } from '../targets';
import { col2imAdd, filterGradientDirect, Geometry, geometry2d, geometry3d, im2colT, outPerExample, patchSize } from './geometry';
import type { KernelRecord } from './record';

const MAX_PATCH_FLOATS = 1 << 24;

type Args = Parameters<KernelFunc>[0];

type BackendName = 'cpu' | 'wasm';

function batchMatMul(a: TensorInfo, b: TensorInfo, backend: KernelBackendLike, on: BackendName): TensorInfo {
  const k = lookupKernel('BatchMatMul', on);
  if (k === undefined) throw new InternalError(`backend '${on}' has no BatchMatMul kernel`);
  return k({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } }) as TensorInfo;
}

/** Examples per chunk, so a `[K, chunk·perExample]` patch buffer stays bounded. */
function chunkOf(g: Geometry): number {
  return Math.max(1, Math.min(g.B, Math.floor(MAX_PATCH_FLOATS / Math.max(1, patchSize(g) * outPerExample(g)))));
}

/** `dW` (shape `filterShape`) of a channels-last convolution of `x` with output gradient `dy`. */
function filterGradient(x: TensorInfo, dy: TensorInfo, g: Geometry, filterShape: number[], backend: KernelBackendLike,
  on: BackendName): TensorInfo {
  const K = patchSize(g);
  const per = outPerExample(g);
  const chunk = chunkOf(g);
  let acc: Float32Array | undefined;
  for (let b0 = 0; b0 < g.B; b0 += chunk) {
    const nb = Math.min(chunk, g.B - b0);
    const M = nb * per;
    const [patches, rows] = runOnBackendMemory(on, [x, dy],
      [{ shape: [1, K, M], dtype: 'float32' }, { shape: [1, M, g.CO], dtype: 'float32' }], (ins, outs) => {
        im2colT(ins[0], g, b0, nb, outs[0] as unknown as Float32Array);
        (outs[1] as unknown as Float32Array).set((ins[1] as Float32Array).subarray(b0 * per * g.CO, (b0 + nb) * per * g.CO));
      });
    const prod = batchMatMul(patches, rows, backend, on);
    disposeInfo(patches);
    disposeInfo(rows);
    // One chunk: the product [1, K, Cout] is the filter in row-major order already.
    if (nb === g.B) return { dataId: prod.dataId, shape: filterShape, dtype: 'float32' };
    runOnBackendMemory(on, [prod], [], (ins) => {
      const v = ins[0] as Float32Array;
      if (acc === undefined) acc = Float32Array.from(v);
      else for (let k = 0; k < v.length; k++) acc[k] += v[k];
    });
    disposeInfo(prod);
  }
  const [out] = runOnBackendMemory(on, [], [{ shape: filterShape, dtype: 'float32' }], (_ins, outs) => {
    (outs[0] as unknown as Float32Array).set(acc as Float32Array);
  });
  return out;
}

/** `dx` (shape `inputShape`) of a channels-last convolution with filter `w` and output gradient `dy`. */
function inputGradient(dy: TensorInfo, w: TensorInfo, g: Geometry, inputShape: number[], backend: KernelBackendLike,
  on: BackendName): TensorInfo {
  const K = patchSize(g);
  const per = outPerExample(g);
  const chunk = chunkOf(g);
  // Wᵀ [1, Cout, K], so the product needs no transposed operand.
  const [wt] = runOnBackendMemory(on, [w], [{ shape: [1, g.CO, K], dtype: 'float32' }], (ins, outs) => {
    const src = ins[0];
    const dst = outs[0];
    for (let k = 0; k < K; k++) for (let o = 0; o < g.CO; o++) dst[o * K + k] = src[k * g.CO + o];
  });
  const [dx] = runOnBackendMemory(on, [], [{ shape: inputShape, dtype: 'float32' }], (_ins, outs) => {
    (outs[0] as unknown as Float32Array).fill(0);
  });
  for (let b0 = 0; b0 < g.B; b0 += chunk) {
    const nb = Math.min(chunk, g.B - b0);
    const M = nb * per;
    const [rows] = runOnBackendMemory(on, [dy], [{ shape: [1, M, g.CO], dtype: 'float32' }], (ins, outs) => {
      (outs[0] as unknown as Float32Array).set((ins[0] as Float32Array).subarray(b0 * per * g.CO, (b0 + nb) * per * g.CO));
    });
    const cols = batchMatMul(rows, wt, backend, on);
    disposeInfo(rows);
    runOnBackendMemory(on, [cols, dx], [], (ins) => col2imAdd(ins[0], g, b0, nb, ins[1] as Float32Array));
    disposeInfo(cols);
  }
  disposeInfo(wt);
  return dx;
}

function conv2dBackpropFilter(on: BackendName) {
  return ({ inputs, backend, attrs }: Args): TensorInfo => {
    const { x, dy } = inputs as Record<string, TensorInfo>;
    const a = attrs as { strides: [number, number]; pad: 'same'; dataFormat: string; dimRoundingMode?: 'floor';
      filterShape: [number, number, number, number] };
    if (a.dataFormat === 'NCHW') {
      throw new BrainStateError(`Conv2DBackpropFilter (${on}): only NHWC is supported here; transpose to channels last.`);
    }
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, 1,
      a.pad, a.dimRoundingMode, false, 'channelsLast');
    if (on === 'cpu') {
      const [dw] = runOnBackendMemory('cpu', [x, dy], [{ shape: a.filterShape, dtype: 'float32' }], (ins, outs) =>
        filterGradientDirect(ins[0], ins[1], geometry2d(info), outs[0] as unknown as Float32Array));
      return dw;
    }
    return filterGradient(x, dy, geometry2d(info), a.filterShape, backend, on);
  };
}

function conv3dBackpropFilter({ inputs, backend, attrs }: Args): TensorInfo {
  const { x, dy } = inputs as Record<string, TensorInfo>;
  const a = attrs as { strides: [number, number, number]; pad: 'same'; filterShape: [number, number, number, number, number] };
  const info = tf.backend_util.computeConv3DInfo(x.shape as [number, number, number, number, number], a.filterShape,
    a.strides, 1, a.pad);
  return filterGradient(x, dy, geometry3d(info), a.filterShape, backend, 'wasm');
}

function conv3dBackpropInput({ inputs, backend, attrs }: Args): TensorInfo {
  const { dy, filter } = inputs as Record<string, TensorInfo>;
  const a = attrs as { strides: [number, number, number]; pad: 'same'; inputShape: [number, number, number, number, number] };
  const info = tf.backend_util.computeConv3DInfo(a.inputShape, filter.shape as [number, number, number, number, number],
    a.strides, 1, a.pad);
  return inputGradient(dy, filter, geometry3d(info), a.inputShape, backend, 'wasm');
}

/** The records. */
export const CONV_BACKPROP_KERNELS: readonly KernelRecord[] = [
  { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2dBackpropFilter('wasm') as unknown as KernelFunc,
    reason: 'missing', why: 'the weight gradient of conv1d / conv2d / conv2dTranspose' },
  { kernelName: 'Conv2DBackpropFilter', backendName: 'cpu', kernelFunc: conv2dBackpropFilter('cpu') as unknown as KernelFunc,
    reason: 'slow', why: 'conv2d weight gradients: tfjs-cpu\'s took 7.2 s for a [64,14,14,8] * [3,3,8,16] batch' },
  { kernelName: 'Conv3DBackpropFilterV2', backendName: 'wasm', kernelFunc: conv3dBackpropFilter as unknown as KernelFunc,
    reason: 'wrong', why: 'conv3d weight gradients at strides above 1' },
  { kernelName: 'Conv3DBackpropInputV2', backendName: 'wasm', kernelFunc: conv3dBackpropInput as unknown as KernelFunc,
    reason: 'wrong', why: 'conv3d input gradients (and conv3dTranspose)' },
];

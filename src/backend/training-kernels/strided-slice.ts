/**
 * `StridedSlice` that shrinks an axis, on cpu, wasm and webgpu. tfjs 4.22's kernels (cpu,
 * wasm, and tfjs-webgpu's CPU forms for small host data) pair the axes of the shrunk output
 * with the input's when the slice is neither contiguous nor a plain `Slice`:
 * `tf.stridedSlice(x, [0, 1], [3, 2], [1, 2], 1, 1, 0, 0, 2)` of x = [[0..3], [4..7], [8..11]]
 * gave [0, 1, 2] where `x[:, 1]` is [1, 5, 9] (measured on cpu and wasm). Such a slice runs
 * as the backend's own kernel on the same slice unshrunk (begin, end and strides as tfjs
 * resolves them, one per input axis; no masks), and its output is reshaped to the shrunk
 * shape, which is the same data.
 *
 * On wasm, a strided slice of int32 or bool data that tfjs runs as its general kernel (not
 * contiguous, not a plain `Slice`) is gathered in JavaScript over the heap instead: tfjs-wasm
 * 4.22's kernel makes a float32 output whatever the input's dtype (an int32 7 came out as the
 * float 9.8e-45) and copies 4-byte elements, so bool data (1 byte each) was read out of bounds
 * (fuzz seed 330029).
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../../errors';
import type { KernelFunc, TensorInfo } from '../tfjs-engine';
import { runOnBackendMemory } from '../targets';
import type { KernelRecord } from './record';

type BackendName = 'cpu' | 'wasm' | 'webgpu';

const replaced: Partial<Record<BackendName, KernelFunc>> = {};

/** A `StridedSlice` kernel's attributes. */
export interface StridedSliceAttrs {
  begin: number[]; end: number[]; strides: number[]; beginMask: number; endMask: number;
  ellipsisMask: number; newAxisMask: number; shrinkAxisMask: number;
}

/**
 * tfjs's resolution of a strided slice of `shape` (begin, end and strides one per input axis,
 * the output shapes, which kernel form it takes), or undefined where tfjs rejects the parameters
 * (its own kernel then says what is wrong).
 */
export function stridedSliceInfo(shape: number[], a: StridedSliceAttrs): ReturnType<typeof tf.slice_util.sliceInfo> | undefined {
  try {
    return tf.slice_util.sliceInfo(shape, a.begin, a.end, a.strides, a.beginMask, a.endMask, a.ellipsisMask,
      a.newAxisMask, a.shrinkAxisMask);
  } catch {
    return undefined;
  }
}

/**
 * The elements a strided slice selects (begin, end and strides one per input axis, as tfjs
 * resolves them), gathered row-major into an output of `shape` over the backend's memory.
 */
function gatherOnHost(on: 'wasm', x: TensorInfo, begin: number[], end: number[], strides: number[], shape: number[]): TensorInfo {
  const counts = begin.map((b, k) => Math.max(0, Math.ceil((end[k] - b) / strides[k])));
  const xStrides = [...tf.util.computeStrides(x.shape), 1];
  const n = counts.reduce((p, c) => p * c, 1);
  const [out] = runOnBackendMemory(on, [x], [{ shape, dtype: x.dtype }], (ins, outs) => {
    const src = ins[0];
    const dst = outs[0];
    const at = counts.map(() => 0);
    for (let i = 0; i < n; i++) {
      let offset = 0;
      for (let k = 0; k < at.length; k++) offset += (begin[k] + at[k] * strides[k]) * xStrides[k];
      dst[i] = src[offset];
      for (let k = at.length - 1; k >= 0 && ++at[k] === counts[k]; k--) at[k] = 0;
    }
  });
  return out;
}

function stridedSlice(on: BackendName): KernelFunc {
  return (args) => {
    const own = replaced[on];
    if (own === undefined) throw new BrainStateError(`internal: StridedSlice (${on}): tfjs's own kernel is not registered`);
    const x = (args.inputs as { x?: TensorInfo }).x;
    const a = args.attrs as unknown as StridedSliceAttrs;
    if (x === undefined) return own(args);
    const wasmInteger = on === 'wasm' && x.dtype !== 'float32';
    if (!wasmInteger && !a.shrinkAxisMask) return own(args);
    const info = stridedSliceInfo(x.shape, a);
    // Contiguous and plain slices run as a `Slice` and a reshape, which tfjs gets right.
    if (info === undefined || info.isIdentity || info.sliceDim0 || info.isSimpleSlice || info.begin.length !== x.shape.length) return own(args);
    if (wasmInteger) return gatherOnHost(on, x, info.begin, info.end, info.strides, info.finalShape);
    // A negative stride that runs through element 0 is resolved to end at -1, which the kernel
    // would read as the last element: the end mask says "through the first element" instead.
    const endMask = info.end.reduce((m, e, k) => (e < 0 ? m | (1 << k) : m), 0);
    const out = own({ ...args, attrs: { begin: info.begin, end: info.end, strides: info.strides, beginMask: 0, endMask,
      ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0 } }) as TensorInfo;
    return { dataId: out.dataId, shape: info.finalShape, dtype: out.dtype };
  };
}

function record(on: BackendName): KernelRecord {
  const kernelFunc = stridedSlice(on);
  return {
    kernelName: 'StridedSlice', backendName: on, kernelFunc, reason: 'wrong',
    why: 'a strided slice that shrinks an axis (shrinkAxisMask) and is not contiguous read the wrong elements ' +
      '(tfjs pairs the shrunk output\'s axes with the input\'s); on wasm, a general strided slice of int32 or bool data ' +
      'came out float32 (bool read out of bounds)',
    // Never our own kernel (registered again over itself): it would call itself.
    keepReplaced: (k) => { if (k !== kernelFunc) replaced[on] = k; },
  };
}

/** The records for cpu and wasm (registered at import, with the training kernels). */
export const STRIDED_SLICE_KERNELS: readonly KernelRecord[] = [record('cpu'), record('wasm')];

/**
 * The record for webgpu, whose kernel runs tfjs's CPU forms for small host data (registered
 * once tfjs-backend-webgpu has registered its own: webgpu/kernel-records.ts).
 */
export const WEBGPU_STRIDED_SLICE_KERNEL: KernelRecord = record('webgpu');

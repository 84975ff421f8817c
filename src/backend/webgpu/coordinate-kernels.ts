/**
 * `StridedSlice` and `PadV2` (tf.stridedSlice, tf.pad) on webgpu: right wherever an axis is
 * shrunk, working at rank 5 and 6, and exact for int32 and bool.
 *
 * tfjs-backend-webgpu 4.22's StridedSlice and Pad programs index their output coordinates as
 * vectors (`coords[k]`). At rank 5 and 6 tfjs's coordinates are structs, so the WGSL does not
 * compile: Dawn rejects the pipeline and drops the whole submit, so the result keeps whatever its
 * pooled buffer held and every kernel batched with it is lost (measured: a [3, 4, 5, 6, 4]
 * stridedSlice and pad of GPU data came out all zeros). Its StridedSlice program also pairs the
 * output's axes, which leave shrunk axes out (`shrinkAxisMask`), with the input's, so a strided
 * slice that shrinks an axis reads the wrong elements or does not compile at any rank. Both
 * programs move int32 through f32 at every rank (2147483647 became 2147483520). So every strided
 * slice tfjs would run as its program, and every pad tfjs's program would round or fail, runs
 * ./coordinate-copy.ts's program instead. tfjs's CPU forms (a strided slice of small host data,
 * whose shrunk axes ../training-kernels/strided-slice.ts mends on every backend) and the
 * strided slices tfjs runs as a `Slice` or a reshape stay as tfjs runs them, so what runs where
 * is unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { coordinateCopy, sizeOf, stridesOf, TFJS_VECTOR_COORDS_MAX_RANK, tfjsRunsOnCpu } from './coordinate-copy';
import { wrapWebgpuKernel } from './kernel-wraps';
import { StridedSliceAttrs, stridedSliceInfo } from '../training-kernels/strided-slice';

type Info = tf.TensorInfo;

/** Whether tfjs's Pad program for data of this dtype and rank would round it or not compile. */
const tfjsPadFails = (dtype: tf.DataType, rank: number) =>
  dtype === 'int32' || dtype === 'bool' || rank > TFJS_VECTOR_COORDS_MAX_RANK;

/** Output coordinate k reads input element `begin[k] + coordinate * strides[k]` (tfjs's StridedSliceProgram). */
function stridedSlice(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x as Info;
    if (x === undefined || attrs === undefined) return original(args);
    // tfjs checks the parameters and says what is wrong.
    const info = stridedSliceInfo(x.shape, attrs as unknown as StridedSliceAttrs);
    if (info === undefined) return original(args);
    const { finalShape, isIdentity, sliceDim0, isSimpleSlice, begin, end, strides } = info;
    // One output axis per input axis (a shrunk axis of size 1). tfjs's program pairs the axes of
    // `finalShapeSparse`, which leaves shrunk axes out, with the input's: it reads the wrong
    // elements, or does not compile, wherever an axis is shrunk.
    const dense = tf.slice_util.computeOutShape(begin, end, strides);
    // The identity and simple slices are a reshape and a `Slice` in tfjs (exact-int32.ts's `Slice`).
    if (isIdentity || sliceDim0 || isSimpleSlice || dense.some((d) => d <= 0) || dense.length !== x.shape.length ||
      tfjsRunsOnCpu(backend, [x])) return original(args);
    const inStrides = stridesOf(x.shape);
    const out = coordinateCopy(backend, x, dense, dense.map((d, k) => ({ stride: inStrides[k] * strides[k], extent: d })),
      begin.reduce((s, b, k) => s + b * inStrides[k], 0));
    // A reshape to the shrunk and new axes, as tfjs's reshape kernel does: the same data.
    return { dataId: out.dataId, shape: finalShape, dtype: out.dtype };
  };
}

/** Output coordinate k reads input coordinate `coordinate - paddings[k][0]`, or the constant outside it. */
function padV2(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x as Info;
    const paddings = attrs?.paddings as Array<[number, number]> | undefined;
    const constantValue = attrs?.constantValue as number | undefined;
    if (x === undefined || paddings === undefined || constantValue === undefined || x.shape.length === 0 ||
      paddings.length !== x.shape.length || sizeOf(x.shape) === 0 || paddings.every(([lo, hi]) => lo === 0 && hi === 0) ||
      paddings.some(([lo, hi]) => lo < 0 || hi < 0) || !tfjsPadFails(x.dtype, x.shape.length)) return original(args);
    const outShape = x.shape.map((d, k) => paddings[k][0] + d + paddings[k][1]);
    const inStrides = stridesOf(x.shape);
    // tfjs's Pad has no CPU form: it runs on the GPU for any data, as here.
    return coordinateCopy(backend, x, outShape,
      x.shape.map((d, k) => ({ stride: inStrides[k], extent: d, before: paddings[k][0] })), 0,
      x.dtype === 'bool' ? Number(constantValue !== 0) : constantValue);
  };
}

/** Replaces webgpu's `StridedSlice` and `PadV2` with the versions above where tfjs's program rounds or fails (once). */
export function installCoordinateKernels(): void {
  wrapWebgpuKernel('StridedSlice', stridedSlice);
  wrapWebgpuKernel('PadV2', padV2);
}

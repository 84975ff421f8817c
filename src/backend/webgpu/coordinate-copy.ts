/**
 * Copies of GPU data that walk each output coordinate to an input element, written as WGSL
 * that keeps the data's own type (i32 bits for int32 and bool, f32 for float32) at any rank.
 *
 * tfjs-backend-webgpu 4.22's copy programs (Slice, Concat, Tile, Reverse, StridedSlice, Pad, the
 * 2-D Transpose) move int32 through f32, which rounds values beyond 2^24, and the ones that
 * index their coordinates as vectors (StridedSlice, Pad) do not compile at rank 5 and 6, where
 * tfjs's coordinates are structs. The kernels in ./exact-int32.ts and ./coordinate-kernels.ts
 * run these programs instead where tfjs's would round or fail.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { runProgram, storageDtype } from './webgpu-engine';

const WORKGROUP = 64;

/** tfjs-webgpu 4.22's coordinates are WGSL vectors up to this rank, structs (`vec5`, `vec6`) above it. */
export const TFJS_VECTOR_COORDS_MAX_RANK = 4;

type Info = tf.TensorInfo;

/** How output axis k reads the input: one step along it moves `stride` input elements. */
export interface AxisWalk {
  /** Input elements one step along this output axis moves (negative walks backwards). */
  readonly stride: number;
  /** The coordinate is taken modulo this (a tile repeats the input; else the output's extent). */
  readonly extent: number;
  /** Whether the coordinate is flipped within `extent` (a reverse). */
  readonly flip?: boolean;
  /** Output coordinates before this one are padding (a pad); the input starts here. */
  readonly before?: number;
}

/** The element strides of `shape`, the last axis's (always 1) included. */
export function stridesOf(shape: readonly number[]): number[] {
  return shape.length === 0 ? [] : [...tf.util.computeStrides(shape as number[]), 1];
}

export const sizeOf = (shape: readonly number[]) => tf.util.sizeFromShape(shape as number[]);

export const i32 = (n: number) => ({ type: 'int32' as const, data: [n] });

/** Whether tfjs-webgpu runs a kernel on these inputs on its CPU forms (host data, each small). */
export function tfjsRunsOnCpu(backend: unknown, infos: readonly Info[]): boolean {
  return (backend as { shouldExecuteOnCPU(i: readonly Info[]): boolean }).shouldExecuteOnCPU(infos);
}

/**
 * Copies X into result (shape `outShape`, `count` elements): each output index is split into
 * coordinates by the output's strides (`os<k>`), each taken modulo `d<k>`, flipped where `f<k>`
 * is 1, and moved by `is<k>` input elements from flat element `base`, in the data's own type.
 * With `padded`, a coordinate below `b<k>` or at `b<k> + d<k>` and beyond writes `fill` instead.
 * With `toF32`, X's buffer holds i32 and the result f32 (a float32 cast of int32 data keeps
 * the int32 buffer), so each element is converted as tfjs's programs read it.
 * One program per rank (and padding); the rest are uniforms, so every lane or loop step shares
 * the pipeline.
 */
function coordinateCopyProgram(outShape: number[], count: number, padded: 'f32' | 'i32' | undefined,
  toF32: boolean): WebGPUProgram {
  const read = toF32 ? 'f32(X[src])' : 'X[src]';
  const rank = outShape.length;
  const axes = [...Array(rank).keys()];
  const perAxis = (k: number) => `os${k} : i32, is${k} : i32, d${k} : i32, f${k} : i32, ${padded ? `b${k} : i32, ` : ''}`;
  const walk = (k: number) => padded
    ? `    let s${k} = c${k} - uniforms.b${k};
    inside = inside && s${k} >= 0 && s${k} < uniforms.d${k};`
    : `    let s${k} = c${k} % uniforms.d${k};`;
  return {
    variableNames: ['X'],
    outputShape: outShape,
    shaderKey: `brainstate_coordinate_copy_${rank}${padded ? `_padded_${padded}` : ''}${toF32 ? '_to_f32' : ''}`,
    dispatchLayout: { x: axes },
    dispatch: [Math.max(1, Math.ceil(count / WORKGROUP)), 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    uniforms: `count : i32, base : i32, ${padded ? `fill : ${padded}, ` : ''}${axes.map(perAxis).join('')}`,
    getUserCode: () => `
fn main(index : i32) {
  if (index < uniforms.count) {
    var rest = index;
    var src = uniforms.base;
    var inside = true;
${axes.map((k) => `    let c${k} = rest / uniforms.os${k};
    rest = rest - c${k} * uniforms.os${k};
${walk(k)}
    src = src + select(s${k}, uniforms.d${k} - 1 - s${k}, uniforms.f${k} == 1) * uniforms.is${k};`).join('\n')}
    ${padded ? `if (inside) { result[index] = ${read}; } else { result[index] = uniforms.fill; }` : `result[index] = ${read};`}
  }
}`,
  };
}

/**
 * `x` copied into `outShape` on the GPU, output axis k reading the input as `walks[k]` says,
 * from flat input element `base`; with `fill`, coordinates outside an axis's `before` ..
 * `before + extent` write `fill` (a pad).
 */
export function coordinateCopy(backend: unknown, x: Info, outShape: number[], walks: readonly AxisWalk[], base = 0,
  fill?: number): Info {
  const padded = fill === undefined ? undefined : x.dtype === 'float32' ? 'f32' : 'i32';
  const stored = storageDtype(backend, x.dataId) ?? x.dtype;
  const toF32 = x.dtype === 'float32' && stored !== 'float32';
  const outStrides = stridesOf(outShape);
  const count = sizeOf(outShape);
  return runProgram(backend, coordinateCopyProgram(outShape, count, padded, toF32), [x], x.dtype,
    [i32(count), i32(base), ...(padded ? [{ type: padded === 'f32' ? 'float32' as const : 'int32' as const, data: [fill!] }] : []),
      ...walks.flatMap((w, k) => [i32(outStrides[k]), i32(w.stride), i32(w.extent), i32(w.flip ? 1 : 0),
        ...(padded ? [i32(w.before ?? 0)] : [])])]);
}

/**
 * The walks of a copy of `shape` that reads input axis `perm[k]` along output axis k (a
 * transpose; the identity by default), flipping the output axes in `flipped`, each coordinate
 * modulo the input axis's extent (a tile; no change where the output is no longer).
 */
export function walksOf(shape: readonly number[], flipped: readonly number[] = [],
  perm: readonly number[] = shape.map((_, k) => k)): AxisWalk[] {
  const inStrides = stridesOf(shape);
  return perm.map((p, k) => ({ stride: inStrides[p], extent: shape[p], flip: flipped.includes(k) }));
}

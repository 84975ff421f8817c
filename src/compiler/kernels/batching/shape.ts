/**
 * Batching rules for kernels that move, slice, join or pad data (Reshape, Transpose,
 * Slice, StridedSlice, Concat, Pack, Unpack, SplitV, PadV2, Tile, BroadcastTo, GatherV2).
 */
import * as tf from '@tensorflow/tfjs';
import type { Batched, BatchContext, BatchingRule } from '../kernel-info';
import { atFront, atFrontWithRank, broadcastLowRank, front, laneAxis, MAX_PROGRAM_RANK, moveAxis, applyKernel, tileLanes } from './helpers';
import { perLaneRule } from './linalg';

/** Reshape-like kernels (Reshape, ExpandDims, Squeeze): the per-lane result shape after the batch axis. */
export const reshapeRule: BatchingRule = {
  kind: 'shape',
  apply(ins, ctx) {
    return [{ t: tf.reshape(atFront(ins[0]!, ctx.size), [ctx.size, ...ctx.outTypes[0].shape]), axis: 0 }];
  },
};

/** BroadcastTo: the per-lane shape after the batch axis. */
export const broadcastToRule: BatchingRule = {
  kind: 'shape',
  apply(ins, ctx) {
    const shape = ctx.outTypes[0].shape;
    return [{ t: broadcastLowRank(atFrontWithRank(ins[0]!, ctx.size, shape.length), [ctx.size, ...shape]), axis: 0 }];
  },
};

/** Transpose: one kernel, the batch axis first in the permutation. */
export const transposeRule: BatchingRule = {
  kind: 'shape',
  apply(ins, ctx) {
    const x = ins[0]!;
    const a = x.axis!;
    const perm = (ctx.attrs.perm as number[]).map((l) => (l < a ? l : l + 1));
    return [{ t: tf.transpose(x.t, [a, ...perm]), axis: 0 }];
  },
};

/** Inserts `v` at position `a` of a list attribute. */
function insertAt<T>(list: readonly T[], a: number, v: T): T[] {
  const out = [...list];
  out.splice(a, 0, v);
  return out;
}

/** Slice: the whole batch axis, wherever it is. */
export const sliceRule: BatchingRule = {
  kind: 'shape',
  apply(ins, ctx) {
    const x = ins[0]!;
    const a = x.axis!;
    const rank = x.t.rank - 1;
    const begin = ctx.attrs.begin as number | number[];
    const size = ctx.attrs.size as number | number[];
    const b = Array.isArray(begin) ? begin : new Array(rank).fill(0).map((_, k) => (k === 0 ? begin : 0));
    const s = Array.isArray(size) ? size : new Array(rank).fill(-1).map((_, k) => (k === 0 ? size : -1));
    const out = applyKernel(ctx, ctx.kernel, [x.t], { ...ctx.attrs, begin: insertAt(b, a, 0), size: insertAt(s, a, ctx.size) });
    return [{ t: out[0], axis: a }];
  },
};

/** StridedSlice: a full slice of a leading batch axis; every mask shifts by one bit. */
export const stridedSliceRule: BatchingRule = {
  kind: 'shape',
  apply(ins, ctx) {
    const x = atFront(ins[0]!, ctx.size);
    const at = ctx.attrs as Record<string, number & number[]>;
    const shift = (m: number | undefined) => (m ?? 0) << 1;
    const attrs = {
      ...ctx.attrs,
      begin: [0, ...at.begin], end: [0, ...at.end], strides: [1, ...(at.strides ?? at.begin.map(() => 1))],
      beginMask: shift(at.beginMask) | 1, endMask: shift(at.endMask) | 1, ellipsisMask: shift(at.ellipsisMask),
      newAxisMask: shift(at.newAxisMask), shrinkAxisMask: shift(at.shrinkAxisMask),
    };
    return front(applyKernel(ctx, ctx.kernel, [x], attrs));
  },
};

/** Concat: every input batched first (unbatched ones broadcast), the axis shifted by one. */
export const concatRule: BatchingRule = {
  kind: 'shape',
  apply(ins, ctx) {
    const rank = ctx.outTypes[0].shape.length;
    const xs = ins.map((b) => atFront(b!, ctx.size));
    return front(applyKernel(ctx, ctx.kernel, xs, { ...ctx.attrs, axis: laneAxis(ctx.attrs.axis as number, rank) + 1 }));
  },
};

/** Pack (stack): every input batched first, the new axis shifted by one. */
export const packRule: BatchingRule = {
  kind: 'shape',
  apply(ins, ctx) {
    const rank = ctx.outTypes[0].shape.length;
    const xs = ins.map((b) => atFront(b!, ctx.size));
    return front(applyKernel(ctx, ctx.kernel, xs, { ...ctx.attrs, axis: laneAxis(ctx.attrs.axis as number, rank) + 1 }));
  },
};

/** Unpack, SplitV: the input batched first, the axis shifted by one; every output batched first. */
export const splitRule: BatchingRule = {
  kind: 'shape',
  apply(ins, ctx) {
    const x = atFront(ins[0]!, ctx.size);
    return front(applyKernel(ctx, ctx.kernel, [x], { ...ctx.attrs, axis: laneAxis(ctx.attrs.axis as number, x.rank - 1) + 1 }));
  },
};

/**
 * `PadV2` of `x` by `paddings` through reshapes where its rank is above what tfjs-webgpu's Pad
 * program compiles ({@link MAX_PROGRAM_RANK}): an axis merges with the next one when that one
 * is not padded, its padding scaled by the next one's size (row-major, the padded rows are
 * whole rows of it). Undefined when the rank stays above.
 */
function padLowRank(ctx: BatchContext, x: tf.Tensor, paddings: readonly [number, number][]): tf.Tensor | undefined {
  const dims = x.shape.map((d, k) => ({ d, p: [...paddings[k]!] as [number, number] }));
  while (dims.length > MAX_PROGRAM_RANK) {
    const k = dims.findIndex((_, i) => i + 1 < dims.length && dims[i + 1]!.p[0] === 0 && dims[i + 1]!.p[1] === 0);
    if (k < 0) return undefined;
    const inner = dims[k + 1]!.d;
    dims.splice(k, 2, { d: dims[k]!.d * inner, p: [dims[k]!.p[0] * inner, dims[k]!.p[1] * inner] });
  }
  const out = applyKernel(ctx, ctx.kernel, [tf.reshape(x, dims.map((a) => a.d))], { ...ctx.attrs, paddings: dims.map((a) => a.p) })[0];
  return tf.reshape(out, x.shape.map((d, k) => d + paddings[k]![0] + paddings[k]![1]));
}

/**
 * PadV2, MirrorPad: no padding along the batch axis. A lane's rank-4 PadV2 batched is rank 5,
 * whose tfjs-webgpu program does not compile (backend/webgpu/coordinate-kernels.ts now runs its
 * own there; the lanes' rank keeps the program eager runs): the batch axis (not padded) merges
 * into the axis before it (padLowRank), moved last first where nothing else merges (a
 * transpose of the input).
 */
export const padRule: BatchingRule = {
  kind: 'shape',
  apply(ins, ctx) {
    const x = ins[0]!;
    const lane = ctx.attrs.paddings as [number, number][];
    const paddings = insertAt<[number, number]>(lane, x.axis!, [0, 0]);
    if (ctx.kernel === 'PadV2' && x.t.rank > MAX_PROGRAM_RANK) {
      const low = padLowRank(ctx, x.t, paddings);
      if (low !== undefined) return [{ t: low, axis: x.axis }];
      const last = x.t.rank - 1;
      const moved = padLowRank(ctx, moveAxis(x.t, x.axis!, last), [...lane, [0, 0]]);
      if (moved !== undefined) return [{ t: moved, axis: last }];
    }
    return [{ t: applyKernel(ctx, ctx.kernel, [x.t], { ...ctx.attrs, paddings })[0], axis: x.axis }];
  },
};

/** Tile: one repetition of the batch axis (through a Tile of at most rank 4 where the lanes' rank is: tileLanes). */
export const tileRule: BatchingRule = {
  kind: 'shape',
  apply(ins, ctx) {
    const x = ins[0]!;
    return [tileLanes(x.t, x.axis!, ctx.attrs.reps as number[])];
  },
};

/** GatherV2 `(x, indices; axis, batchDims)`, as JAX's gather batching: by which side is batched. */
export const gatherRule: BatchingRule = {
  kind: 'gather',
  apply(ins, ctx) {
    const [x, idx] = ins as [Batched, Batched];
    const xRank = ctx.inTypes[0]!.shape.length;
    const axis = laneAxis(ctx.attrs.axis as number, xRank);
    const batchDims = (ctx.attrs.batchDims as number | undefined) ?? 0;
    if (x.axis !== null && idx.axis === null) {
      return front(applyKernel(ctx, ctx.kernel, [atFront(x, ctx.size), idx.t], { ...ctx.attrs, axis: axis + 1 }));
    }
    if (x.axis === null && batchDims === 0) {
      // Every lane's indices into the same x: one gather, the batch axis lands where the indices go.
      return [{ t: applyKernel(ctx, ctx.kernel, [x.t, atFront(idx, ctx.size)], ctx.attrs)[0], axis }];
    }
    if (batchDims !== 0) return perLaneRule.apply(ins, ctx);
    // Both batched: one gather from the lanes' rows laid end to end, each lane's indices
    // offset to its own rows (tfjs-wasm's batchDims gather disagrees with tfjs-cpu's).
    const B = ctx.size;
    const xs = moveAxis(atFront(x, B), axis + 1, 1);
    const n = xs.shape[1]!;
    const rest = xs.shape.slice(2);
    const is = atFront(idx, B);
    const offsets = tf.reshape(tf.mul(tf.range(0, B, 1, 'int32'), tf.scalar(n, 'int32')), [B, ...new Array(is.rank - 1).fill(1)]);
    const flat = applyKernel(ctx, ctx.kernel, [tf.reshape(xs, [B * n, ...rest]), tf.add(tf.cast(is, 'int32'), offsets)],
      { ...ctx.attrs, axis: 0, batchDims: 0 })[0];
    // [B, idx..., pre..., post...] back to [B, pre..., idx..., post...].
    const ni = is.rank - 1;
    const perm = [0, ...rest.slice(0, axis).map((_, k) => 1 + ni + k), ...new Array(ni).fill(0).map((_, k) => 1 + k),
      ...rest.slice(axis).map((_, k) => 1 + ni + axis + k)];
    return front([tf.transpose(flat, perm)]);
  },
};

/** `moveAxis` re-exported for the linear-algebra rules. */
export { moveAxis };

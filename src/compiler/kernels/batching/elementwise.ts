/**
 * Batching rules for kernels that work element by element (with numpy broadcasting) and
 * for kernels that act along named axes (reductions, scans, softmax, reverse): the batch
 * axis stays where it is when it can, as JAX's BatchTracer keeps `bdim` (no transpose).
 */
import * as tf from '@tensorflow/tfjs';
import type { Batched, BatchContext, BatchingRule } from '../kernel-info';
import {
  atFront, atFrontWithRank, broadcastLowRank, heldAsHostInt32, laneAxes, laneAxis, MAX_PROGRAM_RANK, mergeLikeAxes, moveAxis, applyKernel,
} from './helpers';

/**
 * Elementwise kernels over any number of inputs (numpy broadcasting). `full`: the kernel
 * wants every input at the output's full shape (tfjs's Select reads its condition that way; AddN).
 */
export function broadcastRule(full = false): BatchingRule {
  return {
    kind: full ? 'broadcast' : 'elementwise',
    apply(ins, ctx) {
      const rank = ctx.outTypes[0].shape.length;
      const batched = ins.filter((b): b is Batched => b !== undefined && b.axis !== null);
      const a = batched[0].axis;
      // Every batched input at the output's rank on one axis, the rest scalars: the kernel broadcasts as it is.
      if (!full && batched.every((b) => b.axis === a && b.t.rank === rank + 1) &&
        ins.every((b) => b === undefined || b.axis !== null || b.t.rank === 0)) {
        return applyKernel(ctx, ctx.kernel, ins.map((b) => b?.t), ctx.attrs).map((t) => ({ t, axis: a }));
      }
      const shape = [ctx.size, ...ctx.outTypes[0].shape];
      const xs = ins.map((b) => {
        if (b === undefined) return undefined;
        if (full) return broadcastLowRank(atFrontWithRank(b, ctx.size, rank), shape);
        return b.axis === null ? b.t : atFrontWithRank(b, ctx.size, rank);
      });
      // Every input at the full shape: of a rank tfjs-webgpu's Select takes, through reshapes.
      const merged = full ? mergeLikeAxes(shape, shape.map(() => '')) : undefined;
      if (merged !== undefined && shape.length > MAX_PROGRAM_RANK) {
        const outs = applyKernel(ctx, ctx.kernel, xs.map((x) => (x === undefined ? x : tf.reshape(x, merged.shape))), ctx.attrs);
        return outs.map((t) => ({ t: tf.reshape(t, shape), axis: 0 }));
      }
      return applyKernel(ctx, ctx.kernel, xs, ctx.attrs).map((t) => ({ t, axis: 0 }));
    },
  };
}

/** The full-rank position of per-lane axis `l` when the batch axis sits at `a`. */
function fullAxis(l: number, a: number): number {
  return l < a ? l : l + 1;
}

/**
 * Reductions that add or multiply: over float32 host data held as an Int32Array, whether an
 * element is rounded to f32 before it is added depends on the layout the kernel sees (tfjs
 * moves the reduced axes last through a Transpose, a Float32Array, unless they are last
 * already; the cpu Sum over leading axes reads the integers as stored), so they run per lane.
 */
const ARITHMETIC_REDUCTIONS = new Set(['Sum', 'Prod', 'Mean']);

/** Reductions with attributes `{axis, keepDims}` (Sum, Max, Mean, All...): the axes shift around the batch axis. */
export const reductionRule: BatchingRule = {
  kind: 'reduction',
  apply(ins, ctx) {
    const x = ins[0]!;
    const a = x.axis!;
    // Each lane's kernel sees the lane's layout, as lane by lane (seed 2405934's family: the
    // lane's sum(v, 1) of a [4, 4] is exact, the batched sum(v, 1) of [4, 4, lanes] rounded).
    if (ARITHMETIC_REDUCTIONS.has(ctx.kernel) && heldAsHostInt32(x.t)) {
      const lanes = tf.unstack(moveAxis(x.t, a, 0));
      return [{ t: tf.stack(lanes.map((lane) => applyKernel(ctx, ctx.kernel, [lane], ctx.attrs)[0]!)), axis: 0 }];
    }
    const rank = x.t.rank - 1;
    // tfjs names the attribute `reductionIndices` on Max and Min, `axis` elsewhere.
    const name = 'reductionIndices' in ctx.attrs ? 'reductionIndices' : 'axis';
    const given = ctx.attrs[name];
    const lanes = laneAxes(given, rank);
    const keep = ctx.attrs.keepDims === true;
    const axis = lanes.map((l) => fullAxis(l, a));
    const out = applyKernel(ctx, ctx.kernel, [x.t], { ...ctx.attrs, [name]: Array.isArray(given) || given == null ? axis : axis[0] });
    const outAxis = keep ? a : a - lanes.filter((l) => l < a).length;
    return [{ t: out[0], axis: outAxis }];
  },
};

/** ArgMax / ArgMin: one axis, removed. */
export const argRule: BatchingRule = {
  kind: 'reduction',
  apply(ins, ctx) {
    const x = ins[0]!;
    const a = x.axis!;
    const l = laneAxis(ctx.attrs.axis as number, x.t.rank - 1);
    const out = applyKernel(ctx, ctx.kernel, [x.t], { ...ctx.attrs, axis: fullAxis(l, a) });
    const axis = l < a ? a - 1 : a;
    // The lane's result has the shape the kernel gave the traced lane: tfjs-webgpu's ArgMinMaxProgram
    // returns [1] where the result is a scalar (fuzz seed 1019408: lanes of argMax over a [1] gave [1]).
    const lane = ctx.outTypes[0].shape;
    if (out[0].rank - 1 !== lane.length) return [{ t: tf.reshape(moveAxis(out[0], axis, 0), [ctx.size, ...lane]), axis: 0 }];
    return [{ t: out[0], axis }];
  },
};

/**
 * Kernels of one input that keep its shape and act along axes named by attribute `attr`
 * (a number or a list): Softmax (`dim`), Cumsum / Cumprod (`axis`), Reverse (`dims`).
 */
export function axisAttrRule(attr: string): BatchingRule {
  return {
    kind: 'axis',
    apply(ins, ctx) {
      const x = ins[0]!;
      let t = x.t;
      let a = x.axis!;
      const rank = t.rank - 1;
      // tfjs runs some of these on the last axis only (webgl softmax): keep the batch axis off the end.
      if (a === rank) {
        t = moveAxis(t, a, 0);
        a = 0;
      }
      const v = ctx.attrs[attr];
      const mapped = Array.isArray(v) ? laneAxes(v, rank).map((l) => fullAxis(l, a)) : fullAxis(laneAxis(v as number, rank), a);
      // Above the rank tfjs-webgpu's programs take, adjacent axes merge where the kernel treats them
      // alike: two it does not act on, or two it reverses (a merged axis reversed is both reversed).
      const acted = Array.isArray(mapped) ? mapped : [mapped];
      const merged = t.rank > MAX_PROGRAM_RANK
        ? mergeLikeAxes(t.shape, t.shape.map((_, k) => (!acted.includes(k) ? '' : ctx.kernel === 'Reverse' ? 'r' : `${k}`)))
        : undefined;
      if (merged !== undefined) {
        const at = Array.isArray(mapped) ? [...new Set(mapped.map((k) => merged.axisOf[k]!))] : merged.axisOf[mapped]!;
        const outs = applyKernel(ctx, ctx.kernel, [tf.reshape(t, merged.shape)], { ...ctx.attrs, [attr]: at });
        return outs.map((o) => ({ t: tf.reshape(o, t.shape), axis: a }));
      }
      return applyKernel(ctx, ctx.kernel, [t], { ...ctx.attrs, [attr]: mapped }).map((o) => ({ t: o, axis: a }));
    },
  };
}

/** TopK works on the last axis: the batch axis goes first. */
export const lastAxisRule: BatchingRule = {
  kind: 'axis',
  apply(ins, ctx) {
    return applyKernel(ctx, ctx.kernel, [atFront(ins[0]!, ctx.size)], ctx.attrs).map((t) => ({ t, axis: 0 }));
  },
};

/** Kernels whose output adds axes at the end of its input's (OneHot): the batch axis stays. */
export const keepAxisRule: BatchingRule = {
  kind: 'axis',
  apply(ins, ctx: BatchContext) {
    const x = ins[0]!;
    return applyKernel(ctx, ctx.kernel, [x.t], ctx.attrs).map((t) => ({ t, axis: x.axis }));
  },
};

/**
 * Batching rules for matrix products and convolutions, and the per-lane fallback.
 *
 * A batched operand of a matrix product against an unbatched one folds the batch into
 * the rows (or columns) of one larger product, which is what makes vmap as fast as one
 * big layer (JAX's dot_general batching does the same by moving the batch dimension into
 * the free dimensions). Convolutions and pools fold the batch into their N dimension.
 */
import * as tf from '@tensorflow/tfjs';
import type { Batched, BatchContext, BatchingRule } from '../kernel-info';
import { atFront, atFrontWithRank, broadcastLowRank, front, moveAxis, applyKernel } from './helpers';
import { broadcastRule } from './elementwise';

/** Runs the kernel once per lane (batched inputs sliced, the rest as they are) and stacks the results. */
export const perLaneRule: BatchingRule = {
  kind: 'per-lane',
  apply(ins, ctx) {
    const lanes = ins.map((b) => (b === undefined || b.axis === null ? undefined : tf.unstack(moveAxis(b.t, b.axis, 0))));
    const outs: tf.Tensor[][] = ctx.outTypes.map(() => []);
    for (let i = 0; i < ctx.size; i++) {
      const r = applyKernel(ctx, ctx.kernel, ins.map((b, k) => (b === undefined ? undefined : lanes[k]?.[i] ?? b.t)), ctx.attrs);
      r.forEach((t, j) => outs[j].push(t));
    }
    return outs.map((o) => ({ t: tf.stack(o), axis: 0 }));
  },
};

/**
 * `a @ b` of BatchMatMul with its transpose attributes, one operand or both batched. The
 * product reads each operand's own data (reshapes of it, no copy) wherever it can: lane by
 * lane, each lane's product reads the lane's data and the unbatched operand itself, and on
 * webgpu (a GPU-only kernel there) uploads them, so later kernels of those values run on the
 * GPU. A transposed or tiled copy would be uploaded instead, leaving the values on the host
 * (fuzz seed 2415610: a dead `matMul(x, lane)` with the lane at batch axis 0 read it through
 * a transpose, so the lane's later `cast(lane, 'int32')` ran on the CPU forms, 0 for -3.4e38,
 * where each lane's ran on the GPU, -2147483648).
 */
function batchedMatMul(ctx: BatchContext, a: Batched, b: Batched, attrs: Readonly<Record<string, unknown>>): Batched {
  const ta = attrs.transposeA === true;
  const tb = attrs.transposeB === true;
  const ra = ctx.inTypes[0]!.shape.length;
  const rb = ctx.inTypes[1]!.shape.length;
  const B = ctx.size;
  const mm = (x: tf.Tensor, y: tf.Tensor) => applyKernel({ inputNames: ['a', 'b'] }, 'BatchMatMul', [x, y],
    { transposeA: ta, transposeB: tb })[0];
  if (a.axis !== null && b.axis === null && !ta && ra === 2 && rb === 2 && a.axis < 2) {
    // [B, m, k] or [m, B, k] as [B*m, k] rows of one product; the batch axis stays where it is.
    const [d0, d1, k] = a.t.shape as [number, number, number];
    const out = mm(tf.reshape(a.t, [d0 * d1, k]), b.t);
    return { t: tf.reshape(out, [d0, d1, out.shape[1]!]), axis: a.axis };
  }
  if (a.axis === null && b.axis !== null && !tb && ra === 2 && rb === 2 && b.axis > 0) {
    // [k, B, n] or [k, n, B] as [k, B*n] columns of one product; the batch axis stays where it is.
    const [k, d1, d2] = b.t.shape as [number, number, number];
    const out = mm(a.t, tf.reshape(b.t, [k, d1 * d2]));
    return { t: tf.reshape(out, [out.shape[0]!, d1, d2]), axis: b.axis };
  }
  const rank = Math.max(ra, rb);
  const lift = (x: Batched) => (x.axis === null ? tf.reshape(x.t, [1, ...new Array(rank - x.t.rank).fill(1), ...x.t.shape])
    : atFrontWithRank(x, B, rank));
  let x = lift(a);
  let y = lift(b);
  // tfjs broadcasts the leading dimensions only when one side's product is 1: broadcast the others
  // here (a side whose product is 1, such as an unbatched operand of rank 2, is read as it is).
  const lead = x.shape.slice(0, -2).map((d, i) => Math.max(d, y.shape[i]!));
  const leadOf = (t: tf.Tensor) => t.shape.slice(0, -2).reduce((p, q) => p * q, 1);
  if (leadOf(x) !== 1) x = broadcastLowRank(x, [...lead, ...x.shape.slice(-2)]);
  if (leadOf(y) !== 1) y = broadcastLowRank(y, [...lead, ...y.shape.slice(-2)]);
  return { t: mm(x, y), axis: 0 };
}

/** BatchMatMul. */
export const matMulRule: BatchingRule = {
  kind: 'matmul',
  apply(ins, ctx) {
    const [a, b] = ins as [Batched, Batched];
    return [batchedMatMul(ctx, a, b, ctx.attrs)];
  },
};

const ACTIVATIONS: Readonly<Record<string, (x: tf.Tensor, alpha: number) => tf.Tensor>> = {
  linear: (x) => x,
  relu: (x) => tf.relu(x),
  relu6: (x) => tf.relu6(x),
  elu: (x) => tf.elu(x),
  sigmoid: (x) => tf.sigmoid(x),
  leakyrelu: (x, alpha) => tf.leakyRelu(x, alpha),
};

/** _FusedMatMul: the product, the bias and the activation batched one after the other. */
export const fusedMatMulRule: BatchingRule = {
  kind: 'matmul',
  apply(ins, ctx) {
    const [a, b, bias, prelu] = ins;
    const B = ctx.size;
    const unb = (x: Batched | undefined): Batched => x ?? { t: tf.scalar(0), axis: null };
    let out: Batched;
    if (a!.axis === null && b!.axis === null) out = { t: tf.matMul(a!.t, b!.t, ctx.attrs.transposeA === true, ctx.attrs.transposeB === true), axis: null };
    else out = batchedMatMul(ctx, unb(a), unb(b), ctx.attrs);
    const outType = ctx.outTypes[0];
    const add = (x: Batched, y: Batched, kernel: string): Batched => (x.axis === null && y.axis === null
      ? { t: applyKernel({ inputNames: null }, kernel, [x.t, y.t], {})[0], axis: null }
      : broadcastRule().apply([x, y], { kernel, inputNames: null, attrs: {}, inTypes: [outType, ctx.inTypes[2]], outTypes: [outType], size: B })[0]);
    if (bias !== undefined) out = add(out, bias, 'Add');
    const activation = (ctx.attrs.activation as string | undefined) ?? 'linear';
    if (activation === 'prelu') return [add(out, prelu!, 'Prelu')];
    const f = ACTIVATIONS[activation];
    if (f === undefined) return perLaneRule.apply(ins, ctx);
    const t = f(out.t, (ctx.attrs.leakyreluAlpha as number | undefined) ?? 0.2);
    return [out.axis === null ? { t: atFront({ t, axis: null }, B), axis: 0 } : { t, axis: out.axis }];
  },
};

/**
 * Convolutions and pools whose first input(s) have a leading N dimension: the batch folds
 * into N (one kernel over B*N images) when the inputs at `folded` are batched and the rest
 * (filters) are not; otherwise each lane runs on its own. `shapeAttr` names an attribute
 * holding the folded input's shape (Conv2DBackpropInput's `inputShape`).
 */
export function foldIntoNRule(folded: readonly number[], shapeAttr?: string): BatchingRule {
  return {
    kind: 'conv',
    apply(ins, ctx) {
      const others = ins.filter((b, k) => !folded.includes(k) && b !== undefined && b.axis !== null);
      if (others.length > 0) return perLaneRule.apply(ins, ctx);
      const B = ctx.size;
      const xs = ins.map((b, k) => {
        if (b === undefined || !folded.includes(k)) return b?.t;
        const t = atFront(b, B);
        return tf.reshape(t, [B * t.shape[1]!, ...t.shape.slice(2)]);
      });
      let attrs = ctx.attrs;
      if (shapeAttr !== undefined) {
        const s = attrs[shapeAttr] as number[];
        attrs = { ...attrs, [shapeAttr]: [B * s[0], ...s.slice(1)] };
      }
      return applyKernel(ctx, ctx.kernel, xs, attrs).map((t) => ({ t: tf.reshape(t, [B, t.shape[0]! / B, ...t.shape.slice(1)]), axis: 0 }));
    },
  };
}

export { front };

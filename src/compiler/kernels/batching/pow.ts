/**
 * vmap's rule for Pow, whose result on some backends depends on the program the input shapes
 * pick (below).
 */
import * as tf from '@tensorflow/tfjs';
import type { Batched, BatchContext, BatchingRule } from '../kernel-info';
import { targetNamed } from '../../../backend/targets';
import { broadcastRule } from './elementwise';
import { perLaneRule } from './linalg';

/**
 * The input shapes of the kernel {@link broadcastRule} (not `full`) dispatches for `ins`.
 */
function broadcastShapes(ins: readonly (Batched | undefined)[], ctx: BatchContext): (readonly number[] | undefined)[] {
  const rank = ctx.outTypes[0].shape.length;
  const batched = ins.filter((b): b is Batched => b !== undefined && b.axis !== null);
  const a = batched[0].axis;
  if (batched.every((b) => b.axis === a && b.t.rank === rank + 1) &&
    ins.every((b) => b === undefined || b.axis !== null || b.t.rank === 0)) {
    return ins.map((b) => b?.t.shape);
  }
  return ins.map((b) => {
    if (b === undefined || b.axis === null) return b?.t.shape;
    const lane = b.t.shape.filter((_, k) => k !== b.axis);
    return lane.length >= rank ? [ctx.size, ...lane] : [ctx.size, ...new Array<number>(rank - lane.length).fill(1), ...lane];
  });
}

/**
 * Pow: the elementwise rule, or one kernel per lane where the backend's program for the lanes'
 * shapes differs from the one for the batched shapes in a way that changes results
 * (tfjs-webgpu: its vec4 and scalar Pow programs differ for pow(NaN, 0) and for a base of at
 * most 0 to an infinite power; fuzz seed 1010376: lanes of shape [] ran the scalar program,
 * pow(-3.9, Infinity) = -Infinity on SwiftShader, the batched [4] the vec4 one, Infinity).
 */
export function powRule(): BatchingRule {
  const elementwise = broadcastRule();
  return {
    kind: 'elementwise',
    apply(ins, ctx) {
      const vec4 = targetNamed(tf.getBackend())?.gpuFusion?.binaryVec4;
      const [a, b] = broadcastShapes(ins, ctx);
      const [la, lb] = ctx.inTypes;
      if (vec4 !== undefined && a !== undefined && b !== undefined && la !== undefined && lb !== undefined &&
        vec4(a, b) !== vec4(la.shape, lb.shape)) {
        return perLaneRule.apply(ins, ctx);
      }
      return elementwise.apply(ins, ctx);
    },
  };
}

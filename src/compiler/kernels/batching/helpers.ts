/**
 * Moving batch axes around: the small tensor operations every batching rule is made of.
 * JAX's batching rules (jax/_src/interpreters/batching.py: `moveaxis`, `bdim_at_front`,
 * `broadcast`) are the model.
 */
import * as tf from '@tensorflow/tfjs';
import { dispatchKernel } from '../../../backend/custom-kernels';
import type { Batched, BatchContext } from '../kernel-info';

/** `t` with its axis `from` moved to position `to` (no kernel when they agree). */
export function moveAxis(t: tf.Tensor, from: number, to: number): tf.Tensor {
  if (from === to) return t;
  const perm = [...Array(t.rank).keys()].filter((k) => k !== from);
  perm.splice(to, 0, from);
  return tf.transpose(t, perm);
}

/** The tensor of `b` with its batch axis first; an unbatched value is broadcast to `size` lanes. */
export function atFront(b: Batched, size: number): tf.Tensor {
  if (b.axis === null) return tf.broadcastTo(tf.expandDims(b.t, 0), [size, ...b.t.shape]);
  return moveAxis(b.t, b.axis, 0);
}

/** `atFront`, then per-lane rank raised to `rank` with unit axes after the batch axis (numpy-style broadcasting from the right). */
export function atFrontWithRank(b: Batched, size: number, rank: number): tf.Tensor {
  const t = atFront(b, size);
  const laneRank = t.rank - 1;
  if (laneRank >= rank) return t;
  return tf.reshape(t, [t.shape[0], ...new Array(rank - laneRank).fill(1), ...t.shape.slice(1)]);
}

/** A non-negative axis for `axis` of a per-lane rank `rank` (negative counts from the end). */
export function laneAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** The axes attribute of a reduction as a list of non-negative per-lane axes (absent: every axis). */
export function laneAxes(axis: unknown, rank: number): number[] {
  if (axis === undefined || axis === null) return [...Array(rank).keys()];
  const list = Array.isArray(axis) ? (axis as number[]) : [axis as number];
  return list.map((a) => laneAxis(a, rank));
}

/** Runs kernel `kernel` on `inputs` (named after `ctx.inputNames`, or as an array) with `attrs`; its outputs as a list. */
export function applyKernel(ctx: Pick<BatchContext, 'inputNames'>, kernel: string, inputs: readonly (tf.Tensor | undefined)[],
  attrs: Readonly<Record<string, unknown>>): tf.Tensor[] {
  let named: tf.NamedTensorMap;
  if (ctx.inputNames === null) {
    named = inputs as unknown as tf.NamedTensorMap;
  } else {
    named = {};
    ctx.inputNames.forEach((n, k) => { if (inputs[k] !== undefined) named[n] = inputs[k]!; });
  }
  const out = dispatchKernel(kernel, named, attrs as tf.NamedAttrMap);
  return Array.isArray(out) ? out : [out];
}

/** Every output at batch axis 0. */
export function front(ts: readonly tf.Tensor[]): Batched[] {
  return ts.map((t) => ({ t, axis: 0 }));
}

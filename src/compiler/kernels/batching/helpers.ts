/**
 * Moving batch axes around: the small tensor operations every batching rule is made of.
 * JAX's batching rules (jax/_src/interpreters/batching.py: `moveaxis`, `bdim_at_front`,
 * `broadcast`) are the model.
 */
import * as tf from '@tensorflow/tfjs';
import { dispatchKernel } from '../../../backend/custom-kernels';
import { type GpuFusion, targetNamed } from '../../../backend/targets';
import { isOnDevice, storedValues } from '../../../backend/tfjs-engine';
import type { Batched, BatchContext } from '../kernel-info';

/**
 * `tf.transpose(t, perm)`, as a reshape (no kernel, no copy) where `perm` keeps the order of
 * every axis longer than 1: then the elements keep their order too. Lane by lane no kernel
 * moves a batch axis, so moving one of length 1 (a one-lane vmap), or among axes of length 1,
 * keeps the lane's own data as the lanes stacked do (`Pack` of one tensor is an expandDims of
 * its data), where a Transpose copies: its CPU forms write an array of the dtype, so a float32
 * cast of int32 data, held as an Int32Array on cpu and webgpu, came out rounded to f32 (fuzz
 * seed 2405934: a one-lane vmap over the last axis returning `cast(lane, 'float32')`,
 * 2147483648 where the lane stacked keeps 2147483646), and on webgpu a Transpose of host data
 * may run where the lane's reshape ran none.
 */
export function permute(t: tf.Tensor, perm: readonly number[]): tf.Tensor {
  const long = perm.filter((k) => t.shape[k]! > 1);
  if (long.every((k, i) => i === 0 || long[i - 1]! < k)) return tf.reshape(t, perm.map((k) => t.shape[k]!));
  // Lane by lane a later kernel reads the exact values; a Transpose would round them to f32
  // first (fuzz seed 2405934's family with two lanes: reshape(cast(lane)) then add, where the
  // reshape rule moves the batch axis first: f32(f32(x) + c), not f32(x + c)). The values are
  // integers, so the int32 copy is exact, and its float32 cast keeps the Int32Array again.
  if (heldAsHostInt32(t)) return tf.tidy(() => tf.cast(tf.transpose(tf.cast(t, 'int32'), [...perm]), 'float32'));
  return tf.transpose(t, [...perm]);
}

/**
 * Whether `t` is float32 data whose values the host holds in an Int32Array: a float32 cast
 * of int32 data (or a slice of one) keeps the int32 storage on cpu, and on webgpu while it is
 * host data below the CPU threshold (every kernel on it then runs on its CPU forms). A copy
 * through a kernel of dtype float32 (Transpose, Pack, Tile) writes a Float32Array, rounding
 * beyond 2^24; a kernel computing on it reads the exact integers.
 */
export function heldAsHostInt32(t: tf.Tensor): boolean {
  return heldOnHostAs(t, 'float32', Int32Array, (gpu) => gpu.hostInt32(t));
}

/**
 * Whether `t` is int32 data whose values the host holds in a Float32Array: tfjs's CPU `Abs`
 * (tfjs-cpu's, and tfjs-webgpu's CPU form below its threshold) and tfjs-cpu's `Square` write
 * one under an int32 record, so |-2147483648| and f32-rounded values near 2^31 stay
 * 2147483648 (webgpu reads them back so; tfjs-cpu's kernels, comparisons included, read them
 * so), where a copy through an int32 kernel (Pack, Concat, Tile) writes an Int32Array and
 * wraps them.
 */
export function heldAsHostFloat32(t: tf.Tensor): boolean {
  return heldOnHostAs(t, 'int32', Float32Array, (gpu) => gpu.hostFloat32(t));
}

/**
 * Whether `t`, of `dtype`, has its values held on the host in an array of the other type
 * (`stored`): on a backend whose storage may differ from the dtype (cpu), by the stored array;
 * on webgpu, for host data below the CPU threshold, by `heldOnGpuBackend` (the adapter's look
 * at tfjs-webgpu's host array).
 */
function heldOnHostAs(t: tf.Tensor, dtype: 'float32' | 'int32', stored: Int32ArrayConstructor | Float32ArrayConstructor,
  heldOnGpuBackend: (gpu: GpuFusion) => boolean): boolean {
  if (t.dtype !== dtype) return false;
  const target = targetNamed(tf.getBackend());
  const gpu = target?.gpuFusion;
  if (gpu === undefined) return target?.memory?.canonicalStorage === false && storedValues(t) instanceof stored;
  return !isOnDevice(t) && t.size < gpu.cpuForwardThreshold() && heldOnGpuBackend(gpu);
}

/** `t` with its axis `from` moved to position `to` (no kernel when they agree, a reshape where the order stays: {@link permute}). */
export function moveAxis(t: tf.Tensor, from: number, to: number): tf.Tensor {
  if (from === to) return t;
  const perm = [...Array(t.rank).keys()].filter((k) => k !== from);
  perm.splice(to, 0, from);
  return permute(t, perm);
}

/** The tensor of `b` with its batch axis first; an unbatched value is broadcast to `size` lanes. */
export function atFront(b: Batched, size: number): tf.Tensor {
  if (b.axis === null) return broadcastLowRank(tf.expandDims(b.t, 0), [size, ...b.t.shape]);
  return moveAxis(b.t, b.axis, 0);
}

/**
 * The highest rank tfjs-webgpu 4.22's Tile program takes: it tiles a tensor of rank 5 or more
 * on its CPU kernel, reading GPU data synchronously, which Node cannot (and a browser does by
 * stalling the page). A batch axis makes a lane's rank-4 Tile (also `tf.broadcastTo`'s) rank 5
 * (fuzz seed 1083918: a vmapped `broadcastTo(x, [2, 1, 3, 3])` of GPU data threw where each
 * lane's Tile ran on the GPU).
 */
const MAX_TILE_RANK = 4;

/**
 * `tf.tile(x, reps)` through one Tile of rank at most {@link MAX_TILE_RANK}, with reshapes
 * around it (no kernels), where adjacent axes merge: two axes tile as one when the second
 * repeats once, or the first has size 1 (its repetitions then repeat the whole second axis).
 * Undefined when the rank stays above. A Tile is a copy: the bits are the same, and one Tile
 * of the same input runs where the lanes' did (the CPU forms for small host data).
 */
function tileLowRank(x: tf.Tensor, reps: readonly number[]): tf.Tensor | undefined {
  if (x.rank <= MAX_TILE_RANK) return tf.tile(x, [...reps]);
  const dims = x.shape.map((d, k) => ({ d, r: reps[k]! }));
  while (dims.length > MAX_TILE_RANK) {
    const k = dims.findIndex((a, i) => i + 1 < dims.length && (dims[i + 1]!.r === 1 || a.d === 1));
    if (k < 0) return undefined;
    dims.splice(k, 2, { d: dims[k]!.d * dims[k + 1]!.d, r: dims[k]!.r * dims[k + 1]!.r });
  }
  const tiled = tf.tile(tf.reshape(x, dims.map((a) => a.d)), dims.map((a) => a.r));
  return tf.reshape(tiled, x.shape.map((d, k) => d * reps[k]!));
}

/**
 * `tf.broadcastTo(x, shape)` (same rank) through a Tile of rank at most 4: a broadcast repeats
 * only axes of size 1, so the axes always merge down to that rank (see {@link tileLowRank}).
 */
export function broadcastLowRank(x: tf.Tensor, shape: readonly number[]): tf.Tensor {
  const reps = shape.map((d, k) => (x.shape[k] === d ? 1 : d));
  if (x.rank <= MAX_TILE_RANK || reps.every((r) => r === 1)) return tf.broadcastTo(x, [...shape]);
  return tileLowRank(x, reps) ?? tf.broadcastTo(x, [...shape]);
}

/**
 * `t` (batch axis `axis`) with each lane tiled by `reps` (one per lane axis): one Tile of at
 * most rank 4 where the lanes' rank is at most 4 ({@link MAX_TILE_RANK}). The batch axis
 * repeats once, so it merges into the axis before it; a leading one is moved behind the first
 * lane axis first where no other axes merge (a transpose, of the same size, so placed as its
 * input).
 */
export function tileLanes(t: tf.Tensor, axis: number, reps: readonly number[]): Batched {
  const withBatch = (a: number): number[] => { const all = [...reps]; all.splice(a, 0, 1); return all; };
  const direct = tileLowRank(t, withBatch(axis));
  if (direct !== undefined || axis !== 0) return { t: direct ?? tf.tile(t, withBatch(axis)), axis };
  const moved = moveAxis(t, 0, 1);
  return { t: tileLowRank(moved, withBatch(1)) ?? tf.tile(moved, withBatch(1)), axis: 1 };
}

/**
 * The highest rank tfjs-webgpu 4.22's `Select` (`tf.where`), `Reverse` and `Cumsum` / `Cumprod`
 * take (an error above it) and its `Pad` program compiles for, as its Tile ({@link MAX_TILE_RANK}):
 * a batch axis makes a lane's rank-4 kernel, which ran, rank 5.
 */
export const MAX_PROGRAM_RANK = 4;

/**
 * `shape` with adjacent axes of equal `labels` merged (row-major, a reshape) until at most
 * {@link MAX_PROGRAM_RANK} remain: the merged shape, and for each axis its merged axis.
 * Undefined when no more axes merge. A kernel that treats two adjacent axes alike (both
 * untouched, both reversed; every axis of an elementwise kernel) treats their merge alike.
 */
export function mergeLikeAxes(shape: readonly number[], labels: readonly string[]): { shape: number[]; axisOf: number[] } | undefined {
  const groups = shape.map((d, k) => ({ d, label: labels[k]!, axes: [k] }));
  while (groups.length > MAX_PROGRAM_RANK) {
    const k = groups.findIndex((g, i) => i + 1 < groups.length && groups[i + 1]!.label === g.label);
    if (k < 0) return undefined;
    const [a, b] = [groups[k]!, groups[k + 1]!];
    groups.splice(k, 2, { d: a.d * b.d, label: a.label, axes: [...a.axes, ...b.axes] });
  }
  const axisOf: number[] = [];
  groups.forEach((g, i) => { for (const k of g.axes) axisOf[k] = i; });
  return { shape: groups.map((g) => g.d), axisOf };
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

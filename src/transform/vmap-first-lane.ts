/**
 * Where vmap runs its first lane on its own (webgpu). tfjs-webgpu runs a kernel on its CPU
 * forms when every input is small host data, and a GPU kernel uploads its inputs for good.
 * Lane by lane, each lane's slices of a mapped argument are taken when that lane starts: if
 * the function also reads the argument's data whole (captured, or passed again with inAxes
 * null) and lane 0 uploads it there, the slices of lanes 1 and on are GPU data, and their
 * kernels run on the GPU (int32 through f32) where lane 0's ran on the CPU forms (fuzz seed
 * 1102180: a dead `tf.mod(x, ...)` of the lane uploaded x, so `relu6(abs(lane))` of
 * -2147483648 was 6 from lane 1 on, 0 batched on the host). One batched kernel cannot run
 * on both, so such a call runs lane 0 batched (size 1), then the other lanes batched on
 * slices taken after it, and joins the results along their batch axes.
 */
import * as tf from '@tensorflow/tfjs';
import { hostConstant, unrecorded } from '../backend/tfjs-engine';
import { cpuFormsThreshold } from '../backend/targets';
import type { Program, ValueId } from '../compiler/ir';
import type { Batched } from '../compiler/kernels';

/**
 * Whether lane 0 must run apart: on a backend with CPU forms for small host data, with two
 * lanes or more, when a mapped argument in `mapped` (those that were host data when the call
 * began: the lane trace runs lane 0 for real and may have uploaded them since) is small and
 * the lane program also reads its data whole (`whole`: unmapped arguments, captured tensors,
 * the lane program's constants (outside a jit a captured tensor is one), shared states).
 */
export function firstLaneApart(mapped: readonly tf.Tensor[], whole: readonly tf.Tensor[], size: number): boolean {
  if (size < 2 || mapped.length === 0 || whole.length === 0) return false;
  const threshold = cpuFormsThreshold(tf.getBackend());
  const ids = new Set(whole.map((t) => t.dataId));
  return mapped.some((t) => t.size < threshold && ids.has(t.dataId));
}

/** Lanes `[start, start + count)` of `b` (an unbatched value as it is). */
export function lanesOf(b: Batched, start: number, count: number): Batched {
  if (b.axis === null) return b;
  const axis = b.axis;
  const begin = b.t.shape.map((_, k) => (k === axis ? start : 0));
  const size = b.t.shape.map((d, k) => (k === axis ? count : d));
  return { t: tf.slice(b.t, begin, size), axis };
}

/**
 * Lane 0's result `a` and the other lanes' `b` (`size` lanes in all) as one batched value;
 * `place(x, axis, n)` puts `x`'s batch axis (or a broadcast of it, unbatched) at `axis`. A
 * value no lane changes stays unbatched, as the last lanes made it (a state written the same
 * value in every lane is no per-lane write, and lane by lane the last write stays), unless
 * `perLane` (a result that gets a batch axis): lane 0's kernels may have run on other forms
 * than the other lanes' (webgpu: the CPU forms before lane 0 uploaded data every lane reads).
 */
export function joinLanes(a: Batched, b: Batched, size: number, place: (x: Batched, axis: number, n: number) => tf.Tensor,
  perLane = false): Batched {
  if (a.axis === null && b.axis === null && (!perLane || a.t.dataId === b.t.dataId)) return b;
  const axis = b.axis ?? a.axis ?? 0;
  return { t: tf.concat([place(a, axis, 1), place(b, axis, size - 1)], axis), axis };
}

/**
 * New host tensors for the small constants the function makes itself (`made`, values of the
 * lane program `p`), for the other lanes where lane 0 runs apart inside a trace. Lane by
 * lane, each lane makes such a constant anew (new host data), so lane 0's uploads of its own
 * constant never reach the later lanes'; one constant read by both parts would carry lane 0's
 * uploads into them (fuzz seed 1311860: lane 0's dead `argMax(c)` uploaded the lane's
 * constant c, so the later lanes' `lessEqual(x, c)` of the captured mapped argument x ran on
 * the GPU and uploaded x, and `add(lane, x)` flushed a denormal where each lane's ran on the
 * CPU forms). Made from the JS values the trace recorded, as the traced code makes them, so
 * the enclosing program makes them new host data at each call too. Constants sharing one
 * data share one copy (a reshape of it); one of another dtype than the data's first keeps
 * lane 0's tensor.
 */
export function freshLaneConstants(p: Program, made: readonly ValueId[]): Map<ValueId, tf.Tensor> {
  const threshold = cpuFormsThreshold(tf.getBackend());
  const out = new Map<ValueId, tf.Tensor>();
  const byData = new Map<object, tf.Tensor>();
  for (const c of p.constants) {
    const t = c.tensor;
    if (!made.includes(c.value) || t.size >= threshold) continue;
    const shared = byData.get(t.dataId);
    if (shared !== undefined) {
      if (shared.dtype === t.dtype) out.set(c.value, unrecorded(() => tf.reshape(shared, t.shape)));
      continue;
    }
    const data = hostConstant(t)?.data;
    if (data === undefined || data.length !== t.size) continue;
    const copy = tf.tensor((data as Float32Array).slice(), t.shape, t.dtype);
    byData.set(t.dataId, copy);
    out.set(c.value, copy);
  }
  return out;
}

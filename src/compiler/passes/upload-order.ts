/**
 * Where fusion would change which kernels tfjs-webgpu runs on its CPU forms.
 *
 * tfjs-webgpu runs a kernel on its CPU forms when every input is host data under its
 * hand-off size, and a kernel it runs on the GPU uploads its host inputs for good
 * (docs/sharp-bits.md 24). So eagerly the first GPU kernel that reads a small host value
 * decides how every later reader of it computes (int32 through f32, denormals flushed).
 * A fused group runs at one place, reading all its inputs there: where a kernel outside the
 * group reads the same small value between the group's first member and the member that
 * reads it, the group would upload it before that kernel instead of after it (fuzz seed
 * 931253: a dead `tf.where(m, x, y)` fused with an earlier compare uploaded `x` before
 * `tf.cast(x, 'int32')`, which then cast 1e10 on the GPU: 2147483520, not 1410065408).
 * Fusion leaves such a kernel out of the group.
 */
import type { Program, ValueId } from '../ir';

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Inputs whose data was on the device when traced: no kernel on them runs on the CPU forms,
 * so the order of their reads does not matter. (A later call that passes host data where
 * the trace had device data can still differ: docs/sharp-bits.md 24.)
 */
export function onDeviceInputs(p: Program): ValueId[] {
  return p.inputs.filter((i) => i.onDevice === true).map((i) => i.value);
}

/** The nodes reading each value, in program order. */
export function readersOf(p: Program): Map<ValueId, number[]> {
  const readers = new Map<ValueId, number[]>();
  p.nodes.forEach((n, i) => {
    for (const v of new Set(n.inputs)) {
      if (v < 0) continue;
      let list = readers.get(v);
      if (list === undefined) readers.set(v, (list = []));
      list.push(i);
    }
  });
  return readers;
}

/**
 * Whether a group of `members` (node indices) run as one kernel would change, for some value
 * smaller than `threshold` elements, which kernels outside the group read it before its first
 * upload. The group runs at its first member, or after the last kernel outside it that makes
 * one of its inputs (seed 931557: a `Mod` fused with a compare of a later sum ran after the
 * sum's cast of the same input); eagerly the first member reading the value uploads it.
 */
export function groupMovesUpload(p: Program, members: readonly number[], readers: Map<ValueId, number[]>,
  producer: Map<ValueId, number>, threshold: number): boolean {
  if (threshold <= 0) return false;
  const inGroup = new Set(members);
  const produced = new Set<ValueId>();
  for (const i of members) for (const o of p.nodes[i].outputs) produced.add(o);
  let at = Math.min(...members);
  for (const i of members) {
    for (const v of p.nodes[i].inputs) {
      const j = v >= 0 && !produced.has(v) ? producer.get(v) : undefined;
      if (j !== undefined && j > at) at = j;
    }
  }
  const seen = new Set<ValueId>(onDeviceInputs(p));
  for (const i of members) {
    for (const v of p.nodes[i].inputs) {
      if (v < 0 || produced.has(v) || seen.has(v) || sizeOf(p.values[v].shape) >= threshold) continue;
      seen.add(v);
      const list = readers.get(v) ?? [];
      const firstMember = list.find((j) => inGroup.has(j))!;
      const lo = Math.min(at, firstMember);
      const hi = Math.max(at, firstMember);
      if (list.some((j) => !inGroup.has(j) && j > lo && j < hi)) return true;
    }
  }
  return false;
}

/**
 * Where fusion would change which kernels tfjs-webgpu runs on its CPU forms.
 *
 * tfjs-webgpu runs a kernel on its CPU forms when every input is host data under its
 * hand-off size, and a kernel it runs on the GPU uploads its host inputs for good
 * (docs/sharp-bits.md 24). So eagerly the first GPU kernel that reads a small host value
 * decides how every later reader of it computes (int32 through f32, denormals flushed).
 * A fused group runs at one place, reading all its inputs there: where a kernel outside the
 * group reads the same small value between where the group runs and a member that reads it,
 * the group would upload it before that kernel instead of after it, or after instead of
 * before (fuzz seed 931253: a dead `tf.where(m, x, y)` fused with an earlier compare
 * uploaded `x` before `tf.cast(x, 'int32')`, which then cast 1e10 on the GPU: 2147483520,
 * not 1410065408). Fusion leaves such a kernel out of the group.
 *
 * What is uploaded is data, not a program value: tfjs-webgpu's Reshape, ExpandDims,
 * Identity and casts that lose nothing (int32 or bool to float32) return their input's data
 * (fuzz seed 970204: a fused `tf.logicalAnd(b, m)` uploaded the bool `b` before
 * `tf.floorDiv(y, tf.cast(b, 'float32'))`, which then ran on the GPU). So reads are counted
 * per data ({@link dataRoots}), and those kernels are not readers: they run no program.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelNode, Program, ScanSpec, ValueId } from '../ir';

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * The input whose data node `n`'s result shares in tfjs-webgpu 4.22 (no program runs), or -1.
 * Reshape, ExpandDims and Identity always; Cast where the dtype change loses nothing; Concat,
 * Pack and AddN of one (non-empty) input; PadV2 with no padding; Reverse of a scalar.
 */
export function sharedInputOf(p: Program, n: KernelNode): ValueId {
  if (n.outputs.length !== 1 || n.fused !== undefined || n.control !== undefined || n.fusedParts !== undefined) return -1;
  const ins = n.inputs.filter((v) => v >= 0);
  switch (n.kernel) {
    case 'Reshape': case 'ExpandDims': case 'Identity':
      return ins[0] ?? -1;
    case 'Cast': {
      const from = p.values[ins[0]]?.dtype;
      const to = n.attrs.dtype as tf.DataType;
      return from !== undefined && from !== 'complex64' && to !== 'complex64' && !tf.util.hasEncodingLoss(from, to) ? ins[0] : -1;
    }
    case 'Concat': {
      const nonEmpty = ins.filter((v) => sizeOf(p.values[v].shape) > 0);
      return nonEmpty.length === 1 && sizeOf(p.values[n.outputs[0]].shape) > 0 ? nonEmpty[0] : -1;
    }
    case 'Pack': case 'AddN':
      return ins.length === 1 ? ins[0] : -1;
    case 'PadV2':
      return (n.attrs.paddings as number[][] | undefined)?.every((q) => q[0] === 0 && q[1] === 0) === true ? ins[0] : -1;
    case 'Reverse':
      return p.values[ins[0]]?.shape.length === 0 ? ins[0] : -1;
    default:
      return -1;
  }
}

/**
 * For each value, the value whose data it is: itself, unless a kernel returned its input's data
 * ({@link sharedInputOf}), or it is an input traced from the data of an earlier one
 * (`ProgramInput.sharesData`; a later call that passes other data there is not seen), or it
 * is a scan's carry that the body returns as it got it ({@link passedCarries}).
 */
export function dataRoots(p: Program): ValueId[] {
  const root = p.values.map((_, v) => v);
  // Inputs traced from one data (fuzz seed 1007123: a state passed as an argument too, whose
  // `tf.mod` upload made a later `tf.notEqual` of the state run on the GPU).
  for (const i of p.inputs) if (i.sharesData !== undefined) root[i.value] = root[i.sharesData];
  // Constants folded from such kernels hold their input's data too (fuzz seed 1001011: `tf.where(m, c, d)`
  // broadcast the scalar constant c by a reshape, folded, and uploaded c's data for a later `tf.expm1(c)`).
  const byData = new Map<object, ValueId>();
  for (const c of p.constants) {
    const first = byData.get(c.tensor.dataId);
    if (first === undefined) byData.set(c.tensor.dataId, c.value);
    else root[c.value] = first;
  }
  for (const n of p.nodes) {
    const v = sharedInputOf(p, n);
    if (v >= 0) root[n.outputs[0]] = root[v];
    // A scan hands back a carry its body returns as it got it as that carry's data (control-steps.ts `scanSteps`),
    // as eager's loop does: a dead `tf.sum` of such a final carry uploads the loop's initial carry (an argument).
    if (n.control?.kind === 'scan') {
      for (const [k, i] of sharedScanOutputs(n.control)) if (n.inputs[i] >= 0) root[n.outputs[k]] = root[n.inputs[i]];
    }
  }
  return root;
}

/** The carries (by position) of a scan whose body returns them as it got them (the same value). */
export function passedCarries(spec: ScanSpec): Set<number> {
  const body = spec.body;
  return new Set(spec.carryArgs.flatMap((leaf, k) => {
    const given = body.inputs.find((i) => i.source.kind === 'arg' && i.source.leaf === leaf)?.value;
    const out = body.outputs[k];
    return given !== undefined && out?.kind === 'value' && out.value === given ? [k] : [];
  }));
}

/**
 * The outputs (by position) of a scan that hold the data of one of its inputs (by position):
 * a carry its body returns as it got it ({@link passedCarries}), and, in a scan of one step,
 * a y whose body output is the data of a body input other than a sliced x row. Eager's loop
 * stacks one y by `tf.stack` of one tensor, an expandDims of that y's data, and so does
 * `scanSteps` with tfjs's Pack (fuzz seed 1201949: the ys of a one-step scan whose body
 * returned a captured argument were the argument's data, so a dead `tf.sum(ys)` of the
 * gradient's forward pass uploaded it and a later `tf.floorDiv` of it ran on the GPU).
 */
export function sharedScanOutputs(spec: ScanSpec): Map<number, number> {
  const nC = spec.carryArgs.length;
  const nX = spec.xArgs.length;
  const shared = new Map<number, number>([...passedCarries(spec)].map((k) => [k, k]));
  if (spec.length !== 1) return shared;
  const body = spec.body;
  const bodyRoot = dataRoots(body);
  // Where the data of each body argument comes from among the node's inputs in the one step.
  const from = new Map<number, number>();
  spec.carryArgs.forEach((leaf, k) => from.set(leaf, k));
  spec.invariantArgs.forEach((leaf, k) => from.set(leaf, nC + nX + k));
  spec.xArgs.forEach((leaf, k) => { const first = spec.firstRows?.[k] ?? -1; if (first >= 0) from.set(leaf, first); });
  for (let j = 0; j < spec.numYs; j++) {
    const out = body.outputs[nC + j];
    if (out?.kind !== 'value') continue;
    const given = body.inputs.find((i) => i.value === bodyRoot[out.value]);
    const input = given?.source.kind === 'arg' ? from.get(given.source.leaf) : undefined;
    if (input !== undefined) shared.set(nC + j, input);
  }
  return shared;
}

/**
 * Inputs whose data was on the device when traced: no kernel on them runs on the CPU forms,
 * so the order of their reads does not matter. (A later call that passes host data where
 * the trace had device data can still differ: docs/sharp-bits.md 24.)
 */
export function onDeviceInputs(p: Program): ValueId[] {
  return p.inputs.filter((i) => i.onDevice === true).map((i) => i.value);
}

/** Who reads which data: `root` maps each value to its data's value, `readers` each such value to the nodes that run a program on it, in order. */
export interface DataReads {
  readonly root: readonly ValueId[];
  readonly readers: Map<ValueId, number[]>;
}

/** The nodes reading each value's data, in program order (kernels that only share their input's data do not read it). */
export function readersOf(p: Program): DataReads {
  const root = dataRoots(p);
  const readers = new Map<ValueId, number[]>();
  p.nodes.forEach((n, i) => {
    if (sharedInputOf(p, n) >= 0) return;
    for (const v of new Set(n.inputs.filter((x) => x >= 0).map((x) => root[x]))) {
      let list = readers.get(v);
      if (list === undefined) readers.set(v, (list = []));
      list.push(i);
    }
  });
  return { root, readers };
}

/**
 * Where a group of `members` (node indices) runs as one kernel: at its first member, or right
 * after the last kernel outside it that makes one of its inputs. Fusion schedules it there
 * (./fuse-elementwise.ts), and {@link groupMovesUpload} judges uploads by that place.
 */
export function groupRunsAt(p: Program, members: readonly number[], producer: Map<ValueId, number>): number {
  const inGroup = new Set(members);
  let at = Math.min(...members);
  for (const i of members) {
    for (const v of p.nodes[i].inputs) {
      const j = v >= 0 ? producer.get(v) : undefined;
      if (j !== undefined && !inGroup.has(j) && j > at) at = j;
    }
  }
  return at;
}

/**
 * Whether a group of `members` (node indices) run as one kernel would change, for some value
 * smaller than `threshold` elements, which kernels outside the group read it before a member
 * does. The group runs at its first member, or right after the last kernel outside it that
 * makes one of its inputs (seed 931557: a `Mod` fused with a compare of a later sum ran after
 * the sum's cast of the same input), and before every kernel that reads what it makes. Every
 * member's read counts, not only the first (seed 971301: `tf.round(x)` between two members
 * reading `x` uploaded it for the second), and so do values made inside the group that a
 * kernel outside reads before a later member (seed 971574: a dead sum of `tf.log(x)` uploaded
 * it before its cast to int32).
 */
export function groupMovesUpload(p: Program, members: readonly number[], reads: DataReads,
  producer: Map<ValueId, number>, threshold: number): boolean {
  if (threshold <= 0) return false;
  const inGroup = new Set(members);
  const produced = new Set<ValueId>();
  for (const i of members) for (const o of p.nodes[i].outputs) produced.add(o);
  const at = groupRunsAt(p, members, producer);
  // Kernels outside the group that read what it makes, directly or through other kernels, run after it
  // (seed 1009276: a `tf.prod` of a member's result, which eagerly read it before a later member uploaded
  // it, though the group waited for an input made after the prod).
  const after = new Set<number>();
  const made = new Set<ValueId>(produced);
  for (let j = Math.min(...members) + 1; j < p.nodes.length; j++) {
    if (inGroup.has(j) || !p.nodes[j].inputs.some((v) => v >= 0 && made.has(v))) continue;
    after.add(j);
    for (const o of p.nodes[j].outputs) made.add(o);
  }
  // The others at or before `at` run before it; eagerly, those before a member run before that member.
  const before = (j: number) => j <= at && !after.has(j);
  const seen = new Set<ValueId>(onDeviceInputs(p).map((v) => reads.root[v]));
  for (const i of members) {
    for (const v of p.nodes[i].inputs) {
      if (v < 0) continue;
      const r = reads.root[v];
      if (seen.has(r) || sizeOf(p.values[v].shape) >= threshold) continue;
      seen.add(r);
      const list = reads.readers.get(r) ?? [];
      const outside = list.filter((j) => !inGroup.has(j));
      for (const m of list) {
        if (!inGroup.has(m)) continue;
        if (outside.some((j) => before(j) !== (j < m))) return true;
      }
    }
  }
  return false;
}

/**
 * Which values tfjs-webgpu may hold on the host when the program runs eagerly (small, and made
 * from small host data only: constants, arguments and states not traced on the GPU, and results
 * of kernels whose every input is such data, which it runs on its CPU forms).
 */
export function mayBeOnHost(p: Program, threshold: number): boolean[] {
  const host = p.values.map((t) => sizeOf(t.shape) < threshold);
  const device = new Set(onDeviceInputs(p));
  for (const v of device) host[v] = false;
  for (const n of p.nodes) {
    const shared = sharedInputOf(p, n);
    const out = shared >= 0 ? host[shared] : n.control !== undefined || n.inputs.every((v) => v < 0 || host[v]);
    for (const o of n.outputs) host[o] = host[o] && out;
  }
  return host;
}

/**
 * Whether a fused group of `members` may run its kernels one by one rather than as one GPU
 * program (compiler/fusion/wgsl-kernel.ts): when none of its results is used (it is kept for
 * its uploads), or when some member may read host data only, which tfjs-webgpu runs on its
 * CPU forms (`host`: {@link mayBeOnHost}).
 */
export function groupMayRunOnHost(p: Program, members: readonly number[], escapes: (v: ValueId) => boolean,
  host: readonly boolean[]): boolean {
  if (!members.some((i) => p.nodes[i].outputs.some(escapes))) return true;
  return members.some((i) => p.nodes[i].inputs.every((v) => v < 0 || host[v]));
}

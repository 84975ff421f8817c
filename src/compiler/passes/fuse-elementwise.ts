/**
 * Elementwise fusion: maximal groups of elementwise kernels over one domain shape
 * become one `Fused` kernel that reads each input once and writes each output once,
 * instead of one pass over memory per kernel.
 *
 * A node joins the groups that produce its inputs (same domain shape) unless the merged
 * group would depend on itself through a kernel outside it (a cycle: the fused kernel
 * would have to run both before and after that kernel). Fused kernels are then
 * scheduled in topological order.
 *
 * Which kernels fuse, with which dtypes, depends on the backend the program runs on
 * (see fusion/ops.ts): the pass is made per target.
 */
import * as tf from '@tensorflow/tfjs';
import { FusionTarget, resultDtype } from '../fusion/ops';
import { kernelInfo } from '../kernels';
import { splatValue } from '../constants';
import type { FusedInput, FusedOp, FusedSpec, KernelNode, Program, ValueId, ValueType } from '../ir';
import { liveOuts } from '../ir';
import type { Pass } from './pass';
import { DataReads, groupMayRunOnHost, groupMovesUpload, groupRunsAt, mayBeOnHost, readersOf } from './upload-order';
import { InternalError } from '../../errors';

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Whether `shape` broadcasts to `domain` (right-aligned, each dim equal or 1). */
function broadcastsTo(shape: readonly number[], domain: readonly number[]): boolean {
  if (shape.length > domain.length) return false;
  const off = domain.length - shape.length;
  return shape.every((d, i) => d === 1 || d === domain[off + i]);
}

/** Element strides of `shape` indexed by `domain` coordinates (0 along broadcast axes). */
function broadcastStrides(shape: readonly number[], domain: readonly number[]): number[] {
  const off = domain.length - shape.length;
  const strides = new Array<number>(domain.length).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1) strides[off + i] = s;
    s *= shape[i];
  }
  return strides;
}

/** Whether `n` is an elementwise op fused on `target` (single output, dtype rule agrees with the trace). */
function fusible(n: KernelNode, values: readonly ValueType[], target: FusionTarget): boolean {
  const op = kernelInfo(n.kernel)?.elementwise;
  if (op === undefined || n.outputs.length !== 1 || n.fused !== undefined || n.inputNames === null) return false;
  if (n.inputNames.length !== op.inputs.length || !op.inputs.every((name) => n.inputNames!.includes(name))) return false;
  const ins = op.inputs.map((name) => n.inputs[n.inputNames!.indexOf(name)]);
  if (ins.some((v) => v < 0)) return false;
  const out = values[n.outputs[0]];
  if (out.shape.length > 6) return false;
  if (!ins.every((v) => broadcastsTo(values[v].shape, out.shape))) return false;
  if (n.kernel === 'Select' && !sameShape(values[ins[0]].shape, out.shape)) return false;
  return resultDtype(n.kernel, ins.map((v) => values[v].dtype), n.attrs, target) === out.dtype;
}

/** Elementwise fusion for programs that run on `target`. */
export function fuseElementwiseFor(target: FusionTarget, uploadThreshold = 0): Pass {
  return { name: 'fuse-elementwise', run: (p) => fuse(p, target, uploadThreshold) };
}

/**
 * `uploadThreshold`: on a backend that runs kernels on small host data on its CPU forms
 * (tfjs-webgpu), that size; groups then keep the order in which kernels first read small
 * values (./upload-order.ts), and small constants read outside a group, whose data leaves
 * the call, or whose data the group also reads as another value, are not inlined.
 */
function fuse(p: Program, target: FusionTarget, uploadThreshold: number): Program {
  const producer = new Map<ValueId, number>();
  p.nodes.forEach((n, i) => n.outputs.forEach((o) => producer.set(o, i)));

  // Every node is a vertex of the kernel graph; fused groups are merged vertices (union-find,
  // keyed by a member's index). A vertex depends on the producers of its members' inputs.
  const parent = p.nodes.map((_, i) => i);
  const find = (i: number): number => {
    let r = i;
    while (parent[r] !== r) r = parent[r] = parent[parent[r]];
    return r;
  };
  const deps = new Map<number, Set<number>>();
  p.nodes.forEach((n, i) => {
    const d = new Set<number>();
    for (const v of n.inputs) {
      const j = v >= 0 ? producer.get(v) : undefined;
      if (j !== undefined) d.add(j);
    }
    deps.set(i, d);
  });

  /**
   * Whether merging the vertices `merged` would make a cycle: some vertex they depend on
   * from outside depends, through any path, on one of them. Then the merged kernel would
   * have to run both before and after that vertex.
   */
  const wouldCycle = (merged: Set<number>): boolean => {
    const stack: number[] = [];
    for (const r of merged) for (const d of deps.get(r)!) if (!merged.has(find(d))) stack.push(d);
    const seen = new Set<number>();
    while (stack.length > 0) {
      const r = find(stack.pop()!);
      if (merged.has(r)) return true;
      if (seen.has(r)) continue;
      seen.add(r);
      for (const d of deps.get(r)!) stack.push(d);
    }
    return false;
  };

  const reads: DataReads = uploadThreshold > 0 ? readersOf(p) : { root: [], readers: new Map() };
  const membersOf = (roots: Set<number>) => p.nodes.map((_, j) => j).filter((j) => isFused[j] && roots.has(find(j)));
  const movesUpload = (merged: Set<number>) =>
    uploadThreshold > 0 && groupMovesUpload(p, membersOf(merged), reads, producer, uploadThreshold);

  const isFused = p.nodes.map((n) => fusible(n, p.values, target));
  p.nodes.forEach((n, i) => {
    if (!isFused[i]) return;
    const shape = p.values[n.outputs[0]].shape;
    // Groups that produce a same-shape input of this node, in input order.
    const candidates: number[] = [];
    for (const v of n.inputs) {
      const j = v >= 0 ? producer.get(v) : undefined;
      if (j === undefined || !isFused[j] || !sameShape(p.values[v].shape, shape)) continue;
      const g = find(j);
      if (!candidates.includes(g)) candidates.push(g);
    }
    // Join as many as possible, one at a time, never closing a cycle nor moving an upload.
    const merged = new Set<number>([i]);
    for (const g of candidates) {
      merged.add(g);
      if (wouldCycle(merged) || movesUpload(merged)) merged.delete(g);
    }
    const all = new Set<number>();
    for (const r of merged) {
      for (const d of deps.get(r)!) all.add(d);
      parent[r] = i;
    }
    parent[i] = i;
    deps.set(i, all);
  });

  // Groups of at least two nodes, members in program order.
  const members = new Map<number, number[]>();
  p.nodes.forEach((_, i) => {
    if (!isFused[i]) return;
    const root = find(i);
    if (!members.has(root)) members.set(root, []);
    members.get(root)!.push(i);
  });
  const groups = [...members.values()].filter((m) => m.length >= 2);
  if (groups.length === 0) return p;

  const used = new Map<ValueId, number>(); // uses outside the defining group, counted below
  const live = new Set(liveOuts(p));
  const nodeGroup = new Map<number, number>();
  groups.forEach((m, gi) => m.forEach((i) => nodeGroup.set(i, gi)));
  p.nodes.forEach((n, i) => {
    for (const v of n.inputs) {
      if (v < 0) continue;
      const j = producer.get(v);
      if (j === undefined || nodeGroup.get(j) !== nodeGroup.get(i) || nodeGroup.get(i) === undefined) {
        used.set(v, (used.get(v) ?? 0) + 1);
      }
    }
  });
  const constants = new Map(p.constants.map((c) => [c.value, c.tensor]));

  // A small constant a kernel outside every group reads too stays an input the group reads (and so
  // uploads, as eager does). Other groups inline it as well (the optimiser's learning rate), unless
  // one of the two may run its kernels one by one (./upload-order.ts groupMayRunOnHost): those then
  // read the constant itself, where eager's kernels find it (fuzz seed 996: a dead group's `tf.pow(y, c)`
  // uploads c, so a later group's cast of c runs on the GPU).
  const escapes = (v: ValueId) => live.has(v) || (used.get(v) ?? 0) > 0;
  const hostData = uploadThreshold > 0 ? mayBeOnHost(p, uploadThreshold) : [];
  const onHost = uploadThreshold > 0 ? groups.map((m) => groupMayRunOnHost(p, m, escapes, hostData)) : [];
  // So does one whose data leaves the call (a result, or a state write, through a reshape that shares it):
  // eager's upload outlives the call, so the next call's kernels on that state run on the GPU (fuzz seed
  // 1051625: a dead group's `tf.squaredDifference(x, c)` uploaded c, written to a state as `reshape(c, [1])`).
  const liveData = new Set([...live].map((v) => reads.root[v]));
  // So does one whose data the group also reads as another value (a folded reshape or lossless cast of
  // it): two literals would be two tensors where eager's kernels read one data, and the executable's
  // fresh copies of the two constants share it (a Select reads `reshape(c, [1])`, uploading c, and a
  // later `maximum(c, d)` then runs on the GPU, through f32 for int32).
  const aliased = (m: number[], v: ValueId) =>
    m.some((j) => p.nodes[j].inputs.some((w) => w >= 0 && w !== v && reads.root[w] === reads.root[v]));
  const readElsewhere = (m: number[]) => (v: ValueId) => {
    if (uploadThreshold <= 0 || tf.util.sizeFromShape(p.values[v].shape as number[]) >= uploadThreshold) return false;
    if (liveData.has(reads.root[v]) || aliased(m, v)) return true;
    const self = onHost[nodeGroup.get(m[0])!];
    return (reads.readers.get(reads.root[v]) ?? []).some((j) => !m.includes(j) &&
      (!nodeGroup.has(j) || self || onHost[nodeGroup.get(j)!]));
  };
  const fusedNodes = groups.map((m) => buildFused(p, m, producer, escapes, constants, readElsewhere(m)));
  return { ...p, nodes: schedule(p, groups, fusedNodes) };
}

/**
 * Whether `value` can be inlined as a literal of `dtype`. An int32 constant can hold values
 * outside int32 where its data is a Float32Array: tfjs-webgpu's CPU Abs of int32 data makes
 * one (|2147483646| is stored as 2147483648), and eager kernels read those stored values.
 * As an i32 literal (WGSL, or an Int32Array when replayed) the value would wrap (fuzz seed
 * 930484 on webgpu), so such a constant stays an input and kernels read it as eager does.
 */
function literalHolds(dtype: tf.DataType, value: number): boolean {
  return dtype !== 'int32' || (Number.isInteger(value) && value >= -2147483648 && value <= 2147483647);
}

function buildFused(p: Program, nodeIdx: number[], producer: Map<ValueId, number>, escapes: (v: ValueId) => boolean,
  constants: Map<ValueId, tf.Tensor>, readElsewhere: (v: ValueId) => boolean = () => false): KernelNode {
  const inGroup = new Set(nodeIdx);
  const domain = p.values[p.nodes[nodeIdx[0]].outputs[0]].shape;
  const ref = new Map<ValueId, number>();
  const inputs: FusedInput[] = [];
  const nodeInputs: ValueId[] = [];
  const external: ValueId[] = [];
  // Members whose value the kernel table knows from their attributes (ZerosLike, OnesLike)
  // and that no one outside reads: literals, neither ops nor readers of their inputs.
  const literal = new Set(nodeIdx.filter((i) => kernelInfo(p.nodes[i].kernel)?.constant !== undefined &&
    !escapes(p.nodes[i].outputs[0])));
  for (const i of literal) {
    const n = p.nodes[i];
    ref.set(n.outputs[0], inputs.length);
    const t = p.values[n.outputs[0]];
    inputs.push({ mode: 'literal', dtype: t.dtype, value: kernelInfo(n.kernel)!.constant!.splat(n.attrs), shape: t.shape });
  }
  for (const i of nodeIdx) {
    if (literal.has(i)) continue;
    for (const v of p.nodes[i].inputs) {
      const j = producer.get(v);
      if (v >= 0 && !(j !== undefined && inGroup.has(j)) && !external.includes(v)) external.push(v);
    }
  }
  for (const v of external) {
    const t = p.values[v];
    const c = constants.get(v);
    const splat = c !== undefined ? splatValue(c) : undefined;
    ref.set(v, inputs.length);
    if (splat !== undefined && literalHolds(t.dtype, splat) && !readElsewhere(v)) {
      inputs.push({ mode: 'literal', dtype: t.dtype, value: splat, shape: t.shape });
      continue;
    }
    const size = tf.util.sizeFromShape(t.shape as number[]);
    if (size === 1) inputs.push({ mode: 'scalar', dtype: t.dtype });
    else if (sameShape(t.shape, domain)) inputs.push({ mode: 'full', dtype: t.dtype });
    else inputs.push({ mode: 'strided', dtype: t.dtype, strides: broadcastStrides(t.shape, domain) });
    nodeInputs.push(v);
  }
  const ops: FusedOp[] = [];
  const outputs: ValueId[] = [];
  const outRefs: number[] = [];
  for (const i of nodeIdx) {
    if (literal.has(i)) continue;
    const n = p.nodes[i];
    const op = kernelInfo(n.kernel)!.elementwise!;
    const args = op.inputs.map((name) => ref.get(n.inputs[n.inputNames!.indexOf(name)])!);
    const out = n.outputs[0];
    ref.set(out, inputs.length + ops.length);
    ops.push({ kernel: n.kernel, args, attrs: n.attrs, dtype: p.values[out].dtype });
    if (escapes(out)) {
      outputs.push(out);
      outRefs.push(ref.get(out)!);
    }
  }
  const spec: FusedSpec = { shape: domain, inputs, ops, outputs: outRefs };
  return { kernel: 'Fused', inputNames: null, inputs: nodeInputs, attrs: {}, outputs, fused: spec };
}

/**
 * Node `index` of `p` alone as a `Fused` node (a group of one), when it is an elementwise op
 * fused on `target`; else undefined. The pass leaves single ops to tfjs's kernels; a
 * whole-loop kernel (fusion/loop-kernel.ts) runs them as fused kernels of one op instead.
 */
export function fuseSingle(p: Program, index: number, target: FusionTarget): KernelNode | undefined {
  const n = p.nodes[index];
  if (!fusible(n, p.values, target)) return undefined;
  const producer = new Map<ValueId, number>();
  p.nodes.forEach((m, i) => m.outputs.forEach((o) => producer.set(o, i)));
  const constants = new Map(p.constants.map((c) => [c.value, c.tensor]));
  return buildFused(p, [index], producer, () => true, constants);
}

/**
 * Original nodes outside groups plus fused nodes, in a topological order close to the original.
 * A group runs where ./upload-order.ts groupMovesUpload assumes it does: at its first member, or
 * right after the last kernel outside it that makes one of its inputs, so kernels in between keep
 * running before it (fuzz seed 1060293: a group whose input came from an earlier group ran before
 * `tf.maximum(b, c)`, and its `Sub(c, x)` uploaded c, so the maximum ran on the GPU and flushed
 * the denormal b to 0).
 */
function schedule(p: Program, groups: number[][], fused: KernelNode[]): KernelNode[] {
  const grouped = new Set(groups.flat());
  const producer = new Map<ValueId, number>();
  p.nodes.forEach((n, i) => n.outputs.forEach((o) => producer.set(o, i)));
  const items: { first: number; node: KernelNode }[] = [];
  p.nodes.forEach((n, i) => { if (!grouped.has(i)) items.push({ first: i, node: n }); });
  // Stable sort: a group placed after kernel `at` comes after it (items outside groups are listed first).
  groups.forEach((m, gi) => items.push({ first: groupRunsAt(p, m, producer), node: fused[gi] }));
  items.sort((a, b) => a.first - b.first);
  const produced = new Set<ValueId>();
  for (const n of p.nodes) for (const o of n.outputs) produced.add(o);
  const ready = new Set<ValueId>();
  const out: KernelNode[] = [];
  const pending = [...items];
  while (pending.length > 0) {
    const k = pending.findIndex((it) => it.node.inputs.every((v) => v < 0 || !produced.has(v) || ready.has(v)));
    if (k < 0) throw new InternalError('fusion produced a cycle');
    const [it] = pending.splice(k, 1);
    out.push(it.node);
    for (const o of it.node.outputs) ready.add(o);
  }
  return out;
}

/**
 * Elementwise fusion: maximal groups of elementwise kernels over one domain shape
 * become one `Fused` kernel that reads each input once and writes each output once,
 * instead of one pass over memory per kernel.
 *
 * A node joins the groups that produce its inputs (same domain shape) unless one of its
 * other inputs depends on such a group through a kernel outside it, which would make
 * the groups a cycle. Fused kernels are then scheduled in topological order.
 */
import * as tf from '@tensorflow/tfjs';
import { ELEMENTWISE_OPS, resultDtype } from '../fusion/ops';
import { splatValue } from '../constants';
import type { FusedInput, FusedOp, FusedSpec, KernelNode, Program, ValueId, ValueType } from '../ir';
import { liveOuts } from '../ir';
import type { Pass } from './pass';

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

/** The fusible element op `n` computes, if any (single output, dtype rule agrees with the trace). */
function fusible(n: KernelNode, values: readonly ValueType[]): boolean {
  const op = ELEMENTWISE_OPS[n.kernel];
  if (op === undefined || n.outputs.length !== 1 || n.fused !== undefined || n.inputNames === null) return false;
  if (n.inputNames.length !== op.inputs.length || !op.inputs.every((name) => n.inputNames!.includes(name))) return false;
  const ins = op.inputs.map((name) => n.inputs[n.inputNames!.indexOf(name)]);
  if (ins.some((v) => v < 0)) return false;
  const out = values[n.outputs[0]];
  if (out.shape.length > 6) return false;
  if (!ins.every((v) => broadcastsTo(values[v].shape, out.shape))) return false;
  if (n.kernel === 'Select' && !sameShape(values[ins[0]].shape, out.shape)) return false;
  return resultDtype(n.kernel, ins.map((v) => values[v].dtype), n.attrs) === out.dtype;
}

export const fuseElementwise: Pass = {
  name: 'fuse-elementwise',
  run(p: Program): Program {
    const producer = new Map<ValueId, number>();
    p.nodes.forEach((n, i) => n.outputs.forEach((o) => producer.set(o, i)));

    // Union-find over groups, keyed by the index of their first node.
    const parent = new Map<number, number>();
    const find = (g: number): number => {
      let r = g;
      while (parent.get(r) !== r) r = parent.get(r)!;
      return r;
    };
    const groupOf = new Map<number, number>(); // node index -> group id (before find)
    // Groups each value depends on through the program, for the cycle check.
    const reach = new Map<ValueId, Set<number>>();
    const reachOf = (v: ValueId): Set<number> => reach.get(v) ?? new Set();
    // Groups each group's external inputs depend on.
    const inReach = new Map<number, Set<number>>();

    p.nodes.forEach((n, i) => {
      const ins = n.inputs.filter((v) => v >= 0);
      let joined: number | undefined;
      if (fusible(n, p.values)) {
        const shape = p.values[n.outputs[0]].shape;
        const candidates = new Set<number>();
        for (const v of ins) {
          const j = producer.get(v);
          if (j !== undefined && groupOf.has(j) && sameShape(p.values[v].shape, shape)) candidates.add(find(groupOf.get(j)!));
        }
        const ok = [...candidates].filter((g) => ins.every((v) => {
          const j = producer.get(v);
          const inG = j !== undefined && groupOf.has(j) && find(groupOf.get(j)!) === g;
          return inG || ![...reachOf(v)].some((r) => find(r) === g);
        }));
        // Merge only groups that do not depend on each other from outside.
        const merged: number[] = [];
        for (const g of ok) {
          const conflict = merged.some((m) => [...(inReach.get(g) ?? [])].some((r) => find(r) === m) ||
            [...(inReach.get(m) ?? [])].some((r) => find(r) === g));
          if (!conflict) merged.push(g);
        }
        if (merged.length > 0) {
          joined = merged[0];
          for (const g of merged.slice(1)) {
            parent.set(g, joined);
            for (const r of inReach.get(g) ?? []) (inReach.get(joined) ?? inReach.set(joined, new Set()).get(joined)!).add(r);
          }
        } else {
          joined = i;
          parent.set(i, i);
          inReach.set(i, new Set());
        }
        groupOf.set(i, joined);
        const ir = inReach.get(find(joined))!;
        for (const v of ins) {
          const j = producer.get(v);
          if (!(j !== undefined && groupOf.has(j) && find(groupOf.get(j)!) === find(joined))) for (const r of reachOf(v)) ir.add(r);
        }
      }
      const r = new Set<number>();
      for (const v of ins) for (const g of reachOf(v)) r.add(g);
      if (joined !== undefined) r.add(joined);
      for (const o of n.outputs) reach.set(o, r);
    });

    // Collect groups of at least two nodes.
    const members = new Map<number, number[]>();
    for (const [i, g] of groupOf) {
      const root = find(g);
      if (!members.has(root)) members.set(root, []);
      members.get(root)!.push(i);
    }
    const groups = [...members.values()].filter((m) => m.length >= 2).map((m) => m.sort((a, b) => a - b));
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

    const fusedNodes = groups.map((m) => buildFused(p, m, producer, (v) => live.has(v) || (used.get(v) ?? 0) > 0, constants));
    return { ...p, nodes: schedule(p, groups, fusedNodes) };
  },
};

function buildFused(p: Program, nodeIdx: number[], producer: Map<ValueId, number>, escapes: (v: ValueId) => boolean,
  constants: Map<ValueId, tf.Tensor>): KernelNode {
  const inGroup = new Set(nodeIdx);
  const domain = p.values[p.nodes[nodeIdx[0]].outputs[0]].shape;
  const ref = new Map<ValueId, number>();
  const inputs: FusedInput[] = [];
  const nodeInputs: ValueId[] = [];
  const external: ValueId[] = [];
  for (const i of nodeIdx) {
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
    if (splat !== undefined) {
      inputs.push({ mode: 'literal', dtype: t.dtype, value: splat });
      continue;
    }
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size === 1) inputs.push({ mode: 'scalar', dtype: t.dtype });
    else if (sameShape(t.shape, domain)) inputs.push({ mode: 'full', dtype: t.dtype });
    else inputs.push({ mode: 'strided', dtype: t.dtype, strides: broadcastStrides(t.shape, domain) });
    nodeInputs.push(v);
  }
  const ops: FusedOp[] = [];
  const outputs: ValueId[] = [];
  const outRefs: number[] = [];
  for (const i of nodeIdx) {
    const n = p.nodes[i];
    const op = ELEMENTWISE_OPS[n.kernel];
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

/** Original nodes outside groups plus fused nodes, in a topological order close to the original. */
function schedule(p: Program, groups: number[][], fused: KernelNode[]): KernelNode[] {
  const grouped = new Set(groups.flat());
  const items: { first: number; node: KernelNode }[] = [];
  p.nodes.forEach((n, i) => { if (!grouped.has(i)) items.push({ first: i, node: n }); });
  groups.forEach((m, gi) => items.push({ first: m[0], node: fused[gi] }));
  items.sort((a, b) => a.first - b.first);
  const produced = new Set<ValueId>();
  for (const n of p.nodes) for (const o of n.outputs) produced.add(o);
  const ready = new Set<ValueId>();
  const out: KernelNode[] = [];
  const pending = [...items];
  while (pending.length > 0) {
    const k = pending.findIndex((it) => it.node.inputs.every((v) => v < 0 || !produced.has(v) || ready.has(v)));
    if (k < 0) throw new Error('internal: fusion produced a cycle');
    const [it] = pending.splice(k, 1);
    out.push(it.node);
    for (const o of it.node.outputs) ready.add(o);
  }
  return out;
}

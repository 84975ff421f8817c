/**
 * Independent fused kernels as one GPU program (GPU targets, after elementwise fusion):
 * fused kernels over different shapes cannot be one elementwise group, but when no kernel
 * reads their results (the optimiser's updates of every parameter, written back to their
 * states) they can run as the parts of one program (a `FusedParts` node; the program is
 * fusion/wgsl-parts.ts), one dispatch instead of one per parameter.
 *
 * Parts join in program order while the program's storage buffers (every part's inputs and
 * the one output) fit the device's limit (fusion/codegen-wgsl.ts `wgslStorageBufferLimit`). The merged node runs where its last part ran:
 * every part's inputs exist by then, and nothing earlier reads its outputs. Where tfjs-webgpu
 * runs kernels on small host data on its CPU forms, a part does not join when that would
 * move its reads of a small value past another kernel reading it (./upload-order.ts; fuzz
 * seed 930852: a Mod part moved past a product of the same constant, which then ran on the
 * host, and so did the chain of kernels after it). An update left alone by that limit (the MLP's fourth parameter) joins an earlier fused kernel instead
 * when its inputs exist there and nothing from there on reads them (so moving it earlier
 * changes no value read): one dispatch fewer.
 */
import type { FusedPart, KernelNode, Program, ValueId } from '../ir';
import { liveOuts } from '../ir';
import { wgslStorageBufferLimit, wgslSupports } from '../fusion/codegen-wgsl';
import type { Pass } from './pass';
import { dataRoots, onDeviceInputs, readersOf } from './upload-order';

/** Kernel name of a merged node. */
export const FUSED_PARTS = 'FusedParts';

export const mergeFusedParts: Pass = mergeFusedPartsFor(0);

/** {@link mergeFusedParts} keeping first reads of values under `uploadThreshold` elements in order (0: no such rule). */
export function mergeFusedPartsFor(uploadThreshold: number): Pass {
  return { name: 'merge-fused-parts', run: (p) => merge(p, uploadThreshold) };
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function merge(p: Program, uploadThreshold: number): Program {
  const limit = wgslStorageBufferLimit();
  const read = new Set<ValueId>();
  for (const n of p.nodes) for (const v of n.inputs) if (v >= 0) read.add(v);
  const live = new Set(liveOuts(p));
  const candidate = (n: KernelNode) => n.fused !== undefined && n.outputs.length === 1 && !read.has(n.outputs[0]) &&
    live.has(n.outputs[0]) && wgslSupports(n.fused);

  // Bins of candidate node indices, in program order, each within the storage-buffer limit.
  const reads = uploadThreshold > 0 ? readersOf(p) : { root: [], readers: new Map<ValueId, number[]>() };
  // Whether part m, run at node k, would read a small value after another kernel that reads its data after m.
  const onDevice = new Set(onDeviceInputs(p).map((v) => reads.root[v]));
  const movesUpload = (m: number, k: number) => p.nodes[m].inputs.some((v) => v >= 0 && !onDevice.has(reads.root[v]) &&
    sizeOf(p.values[v].shape) < uploadThreshold &&
    (reads.readers.get(reads.root[v]) ?? []).some((j) => j > m && j < k && !open.includes(j)));
  const bins: number[][] = [];
  let open: number[] = [];
  let buffers = 1;
  p.nodes.forEach((n, i) => {
    if (!candidate(n)) return;
    if (buffers + n.inputs.length > limit || (uploadThreshold > 0 && open.some((m) => movesUpload(m, i)))) {
      bins.push(open);
      open = [];
      buffers = 1;
    }
    open.push(i);
    buffers += n.inputs.length;
  });
  bins.push(open);
  // Each merged node: its members, and the index it runs at.
  const merged = bins.filter((b) => b.length >= 2).map((b) => ({ members: b, runsAt: b[b.length - 1] }));
  // A lone update joins an earlier kernel only where no other kernel reads its inputs from
  // there on, so no first read of a small value moves past another (the upload rule holds).
  for (const [h, u] of hostsForLoneUpdates(p, bins.filter((b) => b.length === 1).map((b) => b[0]), candidate)) {
    merged.push({ members: [h, u], runsAt: h });
  }
  if (merged.length === 0) return p;

  const at = new Map<number, KernelNode>(); // the index it runs at -> merged node
  const dropped = new Set<number>();
  for (const { members: bin, runsAt } of merged) {
    const inputs: ValueId[] = [];
    const parts: FusedPart[] = bin.map((i) => {
      const n = p.nodes[i];
      const idx = n.inputs.map((v) => inputs.push(v) - 1);
      return { spec: n.fused!, inputs: idx };
    });
    at.set(runsAt, {
      kernel: FUSED_PARTS, inputNames: null, inputs, attrs: {}, outputs: bin.map((i) => p.nodes[i].outputs[0]), fusedParts: parts,
    });
    for (const i of bin) dropped.add(i);
  }
  const nodes: KernelNode[] = [];
  p.nodes.forEach((n, i) => {
    const m = at.get(i);
    if (m !== undefined) nodes.push(m);
    else if (!dropped.has(i)) nodes.push(n);
  });
  return { ...p, nodes };
}

/**
 * For each lone update (a candidate no bin took), the latest earlier fused kernel it can
 * join: one output, WGSL-supported, within the storage-buffer limit together, every input
 * of the update made before that kernel, and no kernel from that kernel on (but the update)
 * reading those inputs. Returns the [host, update] pairs (indices), each kernel used once.
 */
function hostsForLoneUpdates(p: Program, lone: number[], candidate: (n: KernelNode) => boolean): number[][] {
  const madeAt = new Map<ValueId, number>();
  p.nodes.forEach((n, i) => n.outputs.forEach((v) => madeAt.set(v, i)));
  // Per data (a reshape or a lossless cast shares its input's: ./upload-order.ts), the last reader's index, the update itself aside.
  const root = dataRoots(p);
  const lastRead = new Map<ValueId, number>();
  const pairs: number[][] = [];
  const used = new Set<number>();
  for (const u of lone) {
    const upd = p.nodes[u];
    lastRead.clear();
    p.nodes.forEach((n, i) => { if (i !== u) n.inputs.forEach((v) => { if (v >= 0) lastRead.set(root[v], i); }); });
    for (let h = u - 1; h >= 0; h--) {
      const host = p.nodes[h];
      if (host.fused === undefined || host.outputs.length !== 1 || candidate(host) || used.has(h) || !wgslSupports(host.fused)) continue;
      if (host.inputs.length + upd.inputs.length + 1 > wgslStorageBufferLimit()) continue;
      const ready = upd.inputs.every((v) => v < 0 || (madeAt.get(v) ?? -1) < h);
      const unread = upd.inputs.every((v) => v < 0 || (lastRead.get(root[v]) ?? -1) < h);
      if (!ready || !unread) continue;
      pairs.push([h, u]);
      used.add(h);
      break;
    }
  }
  return pairs;
}

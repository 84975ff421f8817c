/**
 * Whole-loop kernels: a jitted scan (`forLoop`) whose body is made only of fused
 * elementwise kernels, memory kernels (the event-driven CSR products) and views (a
 * contiguous `Slice`, `Reshape`, `Identity`) runs all its steps inside one call on the
 * backend's memory: every buffer the loop needs (two per carry, one per intermediate, the
 * stacked ys) is allocated once per call, and each step calls the body's compiled kernels
 * (the same SIMD modules and JS loops a step runs otherwise) on those buffers directly: no
 * tfjs dispatch, no allocation, no row copy of the xs, no stacking of the ys, no Slice
 * copy per step. A slice of a spike vector is a pointer into it; a carry's next value is
 * written straight into its other buffer; row i of an x or a y is read or written in place.
 *
 * The same compiled kernels run on the same values in the same order as the per-step path,
 * so the results are the same bits (spec/compiler/loop-kernel.spec.ts checks this against
 * eager tfjs). A body that does anything else (another tfjs kernel, a nested loop or branch,
 * a host read) is not taken: {@link loopKernelFor} returns undefined and the scan runs
 * step by step as before.
 */
import * as tf from '@tensorflow/tfjs';
import { memoryKernelParts, MemoryKernelParts } from '../../backend/custom-kernels';
import { targetNamed } from '../../backend/targets';
import type { OutputSpec } from '../../backend/targets';
import { disposeInfo, KernelFunc, TensorInfo } from '../../backend/tfjs-engine';
import type { FusedSpec, KernelNode, Program, ScanSpec, ValueId } from '../ir';
import { laneSupports, simdSupports } from './codegen-wasm';
import type { FusedLoop } from './codegen-js';
import { fusedLoopFor, wasmKernelFor } from './kernel-cache';
import { laneBody, noteFusedCall, wasmLane } from './wasm-lane';
import { fusionTargetOf } from './ops';
import { fuseSingle } from '../passes/fuse-elementwise';
import type { WasmMemory } from './codegen-wasm';
import { compilePointwiseLoop, PointwiseLoopKernel, PointwiseLoopSpec, PointwisePlace } from './loop-simd';
import type { FusionTarget } from './ops';

type Typed = Float32Array | Int32Array | Uint8Array;

/** Where a body value lives during step s: a buffer and an element offset in it. */
type Loc =
  /** A buffer of its own (invariant, constant, intermediate). */
  | { readonly kind: 'fixed'; readonly buf: number; readonly off: number }
  /** The value carry k has at the start of the step. */
  | { readonly kind: 'carry'; readonly k: number; readonly off: number }
  /** The value carry k gets at the end of the step (written by a kernel of the step). */
  | { readonly kind: 'next'; readonly k: number; readonly off: number }
  /** Row s of x k. */
  | { readonly kind: 'x'; readonly k: number; readonly off: number }
  /** Row s of stacked y k. */
  | { readonly kind: 'y'; readonly k: number; readonly off: number };

let wholeLoopCalls = 0;
let enabled = true;

/**
 * Runs `fn` with whole-loop kernels on or off for the loops compiled inside it (the bench
 * and specs compare both paths in one process); restored on return or throw.
 */
export function withWholeLoops<R>(on: boolean, fn: () => R): R {
  const was = enabled;
  enabled = on;
  try {
    return fn();
  } finally {
    enabled = was;
  }
}

/** How many scans have run as whole-loop kernels in this process (specs check that a body was taken). */
export function wholeLoopCallCount(): number {
  return wholeLoopCalls;
}

let pointwiseCalls = 0;
let pointwiseOn = true;

/** Runs `fn` with the pointwise form on or off for the loops compiled inside it (the bench compares both); restored on return or throw. */
export function withPointwiseLoops<R>(on: boolean, fn: () => R): R {
  const was = pointwiseOn;
  pointwiseOn = on;
  try {
    return fn();
  } finally {
    pointwiseOn = was;
  }
}

let inPlaceOn = true;

/** Runs `fn` with in-place carries on or off for the loops compiled inside it (the COBA profile compares both); restored on return or throw. */
export function withInPlaceCarries<R>(on: boolean, fn: () => R): R {
  const was = inPlaceOn;
  inPlaceOn = on;
  try {
    return fn();
  } finally {
    inPlaceOn = was;
  }
}

/** How many of those ran as one pointwise SIMD call, carries in registers (fusion/loop-simd.ts). */
export function pointwiseLoopCallCount(): number {
  return pointwiseCalls;
}

/**
 * The pointwise form of a planned body (see fusion/loop-simd.ts), or undefined: the body
 * must be one fused kernel with SIMD code, every input a literal, a scalar or a whole value
 * of the domain's size (a carry, a row of an x, an invariant or constant), every carry
 * float32 and the next value of a kernel output, and every y a kernel output.
 */
function pointwisePlan(plan: LoopPlan, locOf: (v: ValueId) => Loc, types: Program['values'], formulas: FusionTarget,
  nC: number, yRow: readonly number[], xRow: readonly number[]): PointwiseLoopSpec | undefined {
  if (plan.ops.length !== 1 || plan.views.size !== 0) return undefined;
  const o = plan.ops[0];
  if (o.kind !== 'fused') return undefined;
  const spec = o.spec;
  const n = size(spec.shape);
  if (n % 4 !== 0 || !simdSupports(spec, formulas)) return undefined;
  const places: PointwisePlace[] = [];
  // The node's inputs are the spec's non-literal inputs, in order.
  let j = 0;
  for (let k = 0; k < spec.inputs.length; k++) {
    const inp = spec.inputs[k];
    if (inp.mode === 'literal') { places.push({ kind: 'literal' }); continue; }
    const v = o.ins[j++];
    const l = locOf(v);
    const count = size(types[v].shape);
    if (inp.mode === 'strided' || l.off !== 0 || count !== (inp.mode === 'scalar' ? 1 : n)) return undefined;
    if (l.kind === 'carry') {
      if (inp.mode !== 'full' || inp.dtype !== 'float32') return undefined;
      places.push({ kind: 'carry', carry: l.k });
    } else if (l.kind === 'x') places.push({ kind: 'x', rowBytes: xRow[l.k] * BYTES[inp.dtype] });
    else if (l.kind === 'fixed') places.push({ kind: 'fixed' });
    else return undefined;
  }
  const carryOuts: number[] = [];
  const ys: { out: number; rowBytes: number }[] = [];
  for (let m = 0; m < o.outs.length; m++) {
    const l = locOf(o.outs[m]);
    if (l.off !== 0 || size(types[o.outs[m]].shape) !== n) return undefined;
    if (l.kind === 'next') {
      if (types[o.outs[m]].dtype !== 'float32') return undefined;
      carryOuts[l.k] = m;
    } else if (l.kind === 'y') ys[l.k] = { out: m, rowBytes: yRow[l.k] * BYTES[types[o.outs[m]].dtype] };
    else return undefined;
  }
  // Every carry and y is written by the kernel (a body output that is not has been declined as a copy).
  if (carryOuts.length !== nC || carryOuts.some((m) => m === undefined) || ys.length !== yRow.length || ys.some((y) => y === undefined)) {
    return undefined;
  }
  return { spec, places, carryOuts, ys };
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Element offset of a contiguous `Slice` of `shape` (leading axes of size 1, trailing axes whole), else undefined. */
function contiguousSliceOffset(shape: readonly number[], begin: readonly number[], sz: readonly number[]): number | undefined {
  const r = shape.length;
  if (begin.length !== r || sz.length !== r) return undefined;
  const full = sz.map((s, d) => (s === -1 ? shape[d] - begin[d] : s));
  // The first axis not of size 1 in the slice; after it every axis must be whole.
  let a = 0;
  while (a < r - 1 && full[a] === 1) a++;
  for (let d = a + 1; d < r; d++) if (begin[d] !== 0 || full[d] !== shape[d]) return undefined;
  let off = 0;
  let stride = 1;
  for (let d = r - 1; d >= 0; d--) {
    off += begin[d] * stride;
    stride *= shape[d];
  }
  return off;
}

/**
 * Which carries can be updated in place (read and written in one buffer, instead of
 * alternating two): carry k whose next value a fused (elementwise) kernel writes whole,
 * which that kernel reads, if at all, element for element (whole, at offset 0), and which
 * no kernel after it and no copy at the end of the step reads. Each element of the carry
 * is then read before it is overwritten (the fused loops read an element's inputs before
 * they store its outputs, see codegen-js.ts and codegen-wasm.ts), so the values are the
 * same; at 400,000 neurons it halves the carries' memory and saves the cache-line fills of
 * writing into a second buffer.
 */
function inPlaceCarries(plan: LoopPlan, locOf: (v: ValueId) => Loc, types: Program['values'], nC: number,
  copies: readonly { from: ValueId }[]): boolean[] {
  const result: boolean[] = [];
  for (let k = 0; k < nC; k++) {
    const writer = plan.ops.findIndex((o) => (o.kind === 'fused' ? o.outs : [o.out]).some((v) => {
      const l = locOf(v);
      return l.kind === 'next' && l.k === k;
    }));
    const reads = (v: ValueId) => { const l = locOf(v); return l.kind === 'carry' && l.k === k; };
    let ok = writer >= 0 && !copies.some((c) => reads(c.from));
    if (ok) {
      const w = plan.ops[writer];
      if (w.kind !== 'fused') ok = false;
      else {
        const n = size(w.spec.shape);
        const out = w.outs.find((v) => { const l = locOf(v); return l.kind === 'next' && l.k === k; })!;
        if (locOf(out).off !== 0 || size(types[out].shape) !== n) ok = false;
        // The writer's own reads of the carry: whole and in step with its elements.
        let j = 0;
        for (const inp of w.spec.inputs) {
          if (inp.mode === 'literal') continue;
          const v = w.ins[j++];
          if (reads(v) && (inp.mode !== 'full' || locOf(v).off !== 0 || size(types[v].shape) !== n)) ok = false;
        }
        for (let later = writer + 1; later < plan.ops.length && ok; later++) if (plan.ops[later].ins.some(reads)) ok = false;
      }
    }
    result.push(ok);
  }
  return result;
}

/** One kernel of the step, as planned at compile time. */
type StepOp =
  | { readonly kind: 'fused'; readonly spec: FusedSpec; readonly ins: ValueId[]; readonly outs: ValueId[]; readonly loop: FusedLoop }
  | { readonly kind: 'memory'; readonly parts: MemoryKernelParts; readonly node: KernelNode; readonly ins: ValueId[]; readonly out: ValueId };

/** What the loop does at each step, planned once per scan node. */
interface LoopPlan {
  readonly ops: StepOp[];
  /** Views: value -> (source value, element offset). */
  readonly views: Map<ValueId, { src: ValueId; off: number }>;
}

/** A heap of one loop kernel's own (cpu): every buffer of the loop at a fixed place, constants copied in once. */
interface PrivateHeap {
  readonly memory: WasmMemory;
  readonly ptrs: number[];
  views(): Typed[];
  constantsIn: boolean;
}

const WA = (globalThis as unknown as { WebAssembly: { Memory?: new (d: { initial: number }) => WasmMemory } }).WebAssembly;

function typedOn(buffer: ArrayBuffer, dtype: string, ptr: number, n: number): Typed {
  return dtype === 'float32' ? new Float32Array(buffer, ptr, n) : dtype === 'int32' ? new Int32Array(buffer, ptr, n)
    : new Uint8Array(buffer, ptr, n);
}

/**
 * Lays out the buffers of a loop (inputs, constants, allocations; shapes are static) on a
 * WebAssembly memory of its own, 16-byte aligned.
 */
function privateHeap(buffers: readonly { shape: readonly number[]; dtype: string }[]): PrivateHeap | undefined {
  if (WA.Memory === undefined) return undefined;
  const ptrs: number[] = [];
  let end = 0;
  for (const t of buffers) {
    ptrs.push(end);
    end += Math.ceil((size(t.shape) * BYTES[t.dtype]) / 16) * 16;
  }
  const memory = new WA.Memory({ initial: Math.max(1, Math.ceil(end / 65536)) });
  let cache: { buffer: ArrayBuffer; views: Typed[] } | undefined;
  return {
    memory,
    ptrs,
    constantsIn: false,
    views() {
      if (cache === undefined || cache.buffer !== memory.buffer) {
        cache = { buffer: memory.buffer, views: buffers.map((t, b) => typedOn(memory.buffer, t.dtype, ptrs[b], size(t.shape))) };
      }
      return cache.views;
    },
  };
}

/** Plans `body` as one step of a whole-loop kernel, or undefined when some node is not taken. */
function planBody(body: Program, formulas: string): LoopPlan | undefined {
  const ops: StepOp[] = [];
  const views = new Map<ValueId, { src: ValueId; off: number }>();
  for (const v of body.values) if (BYTES[v.dtype] === undefined || size(v.shape) === 0) return undefined;
  if (body.writes.length > 0 || body.outputs.some((o) => o.kind !== 'value')) return undefined;
  for (let index = 0; index < body.nodes.length; index++) {
    let n = body.nodes[index];
    if (n.control !== undefined) return undefined;
    // A single elementwise op (left to tfjs by the fusion pass) runs as a fused kernel of one op.
    if (n.fused === undefined && memoryKernelParts(n.kernel) === undefined) n = fuseSingle(body, index, formulas) ?? n;
    if (n.fused !== undefined) {
      ops.push({ kind: 'fused', spec: n.fused, ins: [...n.inputs], outs: [...n.outputs], loop: fusedLoopFor(n.fused, formulas) });
      continue;
    }
    if (n.kernel === 'Reshape' || n.kernel === 'Identity') {
      const src = n.inputs[0];
      if (src === undefined || src < 0 || n.outputs.length !== 1) return undefined;
      views.set(n.outputs[0], { src, off: 0 });
      continue;
    }
    if (n.kernel === 'Slice') {
      const src = n.inputs[0];
      const begin = n.attrs.begin as number[] | number;
      const sz = n.attrs.size as number[] | number;
      if (src === undefined || src < 0 || !Array.isArray(begin) || !Array.isArray(sz)) return undefined;
      const off = contiguousSliceOffset(body.values[src].shape, begin, sz);
      if (off === undefined) return undefined;
      views.set(n.outputs[0], { src, off });
      continue;
    }
    const parts = memoryKernelParts(n.kernel);
    if (parts === undefined || n.inputNames === null || n.outputs.length !== 1 || n.inputs.some((v) => v < 0)) return undefined;
    ops.push({ kind: 'memory', parts, node: n, ins: [...n.inputs], out: n.outputs[0] });
  }
  return { ops, views };
}

/**
 * The whole-loop kernel of `spec` on `backendName`, or undefined when the body has a node
 * it does not take, or the backend's memory is not addressable (then the scan runs step by
 * step). On tfjs-wasm the fused kernels run as SIMD on its heap; on cpu as JS loops.
 */
export function loopKernelFor(spec: ScanSpec, backendName: string, fallback: KernelFunc, stackYs = true): KernelFunc | undefined {
  const target = targetNamed(backendName);
  const memory = target?.memory;
  const formulas = fusionTargetOf(backendName);
  if (!enabled || memory === undefined || formulas === undefined || spec.length < 1 || (!stackYs && spec.length !== 1)) return undefined;
  // The loop below walks the steps forward: a reverse scan (a loop gradient's backward, or
  // `scan(..., { reverse: true })`) runs step by step.
  if (spec.reverse === true) return undefined;
  const body = spec.body;
  const plan = planBody(body, formulas);
  if (plan === undefined) return undefined;
  const L = spec.length;
  const nC = spec.carryArgs.length;
  const nX = spec.xArgs.length;
  const nY = spec.numYs;
  const nOuterIn = nC + nX + spec.invariantArgs.length;
  const types = body.values;

  // Buffers: outer inputs, body constants, then what the call allocates:
  // final carries, stacked ys, the carries' second buffers, intermediates.
  const constBuf = new Map<ValueId, number>();
  body.constants.forEach((c, i) => constBuf.set(c.value, nOuterIn + i));
  const nIn = nOuterIn + body.constants.length;
  const allocs: OutputSpec[] = [];
  const carryType = body.outputs.slice(0, nC).map((o) => types[(o as { value: ValueId }).value]);
  const yType = body.outputs.slice(nC).map((o) => types[(o as { value: ValueId }).value]);
  carryType.forEach((t) => allocs.push({ shape: [...t.shape], dtype: t.dtype }));
  yType.forEach((t) => allocs.push({ shape: stackYs ? [L, ...t.shape] : [...t.shape], dtype: t.dtype }));
  carryType.forEach((t) => allocs.push({ shape: [...t.shape], dtype: t.dtype }));
  const carryOut = (k: number) => nIn + k;
  const yOut = (k: number) => nIn + nC + k;
  const carryTmp = (k: number) => nIn + nC + nY + k;

  // Where each value lives.
  const loc = new Map<ValueId, Loc>();
  for (const i of body.inputs) {
    if (i.source.kind !== 'arg') return undefined;
    const leaf = i.source.leaf;
    const c = spec.carryArgs.indexOf(leaf);
    const x = spec.xArgs.indexOf(leaf);
    const inv = spec.invariantArgs.indexOf(leaf);
    if (c >= 0) loc.set(i.value, { kind: 'carry', k: c, off: 0 });
    else if (x >= 0) loc.set(i.value, { kind: 'x', k: x, off: 0 });
    else if (inv >= 0) loc.set(i.value, { kind: 'fixed', buf: nC + nX + inv, off: 0 });
    else return undefined;
  }
  for (const [v, b] of constBuf) loc.set(v, { kind: 'fixed', buf: b, off: 0 });
  // Kernel results that are body outputs are written where the output goes (first come).
  const produced = new Set<ValueId>();
  for (const o of plan.ops) for (const v of o.kind === 'fused' ? o.outs : [o.out]) produced.add(v);
  const copies: { from: ValueId; to: Loc; count: number }[] = [];
  body.outputs.forEach((o, j) => {
    const v = (o as { value: ValueId }).value;
    const to: Loc = j < nC ? { kind: 'next', k: j, off: 0 } : { kind: 'y', k: j - nC, off: 0 };
    if (produced.has(v) && !loc.has(v)) loc.set(v, to);
    else copies.push({ from: v, to, count: size(types[v].shape) });
  });
  for (const v of produced) {
    if (loc.has(v)) continue;
    loc.set(v, { kind: 'fixed', buf: nIn + allocs.length, off: 0 });
    allocs.push({ shape: [...types[v].shape], dtype: types[v].dtype });
  }
  // Views resolve to their source's place (in program order, so a view of a view works).
  const locOf = (v: ValueId): Loc => {
    const hit = loc.get(v);
    if (hit !== undefined) return hit;
    const view = plan.views.get(v);
    if (view === undefined) throw new Error(`loop kernel: value ${v} has no place`);
    const src = locOf(view.src);
    const l = { ...src, off: src.off + view.off } as Loc;
    loc.set(v, l);
    return l;
  };
  try {
    for (const o of plan.ops) for (const v of o.ins) locOf(v);
    for (const c of copies) locOf(c.from);
  } catch {
    return undefined;
  }
  const inPlace = inPlaceOn ? inPlaceCarries(plan, locOf, types, nC, copies) : carryType.map(() => false);
  // An in-place carry needs no second buffer: a one-element stand-in keeps the buffer numbering.
  inPlace.forEach((yes, k) => { if (yes) allocs[nC + nY + k] = { shape: [1], dtype: allocs[nC + nY + k].dtype }; });
  const xRow = spec.xArgs.map((leaf) => {
    const inp = body.inputs.find((i) => i.source.kind === 'arg' && i.source.leaf === leaf);
    return inp === undefined ? 0 : size(types[inp.value].shape);
  });
  const yRow = yType.map((t) => size(t.shape));
  const carryIn = (k: number) => k;
  const xIn = (k: number) => nC + k;

  // SIMD or scalar WebAssembly (fusion/wasm-lane.ts), decided now: the steps are built at the first call.
  const lane = wasmLane();
  const simdPlacement = lane !== undefined ? target!.simd : undefined;
  const heap = simdPlacement?.kind === 'heap' ? simdPlacement.heap() : undefined;
  const useScratch = simdPlacement?.kind === 'scratch';
  let scratch: PrivateHeap | undefined;
  const nBuf = nIn + allocs.length;

  // A pointwise body runs as one SIMD call with the carries in registers (fusion/loop-simd.ts).
  const pointwise = pointwiseOn && lane === 'simd' && simdPlacement !== undefined && spec.progress === undefined && copies.length === 0
    ? pointwisePlan(plan, locOf, types, formulas, carryType.length, yType.map((t) => size(t.shape)), xRow) : undefined;
  const pointwiseArgs = pointwise === undefined ? undefined : (() => {
    const o = plan.ops[0] as Extract<StepOp, { kind: 'fused' }>;
    // One pointer per non-literal input (the node's inputs, in order).
    const bufs = o.ins.map((v) => {
      const l = locOf(v);
      return l.kind === 'carry' ? carryIn(l.k) : l.kind === 'x' ? xIn(l.k) : (l as { buf: number }).buf;
    });
    for (let k = 0; k < nC; k++) bufs.push(carryOut(k));
    for (let k = 0; k < nY; k++) bufs.push(yOut(k));
    return { bufs, n: size(o.spec.shape) };
  })();
  const pointwiseKernels = new Map<WasmMemory, PointwiseLoopKernel>();
  const runPointwise = (ptrs: readonly number[], heap: WasmMemory): void => {
    let kernel = pointwiseKernels.get(heap);
    if (kernel === undefined) pointwiseKernels.set(heap, (kernel = compilePointwiseLoop(pointwise!, formulas, heap)));
    const a = pointwiseArgs!;
    const args = a.bufs.map((b) => ptrs[b]);
    args.push(a.n, L);
    kernel(...args);
    pointwiseCalls++;
  };

  // The buffers of the call running now: the step closures (built once per kernel) read them here.
  const cur: { ptrs: readonly number[]; bufs: readonly Typed[] } = { ptrs: [], bufs: [] };
  const viewCache: Map<number, Typed>[] = Array.from({ length: nBuf }, () => new Map());
  const build = (heap: WasmMemory | undefined, withPtrs: boolean) => {
    const writeBuf = (k: number, s: number) => (inPlace[k] || ((L - 1 - s) & 1) === 0 ? carryOut(k) : carryTmp(k));
    // A place at step s: its buffer and element offset (two functions: no array per call).
    const bufAt = (l: Loc, s: number): number => {
      switch (l.kind) {
        case 'fixed': return l.buf;
        case 'carry': return s === 0 && !inPlace[l.k] ? carryIn(l.k) : writeBuf(l.k, s - 1);
        case 'next': return writeBuf(l.k, s);
        case 'x': return xIn(l.k);
        case 'y': return yOut(l.k);
      }
    };
    const offAt = (l: Loc, s: number): number =>
      (l.kind === 'x' ? s * xRow[l.k] : l.kind === 'y' ? s * yRow[l.k] : 0) + l.off;
    // Views of exactly a value's elements (kernels read their sizes from the arrays).
    const viewAt = (b: number, off: number, count: number): Typed => {
      const whole = cur.bufs[b];
      if (off === 0 && count === whole.length) return whole;
      const m = viewCache[b];
      let v = m.get(off);
      if (v === undefined || v.length !== count) m.set(off, (v = whole.subarray(off, off + count) as Typed));
      return v;
    };
    // One closure per kernel of the step.
    const steps: ((s: number) => void)[] = plan.ops.map((o): ((s: number) => void) => {
      if (o.kind === 'memory') {
        const inLocs = o.ins.map(locOf);
        const outLoc = locOf(o.out);
        const infos = o.ins.map((v) => ({ dataId: {}, shape: [...types[v].shape], dtype: types[v].dtype }));
        const named: Record<string, TensorInfo> = {};
        o.node.inputNames!.forEach((name, j) => { named[name] = infos[j]; });
        const order = o.parts.infosOf(named);
        const perm = order.map((info) => infos.indexOf(info));
        const attrs = o.node.attrs as tf.NamedAttrMap;
        const n = size(types[o.out].shape);
        const counts = o.ins.map((v) => size(types[v].shape));
        const ins: Typed[] = new Array(perm.length);
        return (s) => {
          for (let j = 0; j < perm.length; j++) {
            const l = inLocs[perm[j]];
            ins[j] = viewAt(bufAt(l, s), offAt(l, s), counts[perm[j]]);
          }
          o.parts.loop(ins, viewAt(bufAt(outLoc, s), offAt(outLoc, s), n), order, attrs);
        };
      }
      const spec = o.spec;
      const nonLiteral = spec.inputs.map((inp, k) => (inp.mode === 'literal' ? -1 : k)).filter((k) => k >= 0);
      const inLocs = o.ins.map(locOf);
      const outLocs = o.outs.map(locOf);
      const inCounts = o.ins.map((v) => size(types[v].shape));
      const outCounts = o.outs.map((v) => size(types[v].shape));
      const n = size(spec.shape);
      const body4 = n - (n % 4);
      const inViews: Typed[] = new Array(inLocs.length);
      const outViews: Typed[] = new Array(outLocs.length);
      const fill = (s: number) => {
        for (let j = 0; j < inLocs.length; j++) inViews[j] = viewAt(bufAt(inLocs[j], s), offAt(inLocs[j], s), inCounts[j]);
        for (let j = 0; j < outLocs.length; j++) outViews[j] = viewAt(bufAt(outLocs[j], s), offAt(outLocs[j], s), outCounts[j]);
      };
      const loop = o.loop;
      const opLane = lane !== undefined && laneSupports(spec, formulas, lane) && (lane === 'scalar' || body4 > 0) ? lane : undefined;
      if (withPtrs && heap !== undefined && opLane !== undefined) {
        const simd = wasmKernelFor(spec, formulas, heap, opLane);
        const kernelBody = laneBody(opLane, n);
        const inBytes = nonLiteral.map((k) => BYTES[spec.inputs[k].dtype]);
        const outBytes = o.outs.map((v) => BYTES[types[v].dtype]);
        const args = new Array<number>(inLocs.length + outLocs.length + 1);
        args[args.length - 1] = kernelBody;
        return (s) => {
          noteFusedCall(opLane);
          for (let j = 0; j < inLocs.length; j++) args[j] = cur.ptrs[bufAt(inLocs[j], s)] + offAt(inLocs[j], s) * inBytes[j];
          for (let j = 0; j < outLocs.length; j++) {
            args[inLocs.length + j] = cur.ptrs[bufAt(outLocs[j], s)] + offAt(outLocs[j], s) * outBytes[j];
          }
          simd(...args);
          if (kernelBody < n) {
            fill(s);
            loop(inViews, outViews, kernelBody);
          }
        };
      }
      return (s) => {
        noteFusedCall('js');
        fill(s);
        loop(inViews, outViews);
      };
    });
    const copySteps = copies.map((c) => {
      const from = locOf(c.from);
      return (s: number) => {
        const fo = offAt(from, s);
        cur.bufs[bufAt(c.to, s)].set(cur.bufs[bufAt(from, s)].subarray(fo, fo + c.count), offAt(c.to, s));
      };
    });
    return { heap, withPtrs, steps, copySteps };
  };
  let built: ReturnType<typeof build> | undefined;
  /** Runs the loop on buffers (their byte offsets on the heap, when SIMD runs there, and their views). */
  const runLoop = (ptrs: readonly number[] | undefined, bufs: readonly Typed[], heap: WasmMemory | undefined) => {
    if (pointwise !== undefined && ptrs !== undefined && heap !== undefined) {
      runPointwise(ptrs, heap);
      return;
    }
    if (built === undefined || built.heap !== heap || built.withPtrs !== (ptrs !== undefined)) built = build(heap, ptrs !== undefined);
    const { steps, copySteps } = built;
    cur.ptrs = ptrs ?? [];
    cur.bufs = bufs;
    for (const m of viewCache) m.clear();
    // In-place carries start as a copy of their input (the input tensor is not ours to write).
    for (let k = 0; k < nC; k++) if (inPlace[k]) bufs[carryOut(k)].set(bufs[carryIn(k)]);
    const progress = spec.progress;
    for (let s = 0; s < L; s++) {
      for (let j = 0; j < steps.length; j++) steps[j](s);
      for (let j = 0; j < copySteps.length; j++) copySteps[j](s);
      if (progress !== undefined && ((s + 1) % progress.every === 0 || s + 1 === L)) progress.tick(s + 1, L);
    }
  };

  const canonical = (a: ArrayLike<number>, dtype: string) =>
    a instanceof (dtype === 'float32' ? Float32Array : dtype === 'int32' ? Int32Array : Uint8Array);
  return (params) => {
    const ins = params.inputs as TensorInfo[];
    const inputs = [...ins, ...body.constants.map((c) => c.tensor as unknown as TensorInfo)];
    let infos: TensorInfo[] | undefined;
    if (heap !== undefined && simdPlacement?.kind === 'heap') {
      infos = simdPlacement.run(inputs, allocs, (ptrs, views) => {
        const [iv, ov] = views();
        runLoop(ptrs, [...iv, ...ov] as unknown as Typed[], heap);
      });
    } else {
      let ok = true;
      const out = memory.run(inputs, allocs, (iv, ov) => {
        // tfjs-cpu can keep a tensor in another array type than its dtype's: take the step-by-step path then.
        if (!iv.every((a, i) => canonical(a, inputs[i].dtype))) { ok = false; return; }
        if (useScratch && scratch === undefined) scratch = privateHeap([...inputs, ...allocs]);
        if (scratch === undefined) {
          runLoop(undefined, [...iv, ...ov] as unknown as Typed[], undefined);
          return;
        }
        // SIMD on a heap of the loop's own: inputs copied in (constants once), results copied out.
        const views = scratch.views();
        for (let b = 0; b < nIn; b++) if (b < nOuterIn || !scratch.constantsIn) views[b].set(iv[b] as Typed);
        scratch.constantsIn = true;
        runLoop(scratch.ptrs, views, scratch.memory);
        for (let m = 0; m < nC + nY; m++) (ov[m] as unknown as Typed).set(views[nIn + m]);
      });
      if (!ok) {
        out.forEach(disposeInfo);
        return fallback(params);
      }
      infos = out;
    }
    wholeLoopCalls++;
    for (let k = nC + nY; k < infos.length; k++) disposeInfo(infos[k]);
    return infos.slice(0, nC + nY);
  };
}

/**
 * Replays a {@link Program} on the current backend: kernels are looked up once, then
 * each call runs them straight through the kernel registry on tensor infos, with no
 * op-level dispatch, disposing every intermediate right after its last use.
 */
import * as tf from '@tensorflow/tfjs';
import {
  currentBackend, disposeInfo, freshHostConstant, incRef, KernelBackendLike, KernelFunc, lookupKernel, TensorInfo, tensorFromInfo,
  OutputReuse,
} from '../backend/tfjs-engine';
import { cpuFormsThreshold, hostMemory, targetNamed } from '../backend/targets';
import { fusedLoopFor, wasmKernelFor } from './fusion/kernel-cache';
import { laneBody, laneFor, noteFusedCall } from './fusion/wasm-lane';
import { fusionTargetOf } from './fusion/ops';
import { wgslFusedKernel } from './fusion/wgsl-kernel';
import { wgslPartsKernel } from './fusion/wgsl-parts';
import { hasCanonicalStorage, runCopying, scratchMemory } from './fusion/scratch';
import { controlKernel } from './control';
import { StepKernel, stepKernelFor } from './fusion/step-kernel';
import { asyncControlKernel, AsyncControlKernel, controlAwaits } from './control-async';
import { TraceError, InternalError } from '../errors';
import { ControlSpec, disposeProgram, FusedPart, FusedSpec, liveOuts, Program, ValueId, ValueType } from './ir';
import { kernelInfo } from './kernels';

/**
 * The kernel function of a fused node, as the backend target says it runs: a WebAssembly
 * kernel (SIMD, or scalar where SIMD is off: fusion/wasm-lane.ts) in place on the backend's
 * WebAssembly heap (the JS loop finishing the last size % 4 elements after SIMD), the same
 * through a scratch heap, or the JS loop on the backend's memory.
 * Exported for the op-formula specs, which run one op at a time.
 */
export function fusedKernel(spec: FusedSpec, outTypes: readonly ValueType[], backendName: string,
  reuse: OutputReuse | undefined): KernelFunc {
  const target = targetNamed(backendName);
  const memory = target?.memory;
  const formulas = fusionTargetOf(backendName);
  // A GPU backend: the generated WGSL program (fusion/wgsl-kernel.ts).
  if (target?.gpuFusion !== undefined && formulas !== undefined) {
    return wgslFusedKernel(spec, outTypes, formulas, target.gpuFusion, backendName, reuse);
  }
  if (memory === undefined || formulas === undefined) throw new InternalError(`fused kernels cannot run on backend '${backendName}'`);
  const loop = fusedLoopFor(spec, formulas);
  // A fused loop writes every element of every output (so it may take a disposed result's array on cpu).
  const outs = outTypes.map((t) => ({ shape: [...t.shape], dtype: t.dtype, filled: true }));
  const size = tf.util.sizeFromShape(spec.shape as number[]);
  const lane = target!.simd === undefined ? undefined : laneFor(spec, formulas, size);
  const placement = lane === undefined ? undefined : target!.simd;
  if (lane !== undefined && placement?.kind === 'heap') {
    const heap = placement.heap();
    if (heap !== undefined) {
      // In place on the backend's heap.
      const kernel = wasmKernelFor(spec, formulas, heap, lane);
      const body = laneBody(lane, size);
      return ({ inputs }) => placement.run(inputs as TensorInfo[], outs, (ptrs, views) => {
        noteFusedCall(lane);
        kernel(...ptrs, body);
        if (body < size) loop(...views(), body);
      }, reuse);
    }
  }
  if (lane !== undefined && placement?.kind === 'scratch') {
    // The backend's arrays live in JS: copy through a private heap. tfjs-cpu keeps some
    // tensors in another array type than their dtype's (a float32 cast of an int32 keeps the
    // Int32Array): a lane would round those values, so such calls take the JS loop.
    const kernel = wasmKernelFor(spec, formulas, scratchMemory(), lane);
    const body = laneBody(lane, size);
    return ({ inputs }) => memory.run(inputs as TensorInfo[], outs, (ins, arrays) => {
      if (!hasCanonicalStorage(spec, ins)) {
        noteFusedCall('js');
        loop(ins, arrays);
        return;
      }
      noteFusedCall(lane);
      runCopying(spec, kernel, body, ins, arrays);
      if (body < size) loop(ins, arrays, body);
    }, reuse);
  }
  return ({ inputs }) => memory.run(inputs as TensorInfo[], outs, (ins, arrays) => {
    noteFusedCall('js');
    loop(ins, arrays);
  }, reuse);
}

/** The kernel function of a `FusedParts` node (GPU targets: fusion/wgsl-parts.ts). */
function fusedPartsKernel(parts: readonly FusedPart[], outTypes: readonly ValueType[], backendName: string): KernelFunc {
  const target = targetNamed(backendName);
  const formulas = fusionTargetOf(backendName);
  if (target?.gpuFusion === undefined || formulas === undefined) {
    throw new InternalError(`fused parts cannot run on backend '${backendName}'`);
  }
  return wgslPartsKernel(parts, outTypes, formulas, target.gpuFusion, backendName);
}

/**
 * Memory planning for state updates: a fused kernel may write a state's new value into
 * the buffer of its old value when that old value is read by this kernel only, the
 * new value goes only to that state, and no kernel that could fail runs after it (a
 * call that throws must leave the state as it was). Whether the old buffer is really
 * dead (no clone, no other state holding it, not an argument of the call) is checked at
 * each call.
 */
function planReuse(p: Program, index: number, backendName: string, call: () => { args: readonly TensorInfo[]; slots: StateSlots }): OutputReuse | undefined {
  if (hostMemory(backendName)?.writesInPlace !== true && targetNamed(backendName)?.gpuFusion?.writesInPlace !== true) {
    return undefined;
  }
  const n = p.nodes[index];
  if (n.fused === undefined || p.nodes.slice(index + 1).some((m) => m.fused === undefined && m.fusedParts === undefined &&
    kernelInfo(m.kernel)?.fallible !== false)) return undefined;
  const uses = new Map<ValueId, number>();
  const bump = (v: ValueId) => uses.set(v, (uses.get(v) ?? 0) + 1);
  for (const m of p.nodes) for (const v of m.inputs) if (v >= 0) bump(v);
  for (const o of p.outputs) if (o.kind === 'value') bump(o.value);
  const written = new Map<ValueId, { slot: number; leaf: number }>();
  for (const w of p.writes) w.values.forEach((v, leaf) => { bump(v); written.set(v, { slot: w.slot, leaf }); });
  const nonLiteral = n.fused.inputs.filter((i) => i.mode !== 'literal');
  const inputOf = n.outputs.map((o) => {
    const w = written.get(o);
    if (w === undefined || uses.get(o) !== 1) return -1;
    return n.inputs.findIndex((v, k) => uses.get(v) === 1 && nonLiteral[k].mode === 'full' &&
      p.inputs.some((i) => i.value === v && i.source.kind === 'state' && i.source.slot === w.slot && i.source.leaf === w.leaf));
  });
  if (inputOf.every((k) => k < 0)) return undefined;
  // The state's old value may also be an argument of this call (f(s.value)): then the
  // buffer is still read by the program's argument and must not be overwritten.
  return {
    inputOf,
    canReuse: (t) => t instanceof tf.Tensor && call().slots.holders(t) === 1 && !call().args.some((a) => a.dataId === t.dataId),
  };
}

/** How one output slot gets its tensor. */
interface OutputSlot {
  readonly value: ValueId;
  /** True for the first use of a kernel result: the slot takes the kernel's reference. */
  readonly take: boolean;
}

/** The state slots a program reads, with which of their leaves feed which input value. */
interface StateFeed {
  readonly slot: number;
  readonly leaves: readonly { leaf: number; value: ValueId }[];
}

/**
 * How a run reaches the states behind the program's slots (the program holds none; the
 * jit keeps the states beside it and passes this at each call).
 */
export interface StateSlots {
  /** The tensor leaves of slot `slot`'s current value. */
  leaves(slot: number): readonly TensorInfo[];
  /** How many states hold `t` as (part of) their value: in-place reuse needs exactly one. */
  holders(t: tf.Tensor): number;
}

/** For programs that read no state (loop bodies and branches get states as arguments). */
const NO_SLOTS: StateSlots = {
  leaves: (slot) => { throw new InternalError(`a program without states read state slot ${slot}`); },
  holders: () => Infinity,
};

/** Results of one replay: tensors the caller owns. */
export interface ReplayResult {
  readonly outputs: (tf.Tensor | undefined)[];
  /** New value leaves per write, in `program.writes` order. */
  readonly writes: tf.Tensor[][];
}

export class Executable {
  private readonly kernels: KernelFunc[];
  private readonly freeAfter: ValueId[][];
  private readonly owned: boolean[];
  private readonly slots: OutputSlot[];
  private readonly argFeeds: { leaf: number; value: ValueId }[] = [];
  private readonly stateFeeds: StateFeed[] = [];
  private readonly backend: KernelBackendLike;
  /**
   * Constants made from JS values in the trace and small enough that tfjs-webgpu would run
   * kernels on them on its CPU forms: each call gets fresh host copies (see freshHostConstant).
   */
  private readonly hostFresh: { value: ValueId; tensor: tf.Tensor }[];
  private readonly freshThreshold: number;
  /** The whole program as one kernel, where it qualifies (fusion/step-kernel.ts). */
  private readonly whole: StepKernel | undefined;
  /** The argument infos and state slots of the call running now (the in-place check reads them). */
  private call: { args: readonly TensorInfo[]; slots: StateSlots } = { args: [], slots: NO_SLOTS };

  constructor(readonly program: Program, readonly backendName: string) {
    this.backend = currentBackend();
    this.kernels = program.nodes.map((n, i) => {
      if (n.fused !== undefined) {
        return fusedKernel(n.fused, n.outputs.map((o) => program.values[o]), backendName,
          planReuse(program, i, backendName, () => this.call));
      }
      if (n.control !== undefined) return controlNodeKernel(n.control, backendName);
      if (n.fusedParts !== undefined) return fusedPartsKernel(n.fusedParts, n.outputs.map((o) => program.values[o]), backendName);
      const k = lookupKernel(n.kernel, backendName);
      if (k === undefined) {
        throw new TraceError(`jit(${program.name}): kernel '${n.kernel}' is not registered for backend ` +
          `'${backendName}'; this op cannot run here.`);
      }
      return k;
    });
    this.whole = stepKernelFor(program, backendName);
    this.freshThreshold = cpuFormsThreshold(backendName);
    this.hostFresh = this.freshThreshold === 0 ? []
      : program.constants.filter((c) => c.tensor.size < this.freshThreshold).map((c) => ({ value: c.value, tensor: c.tensor }));
    this.owned = new Array(program.values.length).fill(false);
    for (const n of program.nodes) for (const o of n.outputs) this.owned[o] = true;

    // Last use of each owned value; values that are program results are never freed.
    const live = new Set(liveOuts(program));
    const lastUse = new Map<ValueId, number>();
    program.nodes.forEach((n, i) => {
      for (const v of n.inputs) if (v >= 0) lastUse.set(v, i);
      for (const o of n.outputs) if (!lastUse.has(o)) lastUse.set(o, i); // unused result: free at once
    });
    this.freeAfter = program.nodes.map(() => []);
    for (const [v, i] of lastUse) if (this.owned[v] && !live.has(v)) this.freeAfter[i].push(v);

    const taken = new Set<ValueId>();
    const slotOf = (v: ValueId): OutputSlot => {
      const take = this.owned[v] && !taken.has(v);
      if (take) taken.add(v);
      return { value: v, take };
    };
    this.slots = [];
    for (const o of program.outputs) if (o.kind === 'value') this.slots.push(slotOf(o.value));
    for (const w of program.writes) for (const v of w.values) this.slots.push(slotOf(v));

    const bySlot = new Map<number, { leaf: number; value: ValueId }[]>();
    for (const i of program.inputs) {
      if (i.source.kind === 'arg') {
        this.argFeeds.push({ leaf: i.source.leaf, value: i.value });
      } else {
        let list = bySlot.get(i.source.slot);
        if (list === undefined) bySlot.set(i.source.slot, (list = []));
        list.push({ leaf: i.source.leaf, value: i.value });
      }
    }
    for (const [slot, leaves] of bySlot) this.stateFeeds.push({ slot, leaves });
  }

  private disposed = false;

  /**
   * Releases what the executable owns: the program's constants and folded results (and
   * those of its loop bodies and branches). Compiled kernels are shared between
   * structurally identical programs (fusion/kernel-cache.ts) and stay cached. Running a
   * disposed executable is an {@link InternalError}. Idempotent.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeProgram(this.program);
  }

  /** The kernel function of node `i` (the awaiting run of ./control-async.ts replays the other nodes through it). */
  kernelAt(i: number): KernelFunc {
    return this.kernels[i];
  }

  /** Whether a run may have to wait for a loop or branch predicate (see {@link executeAsync}). */
  get awaitsPredicates(): boolean {
    return awaitsPredicates(this);
  }

  /** {@link execute}, awaiting loop and branch predicates that live on the GPU (see {@link executeAsync}). */
  executeAsync(args: readonly TensorInfo[], slots?: StateSlots): Promise<TensorInfo[]> {
    return executeAsync(this, args, slots);
  }

  /** Whether {@link dispose} was called. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /**
   * Fresh host copies of the small constants made in the trace, for one call (empty but on
   * webgpu); `vals` gets them in place of the constants. The caller disposes them.
   */
  freshConstants(vals: (TensorInfo | undefined)[]): TensorInfo[] {
    const made: TensorInfo[] = [];
    // Constants that share data (a folded reshape or lossless cast of another) share their fresh copy, as eager's do:
    // uploading one uploads the other.
    const copies = new Map<object, object>();
    for (const c of this.hostFresh) {
      let dataId = copies.get(c.tensor.dataId);
      if (dataId !== undefined) {
        incRef({ dataId, shape: c.tensor.shape, dtype: c.tensor.dtype });
      } else {
        dataId = freshHostConstant(c.tensor, this.freshThreshold)?.dataId;
        if (dataId === undefined) continue;
        copies.set(c.tensor.dataId, dataId);
      }
      const info = { dataId, shape: c.tensor.shape, dtype: c.tensor.dtype };
      made.push(info);
      vals[c.value] = info;
    }
    return made;
  }

  /** Runs the program on `args` (the call's tensor leaves) and the current values of the states behind `slots`. */
  run(args: readonly tf.Tensor[], slots: StateSlots = NO_SLOTS): ReplayResult {
    const p = this.program;
    const tensors = this.execute(args, slots).map(tensorFromInfo);
    let k = 0;
    const outputs = p.outputs.map((o) => (o.kind === 'value' ? tensors[k++] : undefined));
    const writes = p.writes.map((w) => w.values.map(() => tensors[k++]));
    return { outputs, writes };
  }

  /**
   * Runs the program on tensor infos: `args` by argument leaf, states read as they are
   * now. Returns one info per result leaf then per state-write leaf, each holding one
   * backend reference the caller owns.
   */
  execute(args: readonly TensorInfo[], slots: StateSlots = NO_SLOTS): TensorInfo[] {
    if (this.disposed) throw new InternalError(`jit(${this.program.name}): a disposed executable was run`);
    const vals: (TensorInfo | undefined)[] = new Array(this.program.values.length);
    if (this.hostFresh.length === 0) return this.executeOn(vals, args, slots);
    const fresh: TensorInfo[] = [];
    try {
      return this.executeOn(vals, args, slots, fresh);
    } finally {
      fresh.forEach(disposeInfo);
    }
  }

  private executeOn(vals: (TensorInfo | undefined)[], args: readonly TensorInfo[], slots: StateSlots,
    fresh?: TensorInfo[]): TensorInfo[] {
    const p = this.program;
    this.call = { args, slots };
    for (const f of this.argFeeds) vals[f.value] = args[f.leaf];
    for (const f of this.stateFeeds) {
      const leaves = slots.leaves(f.slot);
      for (const l of f.leaves) vals[l.value] = leaves[l.leaf];
    }
    for (const c of p.constants) vals[c.value] = c.tensor;
    if (fresh !== undefined) fresh.push(...this.freshConstants(vals));
    if (this.whole !== undefined) {
      const results = this.whole(p.inputs.map((i) => vals[i.value]!));
      if (results !== undefined) {
        this.call = { args: [], slots: NO_SLOTS };
        return results;
      }
    }

    const nodes = p.nodes;
    const backend = this.backend;
    try {
      for (let i = 0; i < nodes.length; i++) {
        const n = nodes[i];
        let inputs: Record<string, TensorInfo> | TensorInfo[];
        if (n.inputNames === null) {
          inputs = n.inputs.map((v) => vals[v]!);
        } else {
          inputs = {};
          for (let j = 0; j < n.inputs.length; j++) {
            const v = n.inputs[j];
            if (v >= 0) inputs[n.inputNames[j]] = vals[v]!;
          }
        }
        const out = this.kernels[i]({ inputs, backend, attrs: n.attrs as Record<string, unknown> });
        if (Array.isArray(out)) for (let j = 0; j < out.length; j++) vals[n.outputs[j]] = out[j];
        else vals[n.outputs[0]] = out;
        for (const v of this.freeAfter[i]) {
          disposeInfo(vals[v]!);
          vals[v] = undefined;
        }
      }
    } catch (e) {
      for (let v = 0; v < vals.length; v++) if (this.owned[v] && vals[v] !== undefined) disposeInfo(vals[v]!);
      throw e;
    } finally {
      this.call = { args: [], slots: NO_SLOTS };
    }

    return this.slots.map((s) => {
      const info = vals[s.value]!;
      if (s.take) return info;
      incRef(info); // a second use of a result, or an input / constant handed out
      return { dataId: info.dataId, shape: info.shape, dtype: info.dtype };
    });
  }
}

/**
 * Runs `exe`'s program as {@link Executable.execute} does, but awaits the predicates of its
 * while loops and branches (`jitted.callAsync`): kernels up to such a node are dispatched
 * at once, then the predicate is read back asynchronously, then the next segment runs.
 * The call's arguments and the state values it read are held (one extra reference each)
 * until it ends, so code that runs meanwhile may dispose or overwrite them.
 */
async function executeAwaiting(exe: Executable, kernels: readonly (AsyncControlKernel | undefined)[],
  args: readonly TensorInfo[], slots: StateSlots): Promise<TensorInfo[]> {
  const p = exe.program;
  const held: TensorInfo[] = [...args];
  const vals: (TensorInfo | undefined)[] = new Array(p.values.length);
  const owned: boolean[] = new Array(p.values.length).fill(false);
  for (const n of p.nodes) for (const o of n.outputs) owned[o] = true;
  for (const i of p.inputs) {
    vals[i.value] = i.source.kind === 'arg' ? args[i.source.leaf] : slots.leaves(i.source.slot)[i.source.leaf];
    if (i.source.kind === 'state') held.push(vals[i.value]!);
  }
  for (const c of p.constants) vals[c.value] = c.tensor;
  held.forEach(incRef);
  const releases = held.map((t) => ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype })); // infos, not tensors: disposeInfo drops one reference
  const fresh = exe.freshConstants(vals); // this call's own references, dropped once the results hold theirs
  // The nodes between two awaited control nodes run as one synchronous segment, through
  // the executable's own kernels (a sub-program of the same program, in effect).
  const live = new Set(liveOuts(p));
  const lastUse = new Map<ValueId, number>();
  p.nodes.forEach((n, i) => {
    for (const v of n.inputs) if (v >= 0) lastUse.set(v, i);
    for (const o of n.outputs) if (!lastUse.has(o)) lastUse.set(o, i);
  });
  const backend = currentBackend();
  try {
    for (let i = 0; i < p.nodes.length; i++) {
      const n = p.nodes[i];
      const k = kernels[i];
      let out: TensorInfo | TensorInfo[];
      if (k !== undefined) {
        out = await k(n.inputs.map((v) => vals[v]!));
      } else {
        let inputs: Record<string, TensorInfo> | TensorInfo[];
        if (n.inputNames === null) {
          inputs = n.inputs.map((v) => vals[v]!);
        } else {
          inputs = {};
          for (let j = 0; j < n.inputs.length; j++) if (n.inputs[j] >= 0) inputs[n.inputNames[j]] = vals[n.inputs[j]]!;
        }
        out = exe.kernelAt(i)({ inputs, backend, attrs: n.attrs as Record<string, unknown> });
      }
      if (Array.isArray(out)) for (let j = 0; j < out.length; j++) vals[n.outputs[j]] = out[j];
      else vals[n.outputs[0]] = out;
      for (const v of [...n.inputs, ...n.outputs]) {
        if (v >= 0 && owned[v] && !live.has(v) && lastUse.get(v) === i && vals[v] !== undefined) {
          disposeInfo(vals[v]!);
          vals[v] = undefined;
        }
      }
    }
  } catch (e) {
    for (let v = 0; v < vals.length; v++) if (owned[v] && vals[v] !== undefined) disposeInfo(vals[v]!);
    fresh.forEach(disposeInfo);
    throw e;
  } finally {
    releases.forEach(disposeInfo);
  }
  const taken = new Set<ValueId>();
  const results = liveOuts(p).map((v) => {
    const info = vals[v]!;
    if (owned[v] && !taken.has(v)) {
      taken.add(v);
      return info;
    }
    incRef(info); // a second use of a result, or an input / constant handed out
    return { dataId: info.dataId, shape: info.shape, dtype: info.dtype };
  });
  fresh.forEach(disposeInfo);
  return results;
}

/** The awaiting kernels of `exe`'s control nodes that may wait for a predicate (undefined elsewhere). */
function awaitingKernels(exe: Executable): (AsyncControlKernel | undefined)[] {
  return exe.program.nodes.map((n) => (n.control !== undefined && controlAwaits(n.control)
    ? asyncControlKernel(n.control, exe.backendName, (sub) => new Executable(sub, exe.backendName)) : undefined));
}

const awaiting = new WeakMap<Executable, (AsyncControlKernel | undefined)[]>();

/**
 * Whether running `exe` may wait for a predicate: it holds a while loop or a branch
 * (a scan only when its body does).
 */
export function awaitsPredicates(exe: Executable): boolean {
  return exe.program.nodes.some((n) => n.control !== undefined && controlAwaits(n.control));
}

/**
 * Runs `exe` on `args` and the states behind `slots`, awaiting each loop or branch
 * predicate that lives on the GPU (see {@link executeAwaiting}); a program without such
 * nodes runs synchronously. Returns what {@link Executable.execute} returns.
 */
export async function executeAsync(exe: Executable, args: readonly TensorInfo[], slots?: StateSlots): Promise<TensorInfo[]> {
  if (exe.isDisposed) throw new InternalError(`jit(${exe.program.name}): a disposed executable was run`);
  if (!awaitsPredicates(exe)) return exe.execute(args, slots);
  let kernels = awaiting.get(exe);
  if (kernels === undefined) awaiting.set(exe, (kernels = awaitingKernels(exe)));
  return executeAwaiting(exe, kernels, args, slots ?? NO_SLOTS);
}

/** The kernel of a control node (a loop, a branch), its sub-programs compiled as executables. */
export function controlNodeKernel(spec: ControlSpec, backendName: string): KernelFunc {
  return controlKernel(spec, backendName, (sub) => new Executable(sub, backendName));
}

/**
 * vmap's per-lane trace: the function runs once, for real, on one lane of its inputs (lane
 * 0 of each mapped argument and batched state, the whole of everything else), while a
 * recorder writes the kernels it dispatches into a program of per-lane shapes. vmap then
 * runs that program on the whole batch with each kernel's batching rule
 * (vmap-interpret.ts).
 *
 * States are read and written under a shadow-state context (shadow.ts): a first read is a
 * program argument (the lane-0 slice of a batched state, the key of a random state, the
 * value of any other state), a write an extra result; nothing reaches a state here.
 */
import * as tf from '@tensorflow/tfjs';
import {
  copyTensor, currentListener, invocationInputList, isOnDevice, isTapeOn, KernelInvocation, startListening, stopListening,
  swapInvocationInputs, unrecorded,
} from '../backend/tfjs-engine';
import { cpuFormsThreshold } from '../backend/targets';
import type { Program, ValueId } from '../compiler/ir';
import { Recorder } from '../compiler/recorder';
import { BatchAxisError, StateShapeError, TraceError } from '../errors';
import { State, StateValue } from '../state/state';
import type { StateObserver } from '../state/stack';
import { withObserver } from '../state/stack';
import { isTensor, valueSignature } from '../state/tree';
import { flatten, mapLeaves, TreeDef } from '../util/pytree';
import { typeString } from '../util/type-string';
import { ShadowStates } from './shadow';
import { disposeFailedRecording, programOfRecording } from './subtrace';
import { duringTrace, isTracing } from './trace';

/** How a state's value enters the batched program. */
export type StateRole =
  /** Batched along `axis` (declared in inStates). */
  | { readonly kind: 'batched'; readonly axis: number }
  /** A random key: every lane draws from a key of its own, split off the state's key. */
  | { readonly kind: 'rng' }
  /** The same value in every lane. */
  | { readonly kind: 'shared' };

/** A state the per-lane program reads: its argument leaves, its value outside, its role. */
export interface LaneState {
  readonly state: State<StateValue>;
  readonly leaves: readonly number[];
  readonly outer: StateValue;
  readonly role: StateRole;
}

/** The per-lane program and how its arguments and results relate to the vmapped call. */
export interface LaneTrace {
  /** Arguments: the explicit tensor leaves, then state and captured leaves as met; results: explicit, then written states' leaves. */
  readonly program: Program;
  readonly outTree: TreeDef;
  readonly numExplicitOut: number;
  readonly states: readonly LaneState[];
  readonly written: readonly { state: State<StateValue>; count: number; tree: TreeDef }[];
  readonly captured: readonly { tensor: tf.Tensor; leaf: number }[];
  /**
   * What lane 0 uploads (webgpu) of the small host data it found: `outside`, data the function
   * reads from outside (captured, constants); `explicit[i]`, explicit argument leaf i's data.
   */
  readonly uploads: { readonly outside: boolean; readonly explicit: readonly boolean[] };
  /**
   * The program's constants that the function made itself (`tf.tensor`, `tf.scalar` in its
   * body), not captured: lane by lane each lane makes them anew, new data every time.
   */
  readonly laneMade: readonly ValueId[];
}

/**
 * The lane trace's recorder. The trace runs lane 0 for real, and on webgpu a GPU kernel uploads
 * its small host inputs for good. Inside a trace (a jit, vmap's own program) the kernels over
 * data the function reads from outside (captured or made constants, values captured from an
 * enclosing trace) run again among the batched kernels (vmap-interpret.ts), which place them
 * by their own order, as a jit's program does (it holds no lane trace). So there the trace's
 * kernels read a host copy of such small host data, one per data, and leave the data as they
 * found it (else vmap's own program ran them after the trace's uploads, on the GPU, where the
 * jit's ran on the CPU forms). Not under a gradient tape (a kernel over constants that vmap
 * reuses from the trace must read the tensor itself, for its gradient), nor outside a trace
 * (such kernels are reused from the trace, and their uploads are lane 0's).
 *
 * It also watches the small host data every lane reads whole (those copies, and the copies of
 * explicit arguments the caller names): whether a kernel of lane 0 read one on the CPU forms
 * (it was still host data after the kernel) and a later kernel uploaded it. Lane by lane, the
 * later lanes then run that kernel on the GPU (fuzz seed 1126877: `minimum(c, b)` before a
 * dead `relu(b)` of a captured b, then `floorDiv` on it: int32 through f32 from lane 1 on).
 */
class LaneRecorder extends Recorder {
  private readonly copies = new Map<object, tf.Tensor>();
  /** Data watched: whether a kernel read it on the host. */
  private readonly watched = new Map<object, { t: tf.Tensor; readOnHost: boolean }>();
  private lastInputs: readonly (tf.Tensor | null | undefined)[] = [];
  private readonly threshold = cpuFormsThreshold(tf.getBackend());

  /** `inTrace`: whether vmap was called inside a trace (the lane trace itself always is). */
  constructor(what: string, outer: Recorder | undefined, private readonly inTrace: boolean) {
    super(what, outer);
  }

  /** Watches `t`'s data where it is small host data (that every lane reads whole). */
  watch(t: tf.Tensor): void {
    if (t.size < this.threshold && !isOnDevice(t)) this.watched.set(t.dataId, { t, readOnHost: false });
  }

  inputsFor(inv: KernelInvocation): KernelInvocation['inputs'] | undefined {
    const threshold = this.threshold;
    if (threshold === 0 || isTapeOn() || !this.inTrace) {
      this.lastInputs = invocationInputList(inv.inputs);
      return undefined;
    }
    const inputs = swapInvocationInputs(inv.inputs, (t) =>
      (t == null || !this.readsFromOutside(t) || t.size >= threshold || isOnDevice(t) ? t : this.copyOf(t)));
    this.lastInputs = invocationInputList(inputs ?? inv.inputs);
    return inputs;
  }

  onKernel(inv: KernelInvocation, outputs: tf.Tensor[]): void {
    for (const t of this.lastInputs) {
      const w = t == null ? undefined : this.watched.get(t.dataId);
      if (w !== undefined && !isOnDevice(w.t)) w.readOnHost = true;
    }
    this.lastInputs = [];
    super.onKernel(inv, outputs);
  }

  /** Whether `t`'s data is watched, was read on the host by a kernel, and is uploaded now. */
  uploadedAfterHostRead(t: tf.Tensor): boolean {
    const w = this.watched.get(t.dataId);
    return w !== undefined && w.readOnHost && isOnDevice(w.t);
  }

  /** Whether the function reads data from outside that lane 0 read on the host, then uploaded. */
  uploadsOutsideData(): boolean {
    return [...this.copies.values()].some((c) => this.uploadedAfterHostRead(c));
  }

  /** Whether `t` is data the function did not make in this trace (unbound yet, a constant, a captured value). */
  private readsFromOutside(t: tf.Tensor): boolean {
    const id = this.find(t);
    return id === undefined || this.constants.some((c) => c.value === id) || this.captured.some((c) => this.find(c.tensor) === id);
  }

  /** The host copy of `t`'s data, with `t`'s shape (`t` itself where its dtype or size differ from the data's first reader's). */
  private copyOf(t: tf.Tensor): tf.Tensor {
    let copy = this.copies.get(t.dataId);
    if (copy === undefined) {
      copy = tf.keep(copyTensor(t));
      this.copies.set(t.dataId, copy);
      this.watch(copy);
    }
    const c = copy;
    return c.dtype === t.dtype && c.size === t.size ? unrecorded(() => tf.reshape(c, t.shape)) : t;
  }

  /** Disposes the copies (once the trace ran). */
  disposeCopies(): void {
    for (const c of this.copies.values()) c.dispose();
    this.copies.clear();
    this.watched.clear();
  }
}

/** Lane 0 of `t` along `axis`. */
export function laneOf(t: tf.Tensor, axis: number): tf.Tensor {
  return unrecorded(() => tf.tidy(() => tf.squeeze(tf.slice(t, t.shape.map((_, k) => 0),
    t.shape.map((d, k) => (k === axis ? 1 : d))), [axis])));
}

/** Whether `state` holds a random key that draws split (a `random.RandomState`; duck-typed: random/ sits above transform/). */
function isRandomState(state: State<StateValue>): boolean {
  return typeof (state as unknown as { splitKey?: unknown }).splitKey === 'function';
}

/**
 * Traces `fn(explicit copies)` per lane. `roleOf(state)` says whether a state is batched
 * (and checks its size); `parent` is the enclosing context (its values are read through),
 * or undefined when vmap runs outside any transform.
 */
export function laneTrace(what: string, fn: (args: tf.Tensor[]) => unknown, explicit: readonly tf.Tensor[],
  roleOf: (state: State<StateValue>, value: StateValue | undefined) => number | null, parent: StateObserver | undefined): LaneTrace {
  const outer = currentListener();
  const recorder = new LaneRecorder(what, outer instanceof Recorder ? outer : undefined, isTracing());
  const states = new Map<State<StateValue>, LaneState>();
  const observer = new ShadowStates({
    firstRead: (state, ctx) => {
      const value = parent !== undefined ? parent.read(state) : state.rawValue();
      const axis = roleOf(state, value);
      const role: StateRole = axis !== null ? { kind: 'batched', axis } : isRandomState(state) ? { kind: 'rng' } : { kind: 'shared' };
      const leaves: number[] = [];
      const copy = mapLeaves(value, (t) => {
        const lane = axis === null ? t as tf.Tensor : laneOf(t as tf.Tensor, axis);
        const c = ctx.keep(copyTensor(lane));
        if (lane !== t) lane.dispose();
        leaves.push(recorder.addArg(c, `state ${state.label()}`));
        return c;
      }, isTensor) as StateValue;
      states.set(state, { state, leaves, outer: value, role });
      return { value: copy, cache: true };
    },
    acceptWrite: (state, value, ctx) => {
      const known = states.get(state);
      const batched = known?.role.kind === 'batched' || (known === undefined && roleOf(state, undefined) !== null);
      if (batched) {
        // A batched state keeps its per-lane shape and dtype (its batch axis is put back after the call).
        const before = valueSignature(ctx.read(state));
        const after = valueSignature(value);
        if (before !== after) {
          throw new StateShapeError(`${what}: state ${state.label()} (${state.kind}) holds ${before} in each lane but ` +
            `the function wrote ${after}; a state batched by inStates keeps its per-lane shape and dtype.`);
        }
      }
      return value;
    },
    created: 'local',
  });
  let outTree: TreeDef = { kind: 'leaf' };
  const outputs: number[] = [];
  const written: { state: State<StateValue>; count: number; tree: TreeDef }[] = [];
  let explicitUploads: boolean[] = [];
  let outsideUploads = false;
  startListening(recorder);
  try {
    duringTrace(() => tf.tidy(() => {
      const copies = explicit.map((t, i) => {
        const c = copyTensor(t);
        recorder.addArg(c, `argument leaf ${i}`);
        recorder.watch(c);
        return c;
      });
      const result = withObserver(observer, () => fn(copies));
      if (result != null && typeof (result as Promise<unknown>).then === 'function') {
        throw new TraceError(`${what}: the function returned a Promise; a vmapped function must be synchronous.`);
      }
      const [leaves, def] = flatten(result, (x) => isTensor(x) || x instanceof State);
      outTree = def;
      leaves.forEach((leaf, j) => {
        if (!isTensor(leaf)) {
          throw new TraceError(`${what}: result leaf ${j} is ${leaf instanceof State ? `a ${leaf.kind}; return state.value`
            : `${typeof leaf} ${String(leaf)}; a vmapped function returns tensors (wrap numbers in tf.scalar)`}.`);
        }
        outputs.push(recorder.valueOf(leaf, `result leaf ${j}`));
      });
      for (const state of observer.written) {
        const [wl, tree] = flatten(observer.current.get(state), isTensor);
        written.push({ state, count: wl.length, tree });
        for (const t of wl as tf.Tensor[]) outputs.push(recorder.valueOf(t, `new value of state ${state.label()}`));
      }
      explicitUploads = copies.map((c) => recorder.uploadedAfterHostRead(c));
    }));
  } catch (e) {
    // As a failed sub-trace does: the constants it recorded belong to no program.
    disposeFailedRecording(recorder);
    throw e;
  } finally {
    stopListening();
    observer.finish(what);
    outsideUploads = recorder.uploadsOutsideData();
    recorder.disposeCopies();
  }
  const numExplicitOut = outputs.length - written.reduce((n, w) => n + w.count, 0);
  const program = programOfRecording(what, recorder, outputs);
  return { program, outTree, numExplicitOut, states: [...states.values()], written, captured: recorder.captured,
    uploads: { outside: outsideUploads, explicit: explicitUploads },
    laneMade: program.constants.filter((c) => recorder.madeHere(c.tensor)).map((c) => c.value) };
}

/** The size of `t` along `axis` (checked to exist), for messages naming `where`. */
export function axisLength(t: tf.Tensor, axis: number, where: string, fnName: string): number {
  if (axis < 0 || axis >= t.rank) {
    throw new BatchAxisError(`${fnName}: ${where} is ${typeString(t)}, which has no axis ${axis} to map over; ` +
      `give an axis in [${-t.rank}, ${t.rank}) or null to pass it to every lane whole.`);
  }
  return t.shape[axis];
}

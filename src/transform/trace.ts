/**
 * Tracing one call: run the function once, for real, while recording every kernel it
 * dispatches and every state it reads or writes, then build the program.
 *
 * State writes go to a shadow map and reach the states only when the whole call has
 * succeeded, so a call that throws leaves every state as it was.
 */
import * as tf from '@tensorflow/tfjs';
import { aliasTensor, copyTensor, startListening, stopListening, unrecorded } from '../backend/tfjs-engine';
import { Program, OutputLeaf, StateWrite, disposeProgram } from '../compiler/ir';
import { passesFor, runPasses } from '../compiler/passes';
import { Recorder } from '../compiler/recorder';
import { StateError, StateShapeError, TraceError } from '../errors';
import { State, StateValue, holderCount } from '../state/state';
import { withObserver } from '../state/stack';
import { ShadowStates } from './shadow';
import { isTensor, tensorLeaves, valueSignature } from '../state/tree';
import { flatten, mapLeaves, unflatten } from '../util/pytree';
import type { CallPlan } from './signature';

/** Names a state in messages and printed programs (its path, when the jit knows the module). */
export type StateLabeler = (s: State<StateValue>) => string;

/**
 * Throws a StateError when a state's value (or a leaf of it) was disposed behind the
 * state's back: a program cannot read it, and tfjs would fail deep inside a kernel.
 */
export function assertLiveState(state: State<StateValue>, fnName: string, label: StateLabeler): void {
  const raw = state.rawValue();
  if (raw instanceof tf.Tensor && !raw.isDisposed) return; // every replay checks: the common case first
  const leaves = tensorLeaves(raw);
  const dead = leaves.findIndex((t) => t.isDisposed);
  if (dead < 0) return;
  const which = leaves.length > 1 ? ` (leaf ${dead} of its value ${valueSignature(raw)})` : '';
  throw new StateError(`jit(${fnName}): expected state ${label(state)} (${state.kind}) to hold a live tensor, but its ` +
    `value${which} was disposed outside the state (tensor.dispose(), tf.dispose or a tf.tidy that did not keep it). ` +
    'A state owns its value and disposes it itself on the next write: assign a new value (state.value = ...) ' +
    'before calling, and tf.clone a state\'s value before disposing a copy of it. No state was changed.');
}

/**
 * The jit's shadow-state context (shadow.ts): a state's first read becomes a program
 * input (a copy, so aliases stay distinct inputs) in a slot of its own, writes become
 * outputs, checked to keep the state's shape and dtype.
 */
class TraceContext {
  /** Signature of each external state touched, at trace time (checked before every replay). */
  readonly touched = new Map<State<StateValue>, string>();
  /** The external states the program reads or writes, by slot (the program holds only the index). */
  readonly slots: State<StateValue>[] = [];
  private readonly slotIndex = new Map<State<StateValue>, number>();
  readonly shadow: ShadowStates;

  constructor(recorder: Recorder, fnName: string, label: StateLabeler) {
    this.shadow = new ShadowStates({
      firstRead: (state, ctx) => {
        assertLiveState(state, fnName, label);
        const raw = state.rawValue();
        let leaf = 0;
        const slot = this.slotOf(state);
        // A copy gives the input its own data id, so aliases (the same tensor passed
        // twice, or also held by another state) stay distinct program inputs. Kept: a loop
        // body traced inside this call has its own tidy scope, and its reads of outer
        // states must survive it.
        const copy = mapLeaves(raw, (t) => {
          const c = ctx.keep(copyTensor(t as tf.Tensor));
          recorder.addInput(c, { kind: 'state', slot, leaf }, `state ${label(state)}`, (t as tf.Tensor).dataId);
          leaf++;
          return c;
        }, isTensor) as StateValue;
        this.touched.set(state, valueSignature(raw));
        return { value: copy, cache: true };
      },
      acceptWrite: (state, value) => {
        const before = valueSignature(state.rawValue());
        const after = valueSignature(value);
        if (before !== after) {
          throw new StateShapeError(`jit(${fnName}): state ${label(state)} (${state.kind}) holds ${before} ` +
            `but the traced call wrote ${after}; inside a jitted call a state keeps its shape and dtype. Cast or ` +
            'reshape the new value, or change the state outside the jitted function (which then retraces).');
        }
        if (!this.touched.has(state)) this.touched.set(state, before);
        this.slotOf(state);
        return value;
      },
      created: 'local',
    });
  }

  /** The slot of `state` in the program, assigned at its first read or write. */
  slotOf(state: State<StateValue>): number {
    let k = this.slotIndex.get(state);
    if (k === undefined) {
      k = this.slots.length;
      this.slots.push(state);
      this.slotIndex.set(state, k);
    }
    return k;
  }
}

/** A traced, optimised program plus what the cache needs to decide when it may replay it. */
export interface Traced {
  readonly program: Program;
  /** The states behind the program's slots (`slots[k]` is slot k). */
  readonly slots: readonly State<StateValue>[];
  /** External states the program reads or writes, with their signatures at trace time. */
  readonly states: ReadonlyMap<State<StateValue>, string>;
}

/** What a trace hands back: the program, and the call's results if `commit` was asked for. */
export interface TraceResult {
  readonly traced: Traced;
  readonly result: unknown;
}

let tracing = 0;

/** True while some jitted function is being traced (nested jitted calls then inline). */
export function isTracing(): boolean {
  return tracing > 0;
}

let tracingWithoutResults = 0;

/**
 * True while a trace runs whose results are discarded (`lower`, `callAsync`'s first call, a
 * first call on webgpu, which then runs the program it traced; a loop body's or branch's
 * trace, {@link discardingResults}): a loop's progress bar stays quiet there, since the
 * program's own run reports every step.
 */
export function isTracingWithoutResults(): boolean {
  return tracingWithoutResults > 0;
}

/**
 * Runs `fn` as a trace whose results are discarded ({@link isTracingWithoutResults} is true
 * inside): a loop body's or branch's trace, which the enclosing program then runs.
 */
export function discardingResults<R>(fn: () => R): R {
  tracingWithoutResults++;
  try {
    return fn();
  } finally {
    tracingWithoutResults--;
  }
}

/** Runs `fn` as part of a trace (`isTracing()` is true inside): vmap records its per-lane program so. */
export function duringTrace<R>(fn: () => R): R {
  tracing++;
  try {
    return fn();
  } finally {
    tracing--;
  }
}

/**
 * Traces `fn` on the call described by `plan`. With `commit`, the real results are
 * returned and state writes applied (the first call of a signature); without, the
 * results are discarded and no state changes (`compile`, `lower`).
 */
export function traceCall(fnName: string, fn: (...args: unknown[]) => unknown, thisArg: unknown, plan: CallPlan,
  label: StateLabeler, commit: boolean): TraceResult {
  const recorder = new Recorder(fnName);
  const context = new TraceContext(recorder, fnName, label);
  const observer = context.shadow;
  let outLeaves: OutputLeaf[] = [];
  let outTree: ReturnType<typeof flatten>[1] | undefined;
  let writes: StateWrite[] = [];
  let kept: { outputs: (tf.Tensor | undefined)[]; writes: tf.Tensor[][] };
  tracing++;
  if (!commit) tracingWithoutResults++;
  try {
    startListening(recorder);
    kept = tf.tidy(() => {
      const copies = plan.leaves.map((t, i) => {
        const c = copyTensor(t);
        recorder.addInput(c, { kind: 'arg', leaf: i }, `argument leaf ${i}`, t.dataId);
        return c;
      });
      const args = plan.rebuild(copies);
      const result = withObserver(observer, () => fn.apply(thisArg, args));
      if (result != null && typeof (result as Promise<unknown>).then === 'function') {
        throw new TraceError(`jit(${fnName}): the function returned a Promise; jitted functions must be ` +
          'synchronous (tfjs kernels are synchronous; read values after the call instead of awaiting inside).');
      }
      const [leaves, def] = flatten(result, (x) => isTensor(x) || x instanceof State);
      outTree = def;
      const outputs: (tf.Tensor | undefined)[] = [];
      outLeaves = leaves.map((leaf, j) => {
        if (leaf instanceof State) {
          throw new TraceError(`jit(${fnName}): the result (leaf ${j}) is a ${leaf.kind}; return state.value instead.`);
        }
        if (isTensor(leaf)) {
          // The caller owns what a jitted call returns: never a state's own tensor object.
          outputs.push(unrecorded(() => aliasTensor(leaf)));
          return { kind: 'value', value: recorder.valueOf(leaf, `result leaf ${j}`) };
        }
        outputs.push(undefined);
        return { kind: 'static', value: leaf };
      });
      const written: tf.Tensor[][] = [];
      writes = observer.written.map((state) => {
        const [wl, tree] = flatten(observer.current.get(state), isTensor);
        written.push(wl as tf.Tensor[]);
        return { slot: context.slotOf(state), tree,
          values: (wl as tf.Tensor[]).map((t) => recorder.valueOf(t, `new value of state ${label(state)}`)) };
      });
      return { outputs, writes: written } as unknown as tf.TensorContainer;
    }) as unknown as { outputs: (tf.Tensor | undefined)[]; writes: tf.Tensor[][] };
  } catch (e) {
    disposeProgram({ name: fnName, values: [], inputs: [], constants: recorder.constants, nodes: recorder.nodes,
      outputTree: { kind: 'leaf' }, outputs: [], writes: [] });
    observer.finish(fnName);
    throw e;
  } finally {
    stopListening();
    tracing--;
    if (!commit) tracingWithoutResults--;
  }

  let result: unknown;
  if (commit) {
    writes.forEach((w, i) => context.slots[w.slot].setRaw(unflatten(w.tree, kept.writes[i]) as StateValue));
    let k = 0;
    result = unflatten(outTree!, outLeaves.map((o) => (o.kind === 'value' ? kept.outputs[k++] : (k++, o.value))));
  } else {
    for (const t of kept.outputs) t?.dispose();
    for (const ws of kept.writes) for (const t of ws) if (!t.isDisposed && holderCount(t) === 0) t.dispose();
  }
  // After the commit: a copy written back to a state is held by it and survives.
  observer.finish(fnName);

  const raw: Program = {
    name: fnName,
    values: recorder.values,
    inputs: recorder.inputs,
    constants: recorder.constants,
    nodes: recorder.nodes,
    outputTree: outTree!,
    outputs: outLeaves,
    writes,
  };
  return { traced: { program: runPasses(raw, passesFor(tf.getBackend())), slots: context.slots, states: context.touched },
    result };
}

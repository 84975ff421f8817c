/**
 * Tracing a function nested in a traced call (a loop body, a loop condition, a branch)
 * into a program of its own.
 *
 * Inside, reads of outer states become arguments of the sub-program (their outer traced
 * values are kept to feed the control node), writes become extra results; nothing
 * reaches the outer trace until the control node is recorded and its results written.
 */
import * as tf from '@tensorflow/tfjs';
import { copyTensor, currentListener, startListening, stopListening } from '../backend/tfjs-engine';
import type { Program } from '../compiler/ir';
import { passesFor, runPasses } from '../compiler/passes';
import { Recorder } from '../compiler/recorder';
import { StateShapeError, TraceError, InternalError } from '../errors';
import { holderCount, State, StateValue } from '../state/state';
import { currentObserver, StateObserver, withObserver } from '../state/stack';
import { CopyReadingRecorder } from './copy-reads';
import { ShadowStates } from './shadow';
import { discardingResults } from './trace';
import { isTensor, tensorLeaves, valueSignature } from '../state/tree';
import { flatten, mapLeaves, TreeDef } from '../util/pytree';

/** An outer state the sub-program reads: its argument leaves and its outer traced value. */
export interface StateArg {
  readonly state: State<StateValue>;
  readonly leaves: readonly number[];
  readonly outer: StateValue;
}

/** A traced sub-program and how its arguments and results relate to the outer trace. */
export interface SubTrace {
  /** Arguments: the explicit leaves, then state leaves; results: explicit, then written states' leaves. */
  readonly program: Program;
  readonly outTree: TreeDef;
  readonly numExplicitOut: number;
  readonly stateArgs: readonly StateArg[];
  /** Written states, in result order, each with its number of leaves and value tree. */
  readonly written: readonly { state: State<StateValue>; count: number; tree: TreeDef }[];
  /**
   * Outer tensors the function captured: extra arguments fed with these tensors. Traced
   * values, and with `captureHostData` small host constants of the enclosing trace
   * (`hostData`: not differentiated, as eager's tape does not).
   */
  readonly captured: readonly { tensor: tf.Tensor; leaf: number; hostData?: boolean }[];
}

/**
 * A sub-trace's shadow-state context (shadow.ts): a first read of an outer state becomes
 * sub-program arguments (a copy of the enclosing context's value), writes become extra
 * results, carried from step to step with the state's shape and dtype.
 */
function subContext(recorder: Recorder, parent: StateObserver, what: string, forbidWrites: boolean):
  { shadow: ShadowStates; args: Map<State<StateValue>, StateArg> } {
  const args = new Map<State<StateValue>, StateArg>();
  const shadow = new ShadowStates({
    firstRead: (state, ctx) => {
      const outer = parent.read(state);
      const leaves: number[] = [];
      // Copies kept past this sub-trace's scope: an enclosing sub-trace may read them.
      const copy = mapLeaves(outer, (t) => {
        const c = ctx.keep(copyTensor(t as tf.Tensor));
        leaves.push(recorder.addArg(c, `state ${state.label()}`));
        return c;
      }, isTensor) as StateValue;
      args.set(state, { state, leaves, outer });
      return { value: copy, cache: true };
    },
    acceptWrite: (state, value, ctx) => {
      if (forbidWrites) {
        throw new TraceError(`${what}: the function wrote state ${state.label()}; a loop condition only reads ` +
          'states. Move the write into the loop body.');
      }
      const before = valueSignature(ctx.read(state)); // a written state is carried: read its value in
      const after = valueSignature(value);
      if (before !== after) {
        throw new StateShapeError(`${what}: state ${state.label()} (${state.kind}) holds ${before} but the body ` +
          `wrote ${after}; a state keeps its shape and dtype from step to step. Cast or reshape the new value.`);
      }
      return value;
    },
    created: 'local',
  });
  return { shadow, args };
}

/**
 * The program a finished recording makes, with `outputs` (recorded value ids) as its flat
 * results and no state writes (the caller's node carries them): shared by sub-traces and
 * vmap's lane trace.
 */
export function programOfRecording(what: string, recorder: Recorder, outputs: readonly number[]): Program {
  return {
    name: what,
    values: recorder.values,
    inputs: recorder.inputs,
    constants: recorder.constants,
    nodes: recorder.nodes,
    outputTree: { kind: 'array', children: outputs.map(() => ({ kind: 'leaf' as const })) },
    outputs: outputs.map((value) => ({ kind: 'value' as const, value })),
    writes: [],
  };
}

/** Frees what a recording that failed made (its constants, its nodes' folded tensors): no program will own them. */
export function disposeFailedRecording(recorder: Recorder): void {
  for (const c of recorder.constants) if (!c.tensor.isDisposed) c.tensor.dispose();
  for (const n of recorder.nodes) for (const t of n.folded ?? []) if (!t.isDisposed) t.dispose();
}

/**
 * Traces `fn(...rebuild(explicit))` into a sub-program. `explicit` are real tensors
 * standing for the explicit arguments (carry leaves, a row of each x); the function
 * runs once for real on copies of them, and nothing it computes survives. `standIns`: the
 * recorder is a {@link CopyReadingRecorder}, on which `fn` sets stand-ins for outer tensors.
 */
export function subTrace(what: string, fn: (args: tf.Tensor[]) => unknown, explicit: readonly tf.Tensor[],
  opts: { forbidWrites?: boolean; captureHostData?: boolean; standIns?: boolean } = {}): SubTrace {
  const parent = currentObserver();
  if (parent === undefined) throw new InternalError(`${what} traced outside a trace`);
  const outer = currentListener();
  const enclosing = outer instanceof Recorder ? outer : undefined;
  const recorder = opts.standIns === true ? new CopyReadingRecorder(what, enclosing, opts.captureHostData === true)
    : new Recorder(what, enclosing, opts.captureHostData === true);
  const { shadow: observer, args: stateArgs } = subContext(recorder, parent, what, opts.forbidWrites === true);
  let outTree: TreeDef = { kind: 'leaf' };
  const outputs: number[] = [];
  const written: { state: State<StateValue>; count: number; tree: TreeDef }[] = [];
  startListening(recorder);
  try {
    tf.tidy(() => {
      const copies = explicit.map((t, i) => {
        const c = copyTensor(t);
        recorder.addArg(c, `argument leaf ${i}`);
        return c;
      });
      // A nested loop's progress bar stays quiet here: the enclosing node's run reports its steps.
      const result = discardingResults(() => withObserver(observer, () => fn(copies)));
      const [leaves, def] = flatten(result, (x) => isTensor(x) || x instanceof State);
      outTree = def;
      leaves.forEach((leaf, j) => {
        if (!isTensor(leaf)) {
          throw new TraceError(`${what}: result leaf ${j} is ${leaf instanceof State ? `a ${leaf.kind}; return state.value`
            : `${typeof leaf} ${String(leaf)}; a traced loop body or branch returns tensors only`}.`);
        }
        outputs.push(recorder.valueOf(leaf, `result leaf ${j}`));
      });
      for (const state of observer.written) {
        const [wl, tree] = flatten(observer.current.get(state), isTensor);
        written.push({ state, count: wl.length, tree });
        for (const t of wl as tf.Tensor[]) outputs.push(recorder.valueOf(t, `new value of state ${state.label()}`));
      }
    });
  } catch (e) {
    disposeFailedRecording(recorder);
    throw e;
  } finally {
    stopListening();
    observer.finish(what);
  }
  const numExplicitOut = outputs.length - written.reduce((n, w) => n + w.count, 0);
  const raw = programOfRecording(what, recorder, outputs);
  return {
    program: runPasses(raw, passesFor(tf.getBackend())),
    outTree,
    numExplicitOut,
    stateArgs: [...stateArgs.values()],
    written,
    captured: recorder.captured,
  };
}

/**
 * Helpers shared by the control-flow transforms: running a control node for real while
 * tracing, and taking trees apart.
 */
import * as tf from '@tensorflow/tfjs';
import { currentBackend, currentListener, isOnDevice, placeOnDevice, tensorFromInfo, TensorInfo, unrecorded } from '../backend/tfjs-engine';
import { controlNodeKernel } from '../compiler/executable';
import { controlAwaits, controlResultTypes } from '../compiler/control-async';
import type { ControlSpec } from '../compiler/ir';
import { Recorder } from '../compiler/recorder';
import { TraceError, InternalError } from '../errors';
import type { State, StateValue } from '../state/state';
import type { StateObserver } from '../state/stack';
import { isTensor, tensorLeaves } from '../state/tree';
import { flatten, TreeDef, treeDefKey, unflatten } from '../util/pytree';
import { typeString } from '../util/type-string';
import type { SubTrace } from './subtrace';

/** Tensor leaves of `tree` (numbers become float32 scalars) and its structure. */
export function tensorTree(tree: unknown, what: string): [tf.Tensor[], TreeDef] {
  const [leaves, def] = flatten(tree, isTensor);
  return [leaves.map((l, i) => {
    if (isTensor(l)) return l;
    if (typeof l === 'number') return tf.scalar(l);
    throw new TraceError(`${what}: leaf ${i} is ${typeof l} ${String(l)}; expected tensors (or numbers).`);
  }), def];
}

/** The shape and dtype of a carry leaf. */
export interface LeafType {
  readonly dtype: string;
  readonly shape: readonly number[];
}

/** A carry leaf's type as the traced loops see it: a number is a float32 scalar (see {@link tensorTree}). */
function leafType(l: unknown): LeafType | undefined {
  if (isTensor(l)) return l;
  return typeof l === 'number' ? { dtype: 'float32', shape: [] } : undefined;
}

/**
 * Throws when a loop body's new carry differs from `init` in structure (`got`: its tree, or
 * what the body returned instead), shape or dtype: the one check of the traced loops and the
 * eager ones (leaves of no type, not tensors or numbers, are not compared). `what` is `scan`
 * or `whileLoop`.
 */
export function checkCarry(what: 'scan' | 'whileLoop', initDef: TreeDef, initTypes: readonly (LeafType | undefined)[],
  got: TreeDef | string, gotTypes: readonly (LeafType | undefined)[]): void {
  const gotKey = typeof got === 'string' ? got : treeDefKey(got);
  if (gotKey !== treeDefKey(initDef)) {
    throw new TraceError(`${what}: the new carry must have the structure of init (${treeDefKey(initDef)}); got ${gotKey}.`);
  }
  initTypes.forEach((a, k) => {
    const b = gotTypes[k];
    if (a !== undefined && b !== undefined && (a.dtype !== b.dtype || a.shape.join() !== b.shape.join())) {
      throw new TraceError(`${what}: carry leaf ${k} is ${typeString(a)} but the body returned ${typeString(b)}; ` +
        'a carry keeps its shape and dtype from step to step.');
    }
  });
}

/**
 * {@link checkCarry} of an eager step: a loop body that runs eagerly must also trace under
 * jit, and JAX's `lax.scan` / `while_loop` reject such a body eagerly too.
 */
export function checkEagerCarry(what: 'scan' | 'whileLoop', init: unknown, next: unknown): void {
  const [initLeaves, initDef] = flatten(init, isTensor);
  const [nextLeaves, nextDef] = flatten(next, isTensor);
  checkCarry(what, initDef, initLeaves.map(leafType), nextDef, nextLeaves.map(leafType));
}

/** Row `i` of `x` along its leading axis. */
export function rowOf(x: tf.Tensor, i: number): tf.Tensor {
  return tf.tidy(() => tf.squeeze(tf.slice(x, [i, ...x.shape.slice(1).map(() => 0)], [1, ...x.shape.slice(1)]), [0]));
}

/** The leading length shared by every leaf of `xs`, or an error naming the mismatch. */
export function leadingLength(xs: readonly tf.Tensor[], what: string, given?: number): number {
  if (xs.length === 0) {
    if (given === undefined) throw new TraceError(`${what}: no xs to loop over; pass { length } to loop a fixed number of times.`);
    return given;
  }
  const lens = xs.map((x) => (x.rank === 0 ? -1 : x.shape[0]));
  if (lens.some((n) => n < 0)) throw new TraceError(`${what}: xs leaves must have a leading axis; got a scalar.`);
  if (lens.some((n) => n !== lens[0]) || (given !== undefined && given !== lens[0])) {
    throw new TraceError(`${what}: every xs leaf must have the same leading length` +
      `${given !== undefined ? ` (length ${given})` : ''}; got ${lens.join(', ')}.`);
  }
  return lens[0];
}

/** The recorder of the enclosing trace. */
export function enclosingRecorder(what: string): Recorder {
  const r = currentListener();
  if (!(r instanceof Recorder)) throw new InternalError(`${what} traced without a recorder`);
  return r;
}

/** Depth of {@link withPlaceholderControl}. */
let placeholderControl = 0;

/**
 * Runs `fn` (a trace whose results are discarded) with control nodes that may read a
 * predicate recorded but not run: each gives zeros of its result types instead. A trace for
 * `jitted.callAsync` uses this, as running a loop or branch would read its predicate
 * synchronously; the program it records then runs awaiting its predicates. Traced code
 * cannot see the zeros' values: reads of traced values are rejected while tracing. A node
 * that reads no predicate on the device (a scan, a branch on host data) still runs, as in a
 * plain call's trace (see {@link runAndRecord}).
 */
export function withPlaceholderControl<R>(fn: () => R): R {
  placeholderControl++;
  try {
    return fn();
  } finally {
    placeholderControl--;
  }
}

/**
 * Whether running `spec` on `inputs` may have to wait for a predicate on the device: a scan whose body holds no
 * loop or branch reads nothing, and a branch whose index is host data reads it at once, unless a branch holds a
 * loop or branch of its own. A while loop's predicates are not known before it runs.
 */
function mayWait(spec: ControlSpec, inputs: readonly tf.Tensor[]): boolean {
  if (!controlAwaits(spec)) return false;
  if (spec.kind !== 'cond' || isOnDevice(inputs[0])) return true;
  return spec.branches.some((b) => b.nodes.some((n) => n.control !== undefined && controlAwaits(n.control)));
}

/**
 * Runs a control node on real tensors (the first, tracing call must return real
 * results), records it in the enclosing program, and returns its results as tensors.
 */
export function runAndRecord(kernel: string, spec: ControlSpec, inputs: readonly tf.Tensor[], what: string): tf.Tensor[] {
  const recorder = enclosingRecorder(what);
  // A node that reads no predicate on the device runs for real: its results are then placed as eager's are, and so
  // are the traced kernels after it (fuzz seed 1260597: a dead rank-5 `tf.broadcastTo` of a scan's small int32 ys,
  // which tfjs-webgpu tiles on its CPU kernel, read the placeholder ys on the GPU synchronously and threw, where
  // eager's ys, stacked from host rows, stay host data).
  if (placeholderControl > 0 && mayWait(spec, inputs)) {
    // A trace for an awaiting call (jitted.callAsync): the results only need their types here.
    // On the device: small host zeros would send later kernels of the trace to tfjs-webgpu's CPU
    // forms, whose Prod ignores keepDims (a wrong shape, then a failing broadcast: fuzz seed 439).
    const types = controlResultTypes(spec, inputs.map((t) => ({ shape: t.shape, dtype: t.dtype })));
    return recorder.recordControl(kernel, spec, inputs,
      unrecorded(() => types.map((t) => placeOnDevice(tf.zeros([...t.shape], t.dtype)))));
  }
  const run = controlNodeKernel(spec, tf.getBackend());
  const infos = run({ inputs: inputs as unknown as TensorInfo[], backend: currentBackend(), attrs: {} }) as TensorInfo[];
  return recorder.recordControl(kernel, spec, inputs, infos.map(tensorFromInfo));
}

/** The outer tensors feeding a sub-trace's state arguments, by state, in `states` order. */
export function outerLeaves(sub: SubTrace, states: readonly State<StateValue>[]): tf.Tensor[] {
  return states.flatMap((s) => tensorLeaves(sub.stateArgs.find((a) => a.state === s)!.outer));
}

/** Writes the final values of `sub`'s written states to the enclosing observer. */
export function writeBack(parent: StateObserver, sub: SubTrace, finals: readonly tf.Tensor[]): void {
  let k = 0;
  for (const w of sub.written) {
    parent.write(w.state, unflatten(w.tree, finals.slice(k, k + w.count)) as StateValue);
    k += w.count;
  }
}

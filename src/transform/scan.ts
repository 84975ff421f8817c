/**
 * `transform.scan` and `transform.forLoop`: loop a function over the leading axis of
 * its inputs, carrying values (and states) from step to step and stacking the outputs.
 *
 * Eagerly they loop in JS. Under jit the body is traced once into a sub-program and the
 * compiled program runs it `length` times inside one call.
 */
import * as tf from '@tensorflow/tfjs';
import { unrecorded } from '../backend/tfjs-engine';
import { disposeProgram, ScanSpec } from '../compiler/ir';
import { TraceError } from '../errors';
import { currentObserver } from '../state/stack';
import { isPlainObject, isTensor } from '../state/tree';
import { flatten, mapLeaves, TreeDef, unflatten } from '../util/pytree';
import { checkCarry, checkEagerCarry, leadingLength, outerLeaves, rowOf, runAndRecord, tensorTree, writeBack } from './loop-util';
import { ProgressReporter, toReporter } from './progress';
import { evalShape } from './eval-shape';
import { needsLoopOptions, scanWithOptions } from './scan-options';
import { subTrace } from './subtrace';
import { isTracing, isTracingWithoutResults } from './trace';
import { isTapeOn } from '../backend/tfjs-engine';
import { differentiableScan } from './scan-grad';

/** Options of {@link scan} and {@link forLoop}. */
export interface LoopOptions {
  /** A progress bar: a reporter, or a number of steps per tick (draws a bar on stderr). */
  pbar?: ProgressReporter | number;
  /** The number of steps, when there are no xs to loop over. */
  length?: number;
  /**
   * Run the steps from the last row to the first (JAX's `reverse`); the ys stay aligned
   * with the xs (y[i] comes from x[i]).
   */
  reverse?: boolean;
  /**
   * Under jit, trace this many steps into each iteration of the compiled loop (`true`:
   * every step); JAX's `unroll`. Changes how the loop runs, never its result. A speed
   * knob to measure, as in JAX: the k steps fuse into one kernel, but the xs and ys are
   * regrouped by step outside the loop. Measured (1,000 steps of a leaky integrator, wasm,
   * shared machine): 64 units 1.4-1.6x faster with unroll 4; 1,000 units 0.6x; on cpu slower.
   */
  unroll?: number | boolean;
}

const LOOP_OPTION_KEYS = ['pbar', 'length', 'reverse', 'unroll'];

function isLoopOptions(x: unknown): x is LoopOptions {
  return isPlainObject(x) && Object.keys(x).length > 0 &&
    Object.keys(x).every((k) => LOOP_OPTION_KEYS.includes(k)) && !Object.values(x).some(isTensor);
}

/**
 * Scans `fn` over the leading axis of `xs`: `fn(carry, x) → [carry, y]`, returning the
 * final carry and the ys stacked along a new leading axis. States `fn` writes are
 * carried from step to step. A `y` of `undefined` gives `undefined` ys. With zero steps
 * the carry is `init` and the ys are empty (leading axis 0, shapes from the body, which is
 * run once on zeros in a sandbox that keeps no state write), as in JAX, eagerly and jitted.
 * `{ reverse: true }` runs the steps last to first (ys stay aligned with xs); `{ unroll: k }`
 * traces k steps per compiled iteration under jit (same result), both as JAX's `lax.scan`.
 * The carry keeps its structure, shapes and dtypes from step to step, eagerly as under jit
 * (as JAX's): a body that changes one is a `TraceError` naming the leaf.
 *
 * @example
 * ```ts
 * const [total, running] = bst.transform.scan(
 *   (acc: tf.Tensor, x: tf.Tensor) => { const s = tf.add(acc, x); return [s, s]; },
 *   tf.scalar(0), tf.tensor1d([1, 2, 3]));
 * // total = 6, running = [1, 3, 6]
 * const [, fromEnd] = bst.transform.scan(
 *   (acc: tf.Tensor, x: tf.Tensor) => { const s = tf.add(acc, x); return [s, s]; },
 *   tf.scalar(0), tf.tensor1d([1, 2, 3]), { reverse: true, unroll: 2 });
 * // fromEnd = [6, 5, 3]
 * ```
 * @see forLoop
 */
export function scan<C, X, Y>(fn: (carry: C, x: X) => [C, Y], init: C, xs: X, opts: LoopOptions = {}): [C, Y] {
  if (needsLoopOptions(opts)) return scanWithOptions(scan, fn, init, xs, opts);
  const [xLeaves, xDef] = tensorTree(xs, 'scan: xs');
  const length = leadingLength(xLeaves, 'scan', opts.length);
  const reporter = toReporter(opts.pbar);
  // Under jit one traced body; under a gradient tape too (scan-grad.ts: a reverse scan over its VJP).
  return isTracing() ? tracedScan(fn, init, xLeaves, xDef, length, reporter) : eagerScan(fn, init, xLeaves, xDef, length, reporter);
}

/** A row of zeros of `x` (the shape and dtype of one step's slice), to trace or probe a body on. */
function zeroRow(x: tf.Tensor): tf.Tensor {
  return tf.zeros(x.shape.slice(1), x.dtype);
}

/** The ys of zero steps: for each y leaf of the body, an empty tensor with a leading axis of 0 (as JAX). */
function emptyYs(def: TreeDef, types: readonly { shape: readonly number[]; dtype: tf.DataType }[]): unknown {
  return unflatten(def, types.map((t) => tf.zeros([0, ...t.shape], t.dtype)));
}

function checkPair(r: unknown): void {
  if (!Array.isArray(r) || r.length !== 2) {
    throw new TraceError('scan: the function must return [carry, y]; got ' + (Array.isArray(r) ? `${r.length} items` : typeof r) + '.');
  }
}

function eagerScan<C, X, Y>(fn: (carry: C, x: X) => [C, Y], init: C, xLeaves: tf.Tensor[], xDef: TreeDef, length: number,
  reporter: ProgressReporter | undefined): [C, Y] {
  if (length === 0) {
    // No step runs, but the ys still have the body's shapes: probe it once, with no effect.
    const y = evalShape(() => {
      const r = fn(init, unflatten(xDef, xLeaves.map(zeroRow)) as X);
      checkPair(r);
      return r[1];
    }, 'scan');
    return [init, emptyYs(y.def, y.leaves) as Y];
  }
  // Tensors the caller owns (init) or that are kept as outputs (ys) must outlive the carry.
  const keep = new Set(flatten(init, isTensor)[0]);
  let carry = init;
  const ys: tf.Tensor[][] = [];
  let yDef: TreeDef | undefined;
  const every = reporter?.every ?? 1;
  // Tensors the loop made and owns so far, freed if a step throws.
  const owned = (): tf.Tensor[] => [...(flatten(carry, isTensor)[0] as tf.Tensor[]).filter((t) => !keep.has(t)), ...ys.flat()];
  try {
    for (let i = 0; i < length; i++) {
      const out = tf.tidy(() => {
        const x = unflatten(xDef, xLeaves.map((t) => rowOf(t, i))) as X;
        const r = fn(carry, x);
        checkPair(r);
        checkEagerCarry('scan', init, r[0]);
        // The loop disposes old carries and stacked ys, so it must own every tensor it keeps: the
        // body may return a state's value (disposed by the state's next write), a tensor from outside
        // the loop, or the same tensor twice. A clone shares the data (no copy) under its own handle.
        return mapLeaves(r, (t) => (isTensor(t) ? tf.clone(t) : t), isTensor) as tf.TensorContainer;
      }) as unknown as [C, Y];
      const next = new Set(flatten(out, isTensor)[0]);
      const [yl, yd] = flatten(out[1], isTensor);
      for (const t of yl) keep.add(t);
      for (const t of flatten(carry, isTensor)[0] as tf.Tensor[]) if (!keep.has(t) && !next.has(t)) t.dispose();
      carry = out[0];
      yDef = yd;
      yl.forEach((t, j) => (ys[j] ??= []).push(t as tf.Tensor));
      if (reporter !== undefined && ((i + 1) % every === 0 || i + 1 === length)) reporter.tick(i + 1, length);
    }
  } catch (e) {
    new Set(owned()).forEach((t) => t.dispose());
    throw e;
  }
  const carried = new Set(flatten(carry, isTensor)[0]);
  const stacked = ys.map((list) => {
    const s = tf.stack(list);
    list.forEach((t) => { if (!carried.has(t)) t.dispose(); });
    return s;
  });
  return [carry, unflatten(yDef!, stacked) as Y];
}

function tracedScan<C, X, Y>(fn: (carry: C, x: X) => [C, Y], init: C, xLeaves: tf.Tensor[], xDef: TreeDef, length: number,
  reporter: ProgressReporter | undefined): [C, Y] {
  const parent = currentObserver()!;
  const [carryLeaves, carryDef] = tensorTree(init, 'scan: init');
  const nC = carryLeaves.length;
  // The body is traced on step 0's rows (on rows of zeros of that shape when there are no steps).
  const row0 = unrecorded(() => xLeaves.map((x) => tf.keep(length > 0 ? rowOf(x, 0) : zeroRow(x))));
  let sub;
  try {
    sub = subTrace('scan body', (args) => {
      const carry = unflatten(carryDef, args.slice(0, nC)) as C;
      const x = unflatten(xDef, args.slice(nC)) as X;
      const r = fn(carry, x);
      checkPair(r);
      return r;
    }, [...carryLeaves, ...row0], { captureHostData: true });
  } finally {
    row0.forEach((t) => t.dispose());
  }
  const out = sub.outTree;
  const p = sub.program;
  try {
    const pair = out.kind === 'array' && out.children.length === 2;
    checkCarry('scan', carryDef, carryLeaves, pair ? out.children[0] : 'no [carry, y] pair',
      p.outputs.slice(0, nC).map((o) => p.values[(o as { value: number }).value]));
  } catch (e) {
    // No node will own the body program: its constants (tensors the body made) go with it.
    disposeProgram(p);
    throw e;
  }
  const nY = sub.numExplicitOut - nC;
  const children = (out as { children: readonly TreeDef[] }).children;
  if (length === 0) {
    // Zero steps: the carry and every state stay as they are; the ys are empty (recorded as constants).
    const yTypes = p.outputs.slice(nC, nC + nY).map((o) => p.values[(o as { value: number }).value]);
    disposeProgram(p);
    return [unflatten(carryDef, carryLeaves) as C, emptyYs(children[1], yTypes) as Y];
  }
  const written = sub.written.map((w) => w.state);
  const invariant = sub.stateArgs.filter((a) => !written.includes(a.state));
  // Body results reordered to [carry..., written states..., ys...].
  const explicitOut = p.outputs.slice(0, sub.numExplicitOut);
  const stateOut = p.outputs.slice(sub.numExplicitOut);
  const body = { ...p, outputs: [...explicitOut.slice(0, nC), ...stateOut, ...explicitOut.slice(nC)] };
  const spec: ScanSpec = {
    kind: 'scan',
    body,
    length,
    carryArgs: [...carryLeaves.map((_, k) => k), ...written.flatMap((s) => sub.stateArgs.find((a) => a.state === s)!.leaves)],
    xArgs: xLeaves.map((_, k) => nC + k),
    invariantArgs: [...invariant.flatMap((a) => a.leaves), ...sub.captured.map((c) => c.leaf)],
    numYs: nY,
    // Quiet in a trace whose results are discarded: the program's run then reports the steps.
    progress: reporter === undefined ? undefined : { every: reporter.every ?? 1,
      tick: (s, t) => { if (!isTracingWithoutResults()) reporter.tick(s, t); } },
  };
  const inputs = [...carryLeaves, ...outerLeaves(sub, written), ...xLeaves,
    ...outerLeaves(sub, invariant.map((a) => a.state)), ...sub.captured.map((c) => c.tensor)];
  const results = isTapeOn()
    ? differentiableScan({ sub, spec, inputs, nC, nS: stateOut.length, nX: xLeaves.length, nY, written,
      invariant: invariant.map((a) => a.state), step: (c, rows) => fn(unflatten(carryDef, c) as C, unflatten(xDef, rows) as X) })
    : runAndRecord('Scan', spec, inputs, 'scan');
  const nS = stateOut.length;
  writeBack(parent, sub, results.slice(nC, nC + nS));
  return [unflatten(carryDef, results.slice(0, nC)) as C, unflatten(children[1], results.slice(nC + nS, nC + nS + nY)) as Y];
}

/**
 * Runs `fn` once per row of `xs` (all sliced along their leading axis) and stacks what
 * it returns. States written inside are carried from step to step; under jit the whole
 * loop is one compiled call. A last argument of options (`{ pbar, reverse, unroll, length }`,
 * as {@link scan}) is taken as such. A body that
 * returns nothing (only writes states) makes `forLoop` return `undefined`; zero steps
 * give empty stacked outputs (see {@link scan}).
 *
 * @example
 * ```ts
 * const v = new bst.HiddenState(tf.scalar(0));
 * const trace = bst.transform.forLoop((i: tf.Tensor) => { v.value = tf.add(v.value, i); return v.value; },
 *   tf.tensor1d([1, 2, 3]));
 * // trace = [1, 3, 6], v = 6
 * ```
 * @see scan
 */
export function forLoop<Y>(fn: (...xs: tf.Tensor[]) => Y, ...xsAndOptions: (tf.Tensor | LoopOptions | unknown)[]): Y {
  const last = xsAndOptions[xsAndOptions.length - 1];
  const opts = isLoopOptions(last) ? last : {};
  const xs = isLoopOptions(last) ? xsAndOptions.slice(0, -1) : xsAndOptions;
  const [, ys] = scan((carry: never[], x: unknown[]) => [carry, fn(...(x as tf.Tensor[]))], [] as never[], xs, opts);
  return ys;
}

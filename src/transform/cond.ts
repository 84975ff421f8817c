/**
 * `transform.cond`: run one of two functions depending on a boolean scalar. Eagerly the
 * predicate is read and one branch runs; under jit both branches are traced and the
 * compiled program picks one at run time.
 */
import * as tf from '@tensorflow/tfjs';
import { isTapeOn } from '../backend/tfjs-engine';
import type { Program, ValueType } from '../compiler/ir';
import { TraceError } from '../errors';
import type { State, StateValue } from '../state/state';
import { currentObserver } from '../state/stack';
import { isTensor, tensorLeaves } from '../state/tree';
import { treeDefKey, unflatten } from '../util/pytree';
import { runAndRecord, tensorTree } from './loop-util';
import { SubTrace, subTrace } from './subtrace';
import { isTracing } from './trace';
import { typeString } from '../util/type-string';

/**
 * `trueFn(...operands)` if `pred` is true, else `falseFn(...operands)`. Both must
 * return the same structure of tensors (same shapes and dtypes), or both nothing
 * (`undefined`, then so is the result); either may write states.
 *
 * @example
 * ```ts
 * const y = bst.transform.cond(tf.scalar(true, 'bool'), (x: tf.Tensor) => tf.neg(x), (x: tf.Tensor) => x, tf.scalar(2));
 * // y = -2
 * ```
 */
export function cond<R>(pred: tf.Tensor | boolean, trueFn: (...ops: tf.Tensor[]) => R, falseFn: (...ops: tf.Tensor[]) => R,
  ...operands: tf.Tensor[]): R {
  if (typeof pred === 'boolean') return (pred ? trueFn : falseFn)(...operands);
  if (!isTensor(pred) || pred.size !== 1) {
    throw new TraceError(`cond: pred must be a boolean scalar tensor (or a boolean); got ${isTensor(pred) ? `shape [${pred.shape}]` : typeof pred}.`);
  }
  if (!isTracing()) return (pred.dataSync()[0] ? trueFn : falseFn)(...operands);
  if (isTapeOn()) {
    throw new TraceError('cond: a branch on a traced predicate inside a gradient under jit cannot be differentiated ' +
      '(the compiled branch is invisible to tfjs\'s gradient tape); compute both results and select with ' +
      'tf.where(pred, a, b), or take the gradient outside the branch.');
  }
  return tracedCond(pred, trueFn, falseFn, operands);
}

/** Rewrites a branch program to take `layout` arguments and return the written states in `written` order. */
function alignBranch(sub: SubTrace, nOps: number, layout: readonly { state: State<StateValue>; types: ValueType[] }[],
  written: readonly State<StateValue>[], captured: readonly tf.Tensor[]): Program {
  const p = sub.program;
  const values = [...p.values];
  const leafOf = new Map<number, number>(); // old leaf -> new leaf
  for (let i = 0; i < nOps; i++) leafOf.set(i, i);
  const inputs = p.inputs.map((x) => x);
  let next = nOps;
  const stateLeaves = new Map<State<StateValue>, number[]>(); // state -> value ids of its argument leaves
  for (const { state, types } of layout) {
    const arg = sub.stateArgs.find((a) => a.state === state);
    const ids: number[] = [];
    types.forEach((t, j) => {
      if (arg !== undefined) {
        leafOf.set(arg.leaves[j], next);
        ids.push(p.inputs.find((x) => x.source.kind === 'arg' && x.source.leaf === arg.leaves[j])!.value);
      } else {
        values.push(t); // an argument this branch does not read (it may pass it through)
        inputs.push({ value: values.length - 1, source: { kind: 'arg', leaf: -1 - next } });
        leafOf.set(-1 - next, next);
        ids.push(values.length - 1);
      }
      next++;
    });
    stateLeaves.set(state, ids);
  }
  for (const t of captured) {
    const c = sub.captured.find((x) => x.tensor === t);
    if (c !== undefined) leafOf.set(c.leaf, next);
    else {
      values.push({ shape: [...t.shape], dtype: t.dtype });
      inputs.push({ value: values.length - 1, source: { kind: 'arg', leaf: -1 - next } });
      leafOf.set(-1 - next, next);
    }
    next++;
  }
  const remapped = inputs.map((x) => (x.source.kind === 'arg' ? { ...x, source: { kind: 'arg' as const, leaf: leafOf.get(x.source.leaf)! } } : x));
  const explicit = p.outputs.slice(0, sub.numExplicitOut);
  const stateOuts = written.flatMap((s) => {
    const w = sub.written.findIndex((x) => x.state === s);
    if (w < 0) return stateLeaves.get(s)!.map((value) => ({ kind: 'value' as const, value })); // unchanged
    const start = sub.numExplicitOut + sub.written.slice(0, w).reduce((n, x) => n + x.count, 0);
    return p.outputs.slice(start, start + sub.written[w].count);
  });
  return { ...p, values, inputs: remapped, outputs: [...explicit, ...stateOuts] };
}

function tracedCond<R>(pred: tf.Tensor, trueFn: (...ops: tf.Tensor[]) => R, falseFn: (...ops: tf.Tensor[]) => R,
  operands: tf.Tensor[]): R {
  const parent = currentObserver()!;
  const [opLeaves, opDef] = tensorTree(operands, 'cond: operands');
  const t = subTrace('cond true branch', (args) => trueFn(...(unflatten(opDef, args) as tf.Tensor[])), opLeaves);
  const f = subTrace('cond false branch', (args) => falseFn(...(unflatten(opDef, args) as tf.Tensor[])), opLeaves);
  if (treeDefKey(t.outTree) !== treeDefKey(f.outTree)) {
    throw new TraceError(`cond: both branches must return the same structure; the true branch returned ` +
      `${treeDefKey(t.outTree)}, the false branch ${treeDefKey(f.outTree)}.`);
  }
  for (let k = 0; k < t.numExplicitOut; k++) {
    const a = t.program.values[(t.program.outputs[k] as { value: number }).value];
    const b = f.program.values[(f.program.outputs[k] as { value: number }).value];
    if (a.dtype !== b.dtype || a.shape.join() !== b.shape.join()) {
      throw new TraceError(`cond: result leaf ${k} is ${typeString(a)} in the true branch but ` +
        `${typeString(b)} in the false branch; both branches must agree.`);
    }
  }
  const states: State<StateValue>[] = [];
  for (const a of [...t.stateArgs, ...f.stateArgs]) if (!states.includes(a.state)) states.push(a.state);
  const written: State<StateValue>[] = [];
  for (const w of [...t.written, ...f.written]) if (!written.includes(w.state)) written.push(w.state);
  const outerOf = (s: State<StateValue>) => (t.stateArgs.find((a) => a.state === s) ?? f.stateArgs.find((a) => a.state === s))!.outer;
  const layout = states.map((state) => ({
    state, types: tensorLeaves(outerOf(state)).map((x) => ({ shape: [...x.shape], dtype: x.dtype })),
  }));
  const captured = [...new Set([...t.captured, ...f.captured].map((c) => c.tensor))];
  const branches: [Program, Program] = [
    alignBranch(f, opLeaves.length, layout, written, captured),
    alignBranch(t, opLeaves.length, layout, written, captured),
  ];
  const inputs = [pred, ...opLeaves, ...states.flatMap((s) => tensorLeaves(outerOf(s))), ...captured];
  const results = runAndRecord('Cond', { kind: 'cond', branches }, inputs, 'cond');
  let k = t.numExplicitOut;
  for (const s of written) {
    const tree = (t.written.find((w) => w.state === s) ?? f.written.find((w) => w.state === s))!;
    parent.write(s, unflatten(tree.tree, results.slice(k, k + tree.count)) as StateValue);
    k += tree.count;
  }
  return unflatten(t.outTree, results.slice(0, t.numExplicitOut)) as R;
}

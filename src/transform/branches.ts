/**
 * Traced branching, shared by `cond`, `switch` and `ifelse`: every branch is traced
 * once into a sub-program, the programs are aligned to one argument and result layout
 * (states written in any branch are written by all: a branch that does not write one
 * passes it through), and one control node picks a branch at run time by an index,
 * clamped to the branch range as JAX's `lax.switch` clamps it.
 *
 * Under a gradient tape (a gradient taken inside `jit`) the node is wrapped in a custom
 * gradient whose backward pass is another branch node over the branches' vector-Jacobian
 * products (see `branch-grad.ts`), so reverse mode flows through the branch taken, as in JAX.
 */
import * as tf from '@tensorflow/tfjs';
import { isTapeOn } from '../backend/tfjs-engine';
import { disposeProgram, Program, ValueType } from '../compiler/ir';
import { TraceError } from '../errors';
import type { State, StateValue } from '../state/state';
import { currentObserver } from '../state/stack';
import { tensorLeaves } from '../state/tree';
import { treeDefKey, unflatten } from '../util/pytree';
import { differentiableBranches } from './branch-grad';
import { runAndRecord, tensorTree } from './loop-util';
import { SubTrace, subTrace } from './subtrace';

/** A state the branch programs take as arguments, with the types of its leaves. */
export interface StateSlot {
  readonly state: State<StateValue>;
  readonly types: ValueType[];
}

/**
 * Rewrites a branch program to take `[explicit..., layout state leaves..., captured...]`
 * and return `[explicit results..., written states' leaves in `written` order]`.
 */
export function alignBranch(sub: SubTrace, nExplicit: number, layout: readonly StateSlot[],
  written: readonly State<StateValue>[], captured: readonly tf.Tensor[]): Program {
  const p = sub.program;
  const values = [...p.values];
  const leafOf = new Map<number, number>(); // old leaf -> new leaf
  for (let i = 0; i < nExplicit; i++) leafOf.set(i, i);
  const inputs = p.inputs.map((x) => x);
  let next = nExplicit;
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

/** The states read and written by any of `subs`, the layout of their leaves, and the captured tensors. */
export function branchLayout(subs: readonly SubTrace[]): {
  layout: StateSlot[]; written: State<StateValue>[]; captured: tf.Tensor[]; outer: (s: State<StateValue>) => StateValue;
} {
  const states: State<StateValue>[] = [];
  for (const s of subs) for (const a of s.stateArgs) if (!states.includes(a.state)) states.push(a.state);
  const written: State<StateValue>[] = [];
  for (const s of subs) for (const w of s.written) if (!written.includes(w.state)) written.push(w.state);
  const outer = (st: State<StateValue>): StateValue => {
    for (const s of subs) {
      const a = s.stateArgs.find((x) => x.state === st);
      if (a !== undefined) return a.outer;
    }
    throw new TraceError(`internal: state ${st.label()} is not an argument of any branch`);
  };
  const layout = states.map((state) => ({
    state, types: tensorLeaves(outer(state)).map((x) => ({ shape: [...x.shape], dtype: x.dtype })),
  }));
  const captured = [...new Set(subs.flatMap((s) => s.captured.map((c) => c.tensor)))];
  return { layout, written, captured, outer };
}

/** Throws when branch `k`'s results differ in structure, shape or dtype from the reference branch's. */
function checkAgree(what: string, subs: readonly SubTrace[], names: readonly string[], ref: number): void {
  const r = subs[ref];
  subs.forEach((s, k) => {
    if (k === ref) return;
    if (treeDefKey(s.outTree) !== treeDefKey(r.outTree)) {
      throw new TraceError(`${what}: every branch must return the same structure; the ${names[ref]} returned ` +
        `${treeDefKey(r.outTree)}, the ${names[k]} ${treeDefKey(s.outTree)}. Return the same tree of tensors from each.`);
    }
    for (let j = 0; j < r.numExplicitOut; j++) {
      const a = r.program.values[(r.program.outputs[j] as { value: number }).value];
      const b = s.program.values[(s.program.outputs[j] as { value: number }).value];
      if (a.dtype !== b.dtype || a.shape.join() !== b.shape.join()) {
        throw new TraceError(`${what}: result leaf ${j} is ${a.dtype}[${a.shape}] in the ${names[ref]} but ` +
          `${b.dtype}[${b.shape}] in the ${names[k]}; every branch must agree. Cast or reshape it in the ${names[k]}.`);
      }
    }
  });
}

/**
 * Traces `fns` (each called with `operands`) and records one branch node choosing
 * `fns[clamp(index)]` at run time. `names[k]` names branch k in messages; `ref` is the
 * branch traced first, whose results the others must match.
 */
export function tracedBranches<R>(what: string, kernel: string, index: tf.Tensor, fns: readonly Function[],
  names: readonly string[], operands: readonly unknown[], ref = 0): R {
  const parent = currentObserver()!;
  const [opLeaves, opDef] = tensorTree(operands, `${what}: operands`);
  const call = (k: number) => (args: tf.Tensor[]) => (fns[k] as (...ops: unknown[]) => R)(...(unflatten(opDef, args) as unknown[]));
  const order = [ref, ...fns.map((_, k) => k).filter((k) => k !== ref)];
  const subs: SubTrace[] = new Array(fns.length);
  try {
    for (const k of order) subs[k] = subTrace(`${what} ${names[k]}`, call(k), opLeaves);
    checkAgree(what, subs, names, ref);
  } catch (e) {
    for (const s of subs) if (s !== undefined) disposeProgram(s.program);
    throw e;
  }
  const { layout, written, captured, outer } = branchLayout(subs);
  const stateIns = layout.flatMap((l) => tensorLeaves(outer(l.state)));
  const r = subs[ref];
  let results: tf.Tensor[];
  if (isTapeOn()) {
    results = differentiableBranches({ what, kernel, index, subs, names, call, opLeaves, layout, written, captured, stateIns });
  } else {
    const programs = subs.map((s) => alignBranch(s, opLeaves.length, layout, written, captured));
    results = runAndRecord(kernel, { kind: 'cond', branches: programs }, [index, ...opLeaves, ...stateIns, ...captured], what);
  }
  let k = r.numExplicitOut;
  for (const s of written) {
    const tree = subs.map((x) => x.written.find((w) => w.state === s)).find((w) => w !== undefined)!;
    parent.write(s, unflatten(tree.tree, results.slice(k, k + tree.count)) as StateValue);
    k += tree.count;
  }
  return unflatten(r.outTree, results.slice(0, r.numExplicitOut)) as R;
}

/**
 * The layout branch programs share (cond, switch, ifelse and their gradients): which
 * states they take and write, which captured tensors they read, and each branch's
 * program rewritten to that one argument and result layout.
 */
import type * as tf from '@tensorflow/tfjs';
import { Program, ValueType } from '../compiler/ir';
import { InternalError } from '../errors';
import type { State, StateValue } from '../state/state';
import { tensorLeaves } from '../state/tree';
import type { SubTrace } from './subtrace';

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
    throw new InternalError(`branchLayout: state ${st.label()} is not an argument of any branch`);
  };
  const layout = states.map((state) => ({
    state, types: tensorLeaves(outer(state)).map((x) => ({ shape: [...x.shape], dtype: x.dtype })),
  }));
  const captured = [...new Set(subs.flatMap((s) => s.captured.map((c) => c.tensor)))];
  return { layout, written, captured, outer };
}

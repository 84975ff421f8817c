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
import { disposeProgram, Program } from '../compiler/ir';
import { TraceError } from '../errors';
import type { StateValue } from '../state/state';
import { currentObserver } from '../state/stack';
import { tensorLeaves } from '../state/tree';
import { treeDefKey, unflatten } from '../util/pytree';
import { differentiableBranches } from './branch-grad';
import { runAndRecord, tensorTree } from './loop-util';
import { SubTrace, subTrace } from './subtrace';
import { alignBranch, branchLayout } from './branch-layout';

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
 * branch traced first, whose results the others must match; `check` sees the index read
 * at run time before it is clamped, and throws to fail the call (see `CondSpec.check`).
 */
export function tracedBranches<R>(what: string, kernel: string, index: tf.Tensor, fns: readonly Function[],
  names: readonly string[], operands: readonly unknown[], ref = 0, check?: (index: number) => void): R {
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
    results = differentiableBranches({ what, kernel, index, subs, names, call, opLeaves, layout, written, captured, stateIns, check });
  } else {
    const programs = subs.map((s) => alignBranch(s, opLeaves.length, layout, written, captured));
    results = runAndRecord(kernel, { kind: 'cond', branches: programs, check }, [index, ...opLeaves, ...stateIns, ...captured], what);
  }
  let k = r.numExplicitOut;
  for (const s of written) {
    const tree = subs.map((x) => x.written.find((w) => w.state === s)).find((w) => w !== undefined)!;
    parent.write(s, unflatten(tree.tree, results.slice(k, k + tree.count)) as StateValue);
    k += tree.count;
  }
  return unflatten(r.outTree, results.slice(0, r.numExplicitOut)) as R;
}

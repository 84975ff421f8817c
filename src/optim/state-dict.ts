/**
 * An optimiser's state dict (braintools' and PyTorch's `state_dict` / `load_state_dict`):
 * every state of the optimiser module by path, copied out and checked on the way back.
 */
import * as tf from '@tensorflow/tfjs';
import { OptimizerError } from '../errors';
import type { Module } from '../nn/module';
import { State, StateValue } from '../state/state';
import { leavesWithPaths, TreeKey } from '../transform/grad-tree';
import { flatten, unflatten } from '../util/pytree';
import { typeString } from '../util/type-string';

/**
 * What {@link Optimizer.stateDict} returns: every state of the optimiser (step count,
 * moments, powers, ...) by its path, as tensors the caller owns, and the groups'
 * hyper-parameters.
 */
export interface OptimizerStateDict {
  /** State values by path (`'step'`, `'slots/m/0/weight'`, ...). */
  readonly states: Record<string, tf.Tensor>;
  /** Per parameter group: its weight decay and how many states it holds. */
  readonly groups: { weightDecay: number; size: number }[];
}

/** Tensor leaves of a state value with their paths inside it. */
function leavesWithPathsOf(value: StateValue): { path: TreeKey[]; leaf: tf.Tensor }[] {
  return leavesWithPaths(value, isTensorLeaf).map(({ path, leaf }) => ({ path: path.slice(), leaf: leaf as tf.Tensor }));
}

function isTensorLeaf(x: unknown): boolean {
  return x instanceof tf.Tensor;
}


/** The state dict of `opt` (its states by path, copied) with the groups' summaries. */
export function stateDictOf(opt: Module, groups: { weightDecay: number; size: number }[]): OptimizerStateDict {
  const states: Record<string, tf.Tensor> = {};
  for (const [path, st] of opt.states().toFlat().entries()) {
    for (const { path: p, leaf } of leavesWithPathsOf(st.value as StateValue)) {
      states[[...path, ...p].map(String).join('/')] = tf.clone(leaf);
    }
  }
  return { states, groups };
}

/** Writes `dict` into the states of `opt`, after checking every path, shape and dtype. */
export function loadStateDictInto(opt: Module, dict: OptimizerStateDict, where: string): void {
  if (dict === null || typeof dict !== 'object' || typeof dict.states !== 'object') {
    throw new OptimizerError(`${where}: expected what stateDict() returned ({ states, groups }), got ${String(dict)}.`);
  }
  const targets: { state: State<StateValue>; keys: string[]; def: unknown }[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [path, st] of opt.states().toFlat().entries()) {
    const value = st.value as StateValue;
    const inner = leavesWithPathsOf(value);
    const keys = inner.map(({ path: p }) => [...path, ...p].map(String).join('/'));
    inner.forEach(({ leaf }, i) => {
      const k = keys[i];
      seen.add(k);
      const t = dict.states[k];
      if (t === undefined) problems.push(`missing '${k}'`);
      else if (t.dtype !== leaf.dtype || t.shape.join(',') !== leaf.shape.join(',')) {
        problems.push(`'${k}' is ${typeString(t)}, expected ${typeString(leaf)}`);
      }
    });
    targets.push({ state: st as State<StateValue>, keys, def: flatten(value, isTensorLeaf)[1] });
  }
  for (const k of Object.keys(dict.states)) if (!seen.has(k)) problems.push(`extra '${k}'`);
  if (problems.length > 0) {
    throw new OptimizerError(`${where}: the state dict does not match this optimiser: ${problems.slice(0, 8).join('; ')}` +
      `${problems.length > 8 ? ` and ${problems.length - 8} more` : ''}. Load a state dict saved from an optimiser of ` +
      'the same class over the same weights.');
  }
  for (const t of targets) {
    t.state.value = unflatten(t.def as never, t.keys.map((k) => tf.clone(dict.states[k]))) as StateValue;
  }
}

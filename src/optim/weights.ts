/**
 * The weights an optimiser trains, taken apart into tensor leaves with paths, and the
 * matching of a grads tree (as `transform.grad` returns it for those weights) against
 * them, with errors that name every missing and extra path.
 */
import * as tf from '@tensorflow/tfjs';
import { OptimizerError } from '../errors';
import { State, StateValue } from '../state/state';
import { isTensor } from '../state/tree';
import { describeLeaf, formatTreePath, leavesWithPaths, TreeKey } from '../transform/grad-tree';
import { flatten, TreeDef } from '../util/pytree';

/**
 * What `registerTrainableWeights` accepts: one state, an array or plain object of them,
 * or a tree of live states such as `module.states(ParamState)`.
 */
export type TrainableWeights =
  | State<StateValue>
  | readonly TrainableWeights[]
  | { readonly [key: string]: TrainableWeights }
  | object;

/** One registered state: where it sits, and its value's structure. */
export interface WeightEntry {
  readonly state: State<StateValue>;
  readonly path: readonly TreeKey[];
  readonly def: TreeDef;
  /** Index of its first leaf in the flat leaf list, and how many leaves it has. */
  readonly first: number;
  readonly count: number;
}

/** Registered weights, flattened. */
export interface Weights {
  readonly entries: readonly WeightEntry[];
  /** Path (state path + path inside the value) and shape of every tensor leaf, in order. */
  readonly leaves: readonly { readonly path: readonly TreeKey[]; readonly shape: readonly number[] }[];
}

const keyOf = (path: readonly TreeKey[]): string => path.map(String).join('\u0000');

/**
 * Takes `weights` apart; every leaf must be a live state holding float32 tensors.
 *
 * @throws OptimizerError naming the path of a leaf that is not a state, or of a
 *   non-float32 value.
 */
export function collectWeights(weights: unknown, where: string): Weights {
  const isStateLeaf = (x: unknown): boolean => x instanceof State;
  const found = leavesWithPaths(weights, isStateLeaf);
  const entries: WeightEntry[] = [];
  const leaves: { path: readonly TreeKey[]; shape: readonly number[] }[] = [];
  const seen = new Set<State<StateValue>>();
  for (const { path, leaf } of found) {
    if (!(leaf instanceof State)) {
      throw new OptimizerError(`${where}: expected live states (a State, an array or object of them, or ` +
        `module.states(bst.ParamState)), but the leaf at ${formatTreePath(path)} is ${describeLeaf(leaf)}; ` +
        'register the states themselves, not their values or TreefyState copies.');
    }
    if (seen.has(leaf)) {
      throw new OptimizerError(`${where}: ${leaf.label()} at ${formatTreePath(path)} is listed twice; register ` +
        'each state once.');
    }
    seen.add(leaf);
    const value = leaf.rawValue();
    const [vl, def] = flatten(value, isTensor);
    const inner = leavesWithPaths(value, isTensor);
    inner.forEach(({ path: p, leaf: t }) => {
      if (!isTensor(t) || t.dtype !== 'float32') {
        throw new OptimizerError(`${where}: expected float32 tensors in trainable states, but ${leaf.label()} at ` +
          `${formatTreePath([...path, ...p])} holds ${describeLeaf(t)}; train float32 parameters only.`);
      }
      leaves.push({ path: [...path, ...p], shape: t.shape.slice() });
    });
    entries.push({ state: leaf, path, def, first: leaves.length - vl.length, count: vl.length });
  }
  if (entries.length === 0) {
    throw new OptimizerError(`${where}: expected at least one state to train, but ${describeLeaf(weights)} holds ` +
      'none; pass e.g. model.states(bst.ParamState).');
  }
  return { entries, leaves };
}

function listPaths(paths: (readonly TreeKey[])[]): string {
  const shown = paths.slice(0, 8).map(formatTreePath).join(', ');
  return paths.length > 8 ? `${shown} and ${paths.length - 8} more` : shown;
}

/**
 * The gradient leaves of `grads` in the order of the registered leaves, matched by path
 * (a `TreefyState` adds no key, so `valueAndGrad` over `treefyStates` trees matches too).
 *
 * @throws OptimizerError naming every missing and extra path, or a leaf whose shape
 *   differs from its weight's.
 */
export function matchGrads(grads: unknown, weights: Weights, where: string): tf.Tensor[] {
  const given = leavesWithPaths(grads, isTensor);
  const byKey = new Map<string, { path: readonly TreeKey[]; leaf: unknown }>();
  for (const g of given) byKey.set(keyOf(g.path), g);
  const missing: (readonly TreeKey[])[] = [];
  const out: tf.Tensor[] = [];
  const used = new Set<string>();
  for (const w of weights.leaves) {
    const k = keyOf(w.path);
    const g = byKey.get(k);
    if (g === undefined) {
      missing.push(w.path);
      continue;
    }
    used.add(k);
    if (!isTensor(g.leaf)) {
      throw new OptimizerError(`${where}: expected a gradient tensor at ${formatTreePath(w.path)}, but got ` +
        `${describeLeaf(g.leaf)}; pass the gradients transform.grad returned for the registered states.`);
    }
    if (g.leaf.shape.length !== w.shape.length || g.leaf.shape.some((d, i) => d !== w.shape[i])) {
      throw new OptimizerError(`${where}: the gradient at ${formatTreePath(w.path)} has shape ` +
        `[${g.leaf.shape.join(',')}] but its weight has shape [${w.shape.join(',')}]; pass the gradients of the ` +
        'registered states.');
    }
    out.push(g.leaf);
  }
  const extra = given.filter((g) => !used.has(keyOf(g.path))).map((g) => g.path);
  if (missing.length > 0 || extra.length > 0) {
    const parts = [
      missing.length > 0 ? `missing ${missing.length} path(s): ${listPaths(missing)}` : '',
      extra.length > 0 ? `extra ${extra.length} path(s) not registered: ${listPaths(extra)}` : '',
    ].filter((p) => p !== '');
    throw new OptimizerError(`${where}: expected gradients for the ${weights.leaves.length} registered weight ` +
      `leaves, but the grads tree does not match them: ${parts.join('; ')}. Pass exactly the gradients ` +
      'transform.grad returns with gradStates set to the registered states.');
  }
  return out;
}

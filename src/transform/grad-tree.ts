/**
 * Trees as the gradient transforms and optimisers see them: leaves with their paths
 * (for messages and for matching a grads tree against registered weights), the states
 * of a `gradStates` spec, and the differentiable leaves of an argument.
 *
 * Leaf order is exactly `pytree.flatten`'s (arrays by index, plain objects by key,
 * containers by their protocol's children), so a path list lines up with a `TreeDef`.
 */
import * as tf from '@tensorflow/tfjs';
import { GradientError } from '../errors';
import { State, StateValue } from '../state/state';
import { describeNonTensor, isPlainObject, isTensor } from '../state/tree';
import { flatten, flattenWithPath as leavesWithPaths, isPytreeContainer as isContainer, PathLeaf, TreeDef } from '../util/pytree';
import { typeString } from '../util/type-string';
import { formatPath, Key } from '../util/path';

/** One step of a tree path: an object key or an array index (the one path vocabulary: util/path.ts). */
export type TreeKey = Key;

export { flattenWithPath as leavesWithPaths } from '../util/pytree';
export type { PathLeaf } from '../util/pytree';

/**
 * A path as messages print it: `['layers', 0, 'weight']`, or `(root)` for the empty path.
 *
 * @example
 * ```ts
 * formatTreePath(['layers', 0, 'weight']);   // ['layers', 0, 'weight']
 * ```
 * @param path - the keys.
 * @returns the printed path.
 */
export function formatTreePath(path: readonly TreeKey[]): string {
  return path.length === 0 ? '(root)' : formatPath(path);
}

/** The states of a `gradStates` spec in flatten order, and the structure to rebuild grads in. */
export interface GradStateSpec {
  readonly states: State<StateValue>[];
  readonly def: TreeDef;
  /** The spec as given (for the paths of its states in messages). */
  readonly spec: unknown;
}

/** What a value is, for messages: `a TreefyState`, `a tf.Tensor float32[2]`, `the number 3`. */
export function describeLeaf(x: unknown): string {
  if (isTensor(x)) return `a tf.Tensor ${typeString(x)}`;
  if (x instanceof State) return `a ${x.kind}${x.name === undefined ? '' : ` ('${x.name}')`}`;
  if (isTreefyLike(x)) return 'a TreefyState';
  return describeNonTensor(x);
}

/** A detached state record (`TreefyState`): a container with a type and a value. */
export function isTreefyLike(x: unknown): boolean {
  return isContainer(x) && 'type' in x && 'value' in x && typeof (x as { items?: unknown }).items !== 'function';
}

/**
 * Takes a `gradStates` spec apart: a state, an array / plain object of states, or a
 * `NestedDict` of live states (`module.states(ParamState)`).
 *
 * @param spec - the spec as the user gave it.
 * @param where - the caller's name for messages (`grad`, `valueAndGrad`).
 * @returns the states and the structure.
 * @throws GradientError naming the path of the first leaf that is not a State.
 */
export function collectGradStates(spec: unknown, where: string): GradStateSpec {
  const isStateLeaf = (x: unknown): boolean => x instanceof State;
  const [leaves, def] = flatten(spec, isStateLeaf);
  if (!leaves.every(isStateLeaf)) {
    const bad = leavesWithPaths(spec, (x) => isStateLeaf(x) || isTreefyLike(x), false).find((p) => !(p.leaf instanceof State))!;
    const hint = isTreefyLike(bad.leaf)
      ? ' TreefyStates are detached copies: pass live states (module.states(ParamState) or graph.states(module)), ' +
        'or pass the tree as an argument and differentiate it with argnums.'
      : ' Pass live states: a State, an array or object of them, or module.states(bst.ParamState).';
    throw new GradientError(`${where}: expected every leaf of gradStates to be a State, but the leaf at ` +
      `${formatTreePath(bad.path)} is ${describeLeaf(bad.leaf)}.${hint}`);
  }
  return { states: leaves as State<StateValue>[], def, spec };
}

/** The differentiable leaves of one argument and how to rebuild it. */
export interface ArgLeaves {
  /** Tensor leaves (numbers already made float32 scalars). */
  readonly leaves: tf.Tensor[];
  /** Scalars made from numbers: the caller disposes them. */
  readonly made: tf.Tensor[];
  readonly def: TreeDef;
}

/**
 * The leaves of argument `index` to differentiate: tensors (float32), and numbers
 * (made float32 scalars, as JAX makes Python floats arrays).
 *
 * @throws GradientError naming the argument and leaf path of anything else.
 */
export function collectArgLeaves(arg: unknown, index: number, where: string): ArgLeaves {
  const isLeaf = (x: unknown): boolean => isTensor(x) || x instanceof State;
  const [flat, def] = flatten(arg, isLeaf);
  const made: tf.Tensor[] = [];
  let paths: PathLeaf[] | undefined;
  const pathOf = (j: number): string => {
    paths ??= leavesWithPaths(arg, isLeaf, false);
    return paths[j].path.length === 0 ? '' : ` at ${formatTreePath(paths[j].path)}`;
  };
  const leaves = flat.map((x, j) => {
    if (isTensor(x)) {
      if (x.isDisposed) {
        throw new GradientError(`${where}: argument ${index}${pathOf(j)} is a disposed tensor; keep it alive ` +
          'until the gradient call returns.');
      }
      if (x.dtype !== 'float32') {
        throw new GradientError(`${where}: expected float32 tensors in differentiated argument ${index}, but the ` +
          `leaf${pathOf(j)} is ${describeLeaf(x)}; cast it with tf.cast(x, 'float32'), or leave the argument out ` +
          'of argnums (integer and boolean inputs have no gradient).');
      }
      return x;
    }
    if (typeof x === 'number') {
      const t = tf.scalar(x, 'float32');
      made.push(t);
      return t;
    }
    const hint = x instanceof State
      ? ` States are differentiated through gradStates: grad(fn, { gradStates: [state] }).`
      : ' Differentiated arguments hold tf.Tensors (or numbers); leave this argument out of argnums.';
    for (const t of made) t.dispose();
    throw new GradientError(`${where}: expected tensor leaves in differentiated argument ${index}, but the ` +
      `leaf${pathOf(j)} is ${describeLeaf(x)}.${hint}`);
  });
  return { leaves, made, def };
}

/**
 * Putting a module graph back together: `treefyMerge(graphDef, ...trees)` builds a new
 * module of the same classes and structure around new states holding the trees' values.
 */
import { GraphError } from '../errors';
import { State, StateOptions } from '../state/state';
import { describeNonTensor, StateValue } from '../state/tree';
import { GraphDef, NodeDef } from './graphdef';
import { decoratedStates } from './node-metadata';
import { eachLeaf, NestedDict, NestedDictBase } from './nested-dict';
import { formatPath, Key, Path, pathKey } from './path';
import { TreefyState } from './treefy-state';

/**
 * The leaves a merge accepts: detached states, or live ones (their current value is used).
 *
 * @example
 * ```ts
 * bst.graph.treefyMerge(graphDef, bst.graph.states(model));   // live states work too
 * ```
 */
export type MergeLeaf = TreefyState<StateValue> | State<StateValue>;

type StateCtor = new (value: StateValue, options: StateOptions) => State<StateValue>;

/** At most this many paths are listed in an error (then a count). */
const MAX_LISTED = 10;

function listPaths(paths: readonly Path[]): string {
  const shown = paths.slice(0, MAX_LISTED).map(formatPath).join(', ');
  return paths.length > MAX_LISTED ? `${shown}, and ${paths.length - MAX_LISTED} more` : shown;
}

/** Every leaf of every tree by path; a path given by two trees is an error. */
function collectLeaves(trees: readonly unknown[], fnName: string): Map<string, { path: Path; leaf: unknown; tree: number }> {
  const byPath = new Map<string, { path: Path; leaf: unknown; tree: number }>();
  trees.forEach((t, i) => {
    if (!(t instanceof NestedDictBase)) {
      throw new GraphError(`${fnName}: expected every tree to be a NestedDict (as treefySplit returns), ` +
        `but tree ${i + 1} is ${describeNonTensor(t)}; pass the trees treefySplit / treefyStates made.`);
    }
    eachLeaf(t as NestedDictBase<unknown>, [], (path, leaf) => {
      const k = pathKey(path);
      const prev = byPath.get(k);
      if (prev !== undefined) {
        throw new GraphError(`${fnName}: expected each state path in exactly one tree, but ` +
          `${formatPath(path)} is in tree ${prev.tree + 1} and tree ${i + 1}; pass each state once ` +
          '(e.g. the trees of one treefySplit).');
      }
      byPath.set(k, { path, leaf, tree: i });
    });
  });
  return byPath;
}

/**
 * The states of a rebuilt graph, one per StateDef: new states holding the trees' values
 * (the same tensor objects), or, with `reuseLive`, the live `State` leaves themselves
 * (as BrainState's `unflatten`). Everything is checked before the first state is made,
 * so a failed merge holds no tensor.
 */
function makeStates(graphDef: GraphDef<object>, trees: readonly unknown[], fnName: string,
  reuseLive: boolean): State<StateValue>[] {
  const leaves = collectLeaves(trees, fnName);
  const live: (State<StateValue> | undefined)[] = [];
  const missing: Path[] = [];
  const values = graphDef.states.map((def): StateValue | undefined => {
    const k = pathKey(def.path);
    const entry = leaves.get(k);
    if (entry === undefined) {
      missing.push(def.path);
      return undefined;
    }
    leaves.delete(k);
    const { leaf } = entry;
    let value: StateValue;
    let type: unknown;
    if (leaf instanceof TreefyState) {
      value = leaf.value;
      type = leaf.type;
    } else if (leaf instanceof State) {
      value = leaf.rawValue();
      type = leaf.constructor;
      if (reuseLive) live[def.index] = leaf;
    } else {
      throw new GraphError(`${fnName}: expected a TreefyState (or State) at ${formatPath(def.path)}, but ` +
        `tree ${entry.tree + 1} holds ${describeNonTensor(leaf)} there; keep the leaves TreefyStates ` +
        '(in NestedDict.map, return s.replace(newValue)).');
    }
    if (type !== def.type) {
      throw new GraphError(`${fnName}: expected a ${def.type.name} at ${formatPath(def.path)} (as the ` +
        `GraphDef records), but tree ${entry.tree + 1} holds a ${(type as { name?: string }).name ?? '?'} there; ` +
        'pass the trees split from this GraphDef\'s module.');
    }
    return value;
  });
  if (missing.length > 0) {
    throw new GraphError(`${fnName}: expected a value for every state of the GraphDef ` +
      `(${graphDef.states.length}), but ${missing.length} ${missing.length === 1 ? 'is' : 'are'} in no tree: ` +
      `${listPaths(missing)}; pass every tree treefySplit returned (split with '...' last to keep them all).`);
  }
  if (leaves.size > 0) {
    throw new GraphError(`${fnName}: expected only paths of the GraphDef's states, but the trees also ` +
      `hold ${listPaths([...leaves.values()].map((e) => e.path))}; these belong to another module, or to a ` +
      'sharing this GraphDef records at another path: merge trees split from the same module.');
  }
  // The normal constructor: under a transform, the observer is told about each new state.
  return graphDef.states.map((def, i) => live[i] ??
    new (def.type as unknown as StateCtor)(values[i] as StateValue, { name: def.name, tag: def.tag }));
}

/** A node object of the right kind, empty: filled in a second pass so cycles can close. */
function allocate(def: NodeDef): object {
  switch (def.kind) {
    case 'module':
      // Not the constructor: it would create fresh states; fields are filled from the GraphDef.
      return Object.create(def.prototype) as object;
    case 'array':
      return new Array(def.entries.length);
    case 'map':
      return new Map();
    case 'object':
      return Object.create(def.prototype) as object;
  }
}

function fill(def: NodeDef, target: object, built: readonly object[], states: readonly State<StateValue>[]): void {
  for (const [key, attr] of def.entries) {
    const value = attr.kind === 'node' ? built[attr.index] : attr.kind === 'state' ? states[attr.index] : attr.value;
    if (def.kind === 'map') {
      (target as Map<Key, unknown>).set(key, value);
    } else if (attr.kind === 'state' && attr.decorated) {
      decoratedStates(target).set(key as string, value as State<StateValue>);
    } else {
      // An own data property even where the prototype has an accessor of that name.
      Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
    }
  }
}

/**
 * Rebuilds a module from a GraphDef and state trees: a NEW instance of the same class
 * (made from its prototype, without running its constructor), with the same fields,
 * sub-modules and containers, sharing and cycles restored, holding NEW states of the
 * same kinds, names and tags whose values are the trees' values (the same tensor
 * objects). The module that was split is not touched.
 *
 * Non-state attributes are restored by reference; an arrow-function field that captured
 * `this` keeps pointing at the original module, so define behaviour as methods.
 *
 * @example
 * ```ts
 * const model = new RunningMean();
 * const [graphDef, hidden] = bst.graph.treefySplit(model, bst.HiddenState);
 * let tree = hidden;
 * for (let step = 0; step < 3; step++) {
 *   const m = bst.graph.treefyMerge(graphDef, tree);
 *   const mean = m.call(tf.add(tf.range(0, 4), step));             // 1.50, 2.00, 2.50
 *   tree = bst.graph.treefyStates(m, bst.HiddenState);
 * }
 * tree.count.value;   // 12; model.count is still 0
 * ```
 * @param graphDef - from `treefySplit` (or `graphDef`).
 * @param trees - the state trees; together they must hold every state's path once.
 * @returns the new module.
 * @throws GraphError when a state's path is missing from the trees, given twice, unknown
 *   to the GraphDef, or holds another kind of state.
 * @see treefySplit
 */
export function treefyMerge<M extends object, L extends MergeLeaf>(graphDef: GraphDef<M>,
  ...trees: NestedDict<L>[]): M;
export function treefyMerge(graphDef: GraphDef<object>, ...trees: unknown[]): object {
  return rebuild('graph.treefyMerge', graphDef, trees, false);
}

/**
 * Builds the graph a GraphDef describes around states made from (or, with `reuseLive`,
 * taken from) the trees' leaves.
 * @internal
 */
export function rebuild(fnName: string, graphDef: GraphDef<object>, trees: readonly unknown[],
  reuseLive: boolean): object {
  if (!(graphDef instanceof GraphDef)) {
    throw new GraphError(`${fnName}: expected a GraphDef as the first argument, but received ` +
      `${describeNonTensor(graphDef)}; pass the GraphDef that treefySplit / flatten returned.`);
  }
  const states = makeStates(graphDef, trees, fnName, reuseLive);
  const built = graphDef.nodes.map(allocate);
  graphDef.nodes.forEach((def, i) => fill(def, built[i], built, states));
  return built[0];
}

/**
 * `flatten` / `unflatten` (BrainState's encode and decode of a graph: its GraphDef and
 * one tree of every state) and `clone` (a deep copy through them).
 */
import type { State, StateValue } from '../state/state';
import { GraphDef } from './graphdef';
import { rebuild, treefyMerge } from './merge';
import { buildTree, NestedDict } from './nested-dict';
import { treefySplit } from './split';
import { TreefyState } from './treefy-state';
import { walk } from './walker';

/** Options of {@link flatten}. */
export interface FlattenOptions {
  /**
   * `true` (the default): the tree holds detached {@link TreefyState}s; `false`: the
   * live `State` objects themselves (BrainState's `treefy_state=False`).
   */
  treefyState?: boolean;
}

/**
 * Encodes a graph as its structure and one tree of all its states, as BrainState's
 * `graph.flatten`: the same as `treefySplit(node)` with no filter, or, with
 * `{ treefyState: false }`, a tree of the live states (which {@link unflatten} puts
 * back as they are). Shared states appear once, at their first path.
 *
 * @example
 * ```ts
 * const lin = new TinyLinear();
 * const [graphDef, tree] = bst.graph.flatten(lin);
 * console.log(tree.toString());
 * // NestedDict(
 * //   bias=TreefyState(
 * //     type=ParamState,
 * //     value=Tensor [0],
 * //     tag=undefined
 * //   ),
 * //   weight=TreefyState(
 * //     type=ParamState,
 * //     value=Tensor [[1]],
 * //     tag=undefined
 * //   )
 * // )
 * const [, live] = bst.graph.flatten(lin, { treefyState: false });
 * live.weight === bst.stateOf(lin, 'weight');   // true
 * ```
 * @param node - a module, or an array / plain object / Map of modules and states.
 * @param options - `treefyState` (default true).
 * @returns `[graphDef, tree]`.
 * @throws GraphError when `node` is not a module or container.
 * @see unflatten
 * @see treefySplit
 */
export function flatten<M extends object>(node: M, options: { treefyState: false }):
  [GraphDef<M>, NestedDict<State<StateValue>>];
export function flatten<M extends object>(node: M, options?: FlattenOptions): [GraphDef<M>, NestedDict];
export function flatten(node: object, options: FlattenOptions = {}):
  [GraphDef<object>, NestedDict<TreefyState<StateValue> | State<StateValue>>] {
  const treefy = options.treefyState !== false;
  const w = walk(node, 'graph.flatten', true);
  const tree = buildTree(w.states, (s) => s.path,
    (s): TreefyState<StateValue> | State<StateValue> => (treefy ? TreefyState.fromState(s.state) : s.state),
    'graph.flatten');
  return [new GraphDef<object>(w), tree];
}

/**
 * Decodes a graph from its GraphDef and a tree of its states, as BrainState's
 * `graph.unflatten`: a new module graph (sharing and cycles restored) in which every
 * `TreefyState` leaf becomes a new state and every live `State` leaf is put back as it
 * is (so `unflatten(...flatten(m, { treefyState: false }))` is a new module graph around
 * the same states as `m`).
 *
 * @example
 * ```ts
 * const [graphDef, live] = bst.graph.flatten(lin, { treefyState: false });
 * const twin = bst.graph.unflatten(graphDef, live);
 * bst.stateOf(twin, 'weight') === bst.stateOf(lin, 'weight');   // true: the same state
 * const [, detached] = bst.graph.flatten(lin);
 * const copy = bst.graph.unflatten(graphDef, detached);           // new states, same tensors
 * ```
 * @param graphDef - from {@link flatten} (or `treefySplit`).
 * @param tree - the state tree (every state path of the GraphDef once).
 * @returns the rebuilt root.
 * @throws GraphError when a state's path is missing, extra, or holds another kind of state.
 * @see flatten
 */
export function unflatten<M extends object>(graphDef: GraphDef<M>,
  tree: NestedDict<TreefyState<StateValue> | State<StateValue>>): M {
  return rebuild('graph.unflatten', graphDef as GraphDef<object>, [tree], true) as M;
}

/**
 * A deep copy of a module graph, as BrainState's `graph.clone`: the same classes and
 * structure, shared states and cycles restored, and new state objects (writing one does
 * not touch the other) that start from the same tensors (tfjs tensors are immutable, and
 * states count their holders, so nothing is copied until one side writes).
 *
 * @example
 * ```ts
 * const a = new TinyLinear();
 * const b = bst.graph.clone(a);
 * bst.stateOf(b, 'weight') !== bst.stateOf(a, 'weight');   // true
 * a.weight = tf.tensor2d([[5]]);
 * b.weight.print();                                          // [[1]]: b is independent
 * ```
 * @param node - a module (or an array / plain object / Map of modules and states).
 * @returns the copy.
 * @see treefySplit
 * @see treefyMerge
 */
export function clone<M extends object>(node: M): M {
  const [graphDef, tree] = treefySplit(node);
  return treefyMerge(graphDef, tree);
}

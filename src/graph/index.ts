/**
 * `bst.graph`: taking module graphs apart and putting them back together, BrainState's
 * `brainstate.graph`. Every public name of the folder is listed here; the other files
 * are internal.
 *
 * @example
 * ```ts
 * const [graphDef, params, others] = bst.graph.treefySplit(lin, bst.ParamState, '...');
 * const copy = bst.graph.treefyMerge(graphDef, params, others);
 * const live = bst.graph.states(copy, bst.ParamState);
 * ```
 */
export { treefySplit, treefyStates, states, nodes, graphDef } from './split';
export { treefyMerge } from './merge';
export { flatten, unflatten, clone } from './flatten';
export type { FlattenOptions } from './flatten';
export { popStates, updateStates } from './update';
export { iterLeaf, iterNode } from './iterate';
export type { IterOptions } from './iterate';
export { stateOf } from './state-of';
export type { MergeLeaf } from './merge';
export { GraphDef } from './graphdef';
export type { NodeDef, StateDef, AttrDef, NodeKind } from './graphdef';
export { NestedDict } from './nested-dict';
export type { NestedDictBase, NestedDictChildren, NestedDictConstructor } from './nested-dict';
export { FlatDict } from './flat-dict';
export { TreefyState } from './treefy-state';
export { not, all, any, pathContains } from './filters';
export type { Filter, FilterClass, FilterPredicate, FilterTarget } from './filters';
export type { GraphNode } from './node';
export type { Key, Path } from './path';

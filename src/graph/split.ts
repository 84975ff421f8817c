/**
 * Taking a module graph apart: `treefySplit` (structure + state trees), `treefyStates`
 * (state trees only), `states` (the live states by path), `nodes` (the modules by path)
 * and `graphDef` (structure only). All of them are one {@link walk} plus filtering.
 */
import { FilterError } from '../errors';
import type { GraphNode as Module } from './node';
import type { State } from '../state/state';
import { compileFilters, describeFilter, Filter, Predicate } from './filters';
import { FlatDict } from './flat-dict';
import { GraphDef } from './graphdef';
import { buildTree, NestedDict } from './nested-dict';
import { formatPath, Path } from './path';
import { TreefyState } from './treefy-state';
import { walk, WalkedState } from './walker';

/** At most this many uncovered paths are listed in an error (then a count). */
const MAX_LISTED = 10;

/**
 * Puts each item in the group of the first filter that matches it. With `exhaustive`,
 * items no filter matches are a FilterError listing their paths.
 */
function partition<T>(fnName: string, items: readonly T[], pathOf: (t: T) => Path, valueOf: (t: T) => unknown,
  filters: readonly Filter[], preds: readonly Predicate[], exhaustive: boolean): T[][] {
  const groups: T[][] = preds.map(() => []);
  const missed: T[] = [];
  for (const item of items) {
    const path = pathOf(item);
    const value = valueOf(item);
    let i = 0;
    while (i < preds.length && !preds[i](path, value)) i++;
    if (i < preds.length) groups[i].push(item);
    else missed.push(item);
  }
  if (exhaustive && missed.length > 0) {
    const shown = missed.slice(0, MAX_LISTED).map((t) =>
      `${formatPath(pathOf(t))} (${(valueOf(t) as object).constructor.name})`);
    const more = missed.length > MAX_LISTED ? `, and ${missed.length - MAX_LISTED} more` : '';
    throw new FilterError(`${fnName}: expected every state to match one of the filters ` +
      `(${filters.map(describeFilter).join(', ')}), but ${missed.length} state${missed.length === 1 ? '' : 's'} ` +
      `match${missed.length === 1 ? 'es' : ''} none: ${shown.join(', ')}${more}; add '...' as the last filter ` +
      'to collect the rest (or add a filter that matches them).');
  }
  return groups;
}

/**
 * The filters of a call: a single `undefined` (an omitted optional filter passed on)
 * means none; any other `undefined` is left for `compileFilters` to report.
 */
function givenFilters(args: readonly (Filter | undefined)[]): Filter[] {
  return (args.length === 1 && args[0] === undefined ? [] : args) as Filter[];
}

/** The state groups of a walk as trees of `leaf(state)`. */
function stateTrees<L>(fnName: string, node: object, filters: readonly Filter[], exhaustive: boolean,
  recordStructure: boolean, leaf: (s: WalkedState) => L): { trees: NestedDict<L>[]; graphDef?: GraphDef } {
  // Compile first, so a malformed filter list fails before any walking.
  const preds = compileFilters(fnName, filters.length === 0 ? ['...'] : filters);
  const w = walk(node, fnName, recordStructure);
  const groups = partition(fnName, w.states, (s) => s.path, (s) => s.state, filters, preds, exhaustive);
  const trees = groups.map((g) => buildTree(g, (s) => s.path, leaf, fnName));
  return { trees, graphDef: recordStructure ? new GraphDef(w) : undefined };
}

/**
 * Splits a module into its structure and its states: `[graphDef, tree1, tree2, ...]`,
 * one tree per filter in order (no filter: one tree with every state). Each state goes
 * to the first filter that matches it; a state no filter matches is an error, so end
 * the list with `'...'` to collect the rest. Leaves are {@link TreefyState}s holding the
 * states' current tensors (read without registering a read under a transform).
 *
 * @example
 * ```ts
 * const lin = new TinyLinear();
 * const [graphDef, params, others] = bst.graph.treefySplit(lin, bst.ParamState, '...');
 * params.toFlat().keys();   // [['bias'], ['weight']]
 * console.log(params.bias.toString());
 * // TreefyState(
 * //   type=ParamState,
 * //   value=Tensor [0],
 * //   tag=undefined
 * // )
 * const copy = bst.graph.treefyMerge(graphDef, params, others);   // a new TinyLinear
 * ```
 * @param node - a module (or an array / plain object / Map of modules and states).
 * @param filters - see {@link Filter}.
 * @returns the GraphDef and one NestedDict per filter.
 * @throws FilterError when a state matches no filter, or `'...'` is not last.
 * @throws GraphError when `node` is not a module or container.
 * @see treefyMerge
 * @see treefyStates
 */
export function treefySplit<M extends object>(node: M, ...filters: []): [GraphDef<M>, NestedDict];
export function treefySplit<M extends object, F extends readonly [Filter, ...Filter[]]>(node: M, ...filters: F):
  [GraphDef<M>, ...{ -readonly [K in keyof F]: NestedDict }];
export function treefySplit(node: object, ...filters: Filter[]): [GraphDef<object>, ...NestedDict[]] {
  const { trees, graphDef } = stateTrees('graph.treefySplit', node, filters, true, true,
    (s) => TreefyState.fromState(s.state) as TreefyState);
  return [graphDef as GraphDef<object>, ...trees];
}

/**
 * The state trees of a module, without a GraphDef: one tree (no filter or one filter)
 * or one per filter. Unlike `treefySplit`, states no filter matches are left out.
 *
 * @example
 * ```ts
 * const params = bst.graph.treefyStates(lin, bst.ParamState);
 * params.toFlat().keys();   // [['bias'], ['weight']]
 * const [hidden, rest] = bst.graph.treefyStates(model, bst.HiddenState, '...');
 * ```
 * @param node - a module (or container of modules and states).
 * @param filters - see {@link Filter}.
 * @returns one NestedDict of TreefyStates, or an array of them.
 * @see treefySplit
 * @see states
 */
export function treefyStates(node: object, filters?: Filter): NestedDict;
export function treefyStates<F extends readonly [Filter, Filter, ...Filter[]]>(node: object, ...filters: F):
  { -readonly [K in keyof F]: NestedDict };
export function treefyStates(node: object, ...args: (Filter | undefined)[]): NestedDict | NestedDict[] {
  const filters = givenFilters(args);
  const { trees } = stateTrees('graph.treefyStates', node, filters, false, false,
    (s) => TreefyState.fromState(s.state) as TreefyState);
  return filters.length <= 1 ? trees[0] : trees;
}

/**
 * The live states of a module by path (not copies: writing `tree.count.value` writes
 * the module's state). One tree for no filter or one, else one per filter.
 *
 * @example
 * ```ts
 * const live = bst.graph.states(model, bst.HiddenState);
 * live.count.value = tf.scalar(0, 'int32');   // resets model.count
 * ```
 * @param node - a module (or container of modules and states).
 * @param filters - see {@link Filter}.
 * @returns one NestedDict of States, or an array of them.
 * @see treefyStates
 */
export function states(node: object, filters?: Filter): NestedDict<State>;
export function states<F extends readonly [Filter, Filter, ...Filter[]]>(node: object, ...filters: F):
  { -readonly [K in keyof F]: NestedDict<State> };
export function states(node: object, ...args: (Filter | undefined)[]): NestedDict<State> | NestedDict<State>[] {
  const filters = givenFilters(args);
  const { trees } = stateTrees('graph.states', node, filters, false, false, (s) => s.state as unknown as State);
  return filters.length <= 1 ? trees[0] : trees;
}

/**
 * The modules of a graph by path, the root at `[]`, each once (at its first path).
 * Filters select modules (a Module subclass, a predicate on path and module, ...).
 *
 * @example
 * ```ts
 * bst.graph.nodes(net).keys();                // [[], ['layers', 0], ['layers', 1]]
 * bst.graph.nodes(net, Linear).size;          // only the Linear layers
 * ```
 * @param node - a module (or container of modules).
 * @param filters - see {@link Filter}.
 * @returns one FlatDict of modules, or one per filter.
 */
export function nodes(node: object, filters?: Filter): FlatDict<Module>;
export function nodes<F extends readonly [Filter, Filter, ...Filter[]]>(node: object, ...filters: F):
  { -readonly [K in keyof F]: FlatDict<Module> };
export function nodes(node: object, ...args: (Filter | undefined)[]): FlatDict<Module> | FlatDict<Module>[] {
  const filters = givenFilters(args);
  const fnName = 'graph.nodes';
  const preds = compileFilters(fnName, filters.length === 0 ? ['...'] : filters);
  const modules = walk(node, fnName, false).nodes.filter((n) => n.kind === 'module');
  const groups = partition(fnName, modules, (n) => n.path, (n) => n.value, filters, preds, false);
  const flats = groups.map((g) => new FlatDict(g.map((n): [Path, Module] => [n.path, n.value as Module])));
  return filters.length <= 1 ? flats[0] : flats;
}

/**
 * The GraphDef of a module alone (what `treefySplit(node)[0]` is, without the trees).
 *
 * @example
 * ```ts
 * bst.graph.graphDef(lin).hash === bst.graph.graphDef(lin).hash;   // true
 * ```
 * @param node - a module (or container of modules and states).
 * @returns its GraphDef.
 */
export function graphDef<M extends object>(node: M): GraphDef<M> {
  return new GraphDef<M>(walk(node, 'graph.graphDef', true));
}

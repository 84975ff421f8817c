/**
 * Filters: how `treefySplit`, `treefyStates`, `states`, `nodes` and `NestedDict.filter`
 * choose states (or modules). Every filter form compiles to one predicate
 * `(path, value) => boolean`; a list of filters assigns each value to the first that
 * matches it.
 */
import { FilterError } from '../errors';
import type { GraphNode as Module } from './node';
import { State, StateValue } from '../state/state';
import { describeNonTensor } from '../state/tree';
import { quote } from '../util/pprint';
import { Key, Path } from './path';
import { TreefyState } from './treefy-state';
import { isGraphNode } from './walker';

/**
 * What a filter is asked about: a live state, a detached one, or (for `nodes`) a module.
 *
 * @example
 * ```ts
 * const isBig = (_path: bst.graph.Path, x: bst.graph.FilterTarget) => x instanceof bst.State && x.value.size > 100;
 * ```
 */
export type FilterTarget = State<StateValue> | TreefyState<StateValue> | Module;

/**
 * A filter written as a function of the path and the value. Declared in method syntax
 * so a predicate typed for one kind, `(path, s: State) => ...`, is accepted too.
 *
 * @example
 * ```ts
 * const firstLayer: bst.graph.FilterPredicate = (path) => path[0] === 'layers' && path[1] === 0;
 * bst.graph.treefyStates(mlp, firstLayer);
 * ```
 */
export type FilterPredicate = {
  bivarianceHack(path: Path, value: FilterTarget): boolean;
}['bivarianceHack'];

/**
 * A class to filter by: `State` subclasses, or `nn.Module` subclasses for `nodes`.
 *
 * @example
 * ```ts
 * bst.graph.treefyStates(model, bst.ParamState);   // states
 * bst.graph.nodes(model, Dense);                    // modules
 * ```
 */
export type FilterClass = abstract new (...args: never[]) => object;

/**
 * Any filter:
 * - a class: values that are instances of it (a `TreefyState` matches when its `type`
 *   is the class or a subclass);
 * - `'...'` or `true`: everything left (only allowed as the last filter);
 * - any other string: states whose tag is that string;
 * - a predicate `(path, value) => boolean`;
 * - an array: values matching any of its filters;
 * - `not(f)`, `all(...)`, `any(...)`, `pathContains(key)`.
 *
 * @example
 * ```ts
 * const [graphDef, params, fast, rest] = bst.graph.treefySplit(model, bst.ParamState, 'fast', '...');
 * ```
 */
export type Filter = FilterClass | FilterPredicate | string | true | readonly Filter[];

/** The compiled form of a filter. */
export type Predicate = (path: Path, value: unknown) => boolean;

/** The filter meaning "everything left". */
export const EVERYTHING = '...';

/** Printed forms of the combinators' predicates, for messages. */
const descriptions = new WeakMap<object, string>();
/** Compiled forms of the combinators' predicates, so they are not recompiled per call. */
const compiled = new WeakMap<object, Predicate>();

function isClassFilter(f: FilterClass | FilterPredicate): boolean {
  const proto: unknown = (f as { prototype?: unknown }).prototype;
  if (proto == null || typeof proto !== 'object') return false; // arrow functions have none
  if (f === State || proto instanceof State || isGraphNode(proto)) return true;
  return /^class[\s{]/.test(Function.prototype.toString.call(f));
}

function matchesClass(cls: FilterClass, value: unknown): boolean {
  if (value instanceof cls) return true;
  if (value instanceof TreefyState) return value.type === cls || value.type.prototype instanceof cls;
  return false;
}

const VALID_FORMS = "a State (or Module) subclass, '...', true, a tag string, a predicate (path, state) => boolean, " +
  'an array of filters, or graph.not / graph.all / graph.any / graph.pathContains(...)';

/**
 * Compiles one filter. `fnName` and `where` name the call and the filter in errors.
 * @internal
 */
export function toPredicate(filter: Filter, fnName: string, where = 'the filter'): Predicate {
  if (filter === EVERYTHING || filter === true) return () => true;
  if (typeof filter === 'string') return (_p, v) => v !== null && typeof v === 'object' && (v as { tag?: unknown }).tag === filter;
  if (Array.isArray(filter)) {
    const parts = (filter as readonly Filter[]).map((f, i) => toPredicate(f, fnName, `${where}[${i}]`));
    return (p, v) => parts.some((f) => f(p, v));
  }
  if (typeof filter === 'function') {
    const pre = compiled.get(filter);
    if (pre !== undefined) return pre;
    if (isClassFilter(filter)) return (_p, v) => matchesClass(filter as FilterClass, v);
    const pred = filter as FilterPredicate;
    return (p, v) => pred(p, v as FilterTarget) === true;
  }
  throw new FilterError(`${fnName}: expected ${where} to be ${VALID_FORMS}, but received ` +
    `${describeNonTensor(filter)}; pass one of those forms.`);
}

/**
 * Compiles a filter list, checking that `'...'` / `true` (everything left) is last.
 * @internal
 */
export function compileFilters(fnName: string, filters: readonly Filter[]): Predicate[] {
  filters.forEach((f, i) => {
    if ((f === EVERYTHING || f === true) && i !== filters.length - 1) {
      throw new FilterError(`${fnName}: expected ${describeFilter(f)} (everything left) only as the last filter, ` +
        `but it is filter ${i + 1} of ${filters.length} (${filters.map(describeFilter).join(', ')}), so the ` +
        'filters after it could never match; move it to the end.');
    }
  });
  return filters.map((f, i) => toPredicate(f, fnName, `filter ${i + 1}`));
}

/**
 * Prints a filter for messages: class names, quoted strings, combinators by their parts.
 *
 * @example
 * ```ts
 * describeFilter([bst.ParamState, 'fast']);   // [ParamState, tag 'fast']
 * ```
 * @param filter - the filter.
 * @returns its printed form.
 */
export function describeFilter(filter: Filter): string {
  if (filter === EVERYTHING) return quote(EVERYTHING);
  if (filter === true) return 'true';
  if (typeof filter === 'string') return `tag ${quote(filter)}`;
  if (Array.isArray(filter)) return `[${(filter as readonly Filter[]).map(describeFilter).join(', ')}]`;
  if (typeof filter === 'function') {
    const d = descriptions.get(filter);
    if (d !== undefined) return d;
    if (isClassFilter(filter)) return filter.name;
    return `predicate ${filter.name !== '' ? filter.name : '<anonymous>'}`;
  }
  return describeNonTensor(filter);
}

function combinator(description: string, pred: Predicate): FilterPredicate {
  const f: FilterPredicate = (path, value) => pred(path, value);
  descriptions.set(f, description);
  compiled.set(f, pred);
  return f;
}

/**
 * Matches what `filter` does not.
 *
 * @example
 * ```ts
 * const [params, rest] = bst.graph.treefyStates(model, bst.ParamState, bst.graph.not(bst.ParamState));
 * ```
 * @param filter - the filter to negate.
 * @returns a filter.
 * @see all
 * @see any
 */
export function not(filter: Filter): FilterPredicate {
  const f = toPredicate(filter, 'graph.not');
  return combinator(`not(${describeFilter(filter)})`, (p, v) => !f(p, v));
}

/**
 * Matches what every one of `filters` matches.
 *
 * @example
 * ```ts
 * bst.graph.treefyStates(model, bst.graph.all(bst.ParamState, 'encoder'));   // encoder params
 * ```
 * @param filters - the filters that must all match.
 * @returns a filter.
 * @see any
 */
export function all(...filters: Filter[]): FilterPredicate {
  const fs = filters.map((f, i) => toPredicate(f, 'graph.all', `filter ${i + 1}`));
  return combinator(`all(${filters.map(describeFilter).join(', ')})`, (p, v) => fs.every((f) => f(p, v)));
}

/**
 * Matches what at least one of `filters` matches (same as passing them as an array).
 *
 * @example
 * ```ts
 * bst.graph.treefyStates(model, bst.graph.any(bst.HiddenState, 'stats'));
 * ```
 * @param filters - the alternatives.
 * @returns a filter.
 * @see all
 */
export function any(...filters: Filter[]): FilterPredicate {
  const fs = filters.map((f, i) => toPredicate(f, 'graph.any', `filter ${i + 1}`));
  return combinator(`any(${filters.map(describeFilter).join(', ')})`, (p, v) => fs.some((f) => f(p, v)));
}

/**
 * Matches values whose path contains `key` at any depth.
 *
 * @example
 * ```ts
 * bst.graph.treefyStates(model, bst.graph.pathContains('encoder'));   // everything under any `encoder`
 * ```
 * @param key - a field name, array index or Map key.
 * @returns a filter.
 */
export function pathContains(key: Key): FilterPredicate {
  return combinator(`pathContains(${typeof key === 'number' ? key : quote(key)})`, (p) => p.includes(key));
}

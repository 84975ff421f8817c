/**
 * `NestedDict`: a state tree, keyed like the module it came from. Children are read as
 * properties (`tree.layers[0].weight`) or by path (`tree.get(['layers', 0, 'weight'])`);
 * it is a pytree container, so transforms map over its leaves.
 */
import { GraphError } from '../errors';
import { pprint, record, Doc } from '../util/pprint';
import { PYTREE_NODE, PytreeContainer, PytreeParts } from '../util/pytree';
import { compileFilters, Filter } from './filters';
import { assemble } from './assemble';
import { FlatDict } from './flat-dict';
import { compareKeys, comparePaths, formatKey, isKey, isSorted, Key, Path, pathKey } from './path';
import type { TreefyState } from './treefy-state';

/** Where a NestedDict keeps its children: own, non-enumerable, under a symbol no key can collide with. */
const ENTRIES: unique symbol = Symbol('brainstate.nestedDict.entries');

interface Entries<L> {
  /** The keys in {@link compareKeys} order. */
  readonly keys: readonly Key[];
  /** The children, in the order of `keys`. */
  readonly values: readonly (NestedDictBase<L> | L)[];
  /** Key → position, built on the first lookup in a large dict (most trees are only iterated). */
  index?: Map<Key, number>;
}

/** Up to this many keys, a lookup scans the keys instead of building an index. */
const SCAN_LIMIT = 8;

/** The position of `key` among `e`'s keys, or -1. */
function find<L>(e: Entries<L>, key: Key): number {
  if (e.keys.length <= SCAN_LIMIT) return e.keys.indexOf(key);
  if (e.index === undefined) e.index = new Map(e.keys.map((k, i) => [k, i]));
  return e.index.get(key) ?? -1;
}

/**
 * Property access on a {@link NestedDict}. The tree's shape is only known at run time,
 * so each child is typed as both a sub-tree and a leaf: `tree.count.value` and
 * `tree.layers[0].weight` type-check; reading a member the child does not have gives
 * `undefined`. `get(path)` returns the exact union instead.
 *
 * @example
 * ```ts
 * const w: tf.Tensor = tree.layers[0].weight.value;   // typed; `tree.get([...])` is the checked form
 * ```
 */
export interface NestedDictChildren<L> {
  readonly [key: string]: NestedDict<L> & L;
}

/**
 * The methods of a {@link NestedDict}; a child whose key is one of these names is
 * reachable by `get` only.
 *
 * @example
 * ```ts
 * tree.get(['map']);   // a child keyed 'map' (tree.map is the method)
 * ```
 */
export class NestedDictBase<L> implements PytreeContainer {
  declare private readonly [ENTRIES]: Entries<L>;

  /**
   * @param children - `[key, child]` pairs or a plain object of children; a child that
   *   is a NestedDict is a sub-tree, anything else a leaf.
   * @throws GraphError for a key that is not a string or finite number, or given twice.
   */
  constructor(children: Iterable<readonly [Key, NestedDict<L> | L]> | { readonly [key: string]: NestedDict<L> | L } = []) {
    const pairs: (readonly [Key, NestedDict<L> | L])[] = Symbol.iterator in children
      ? [...(children as Iterable<readonly [Key, NestedDict<L> | L]>)]
      : Object.entries(children as { readonly [key: string]: NestedDict<L> | L });
    const seen = new Set<Key>();
    for (const [k] of pairs) {
      if (!isKey(k) || seen.has(k)) {
        throw new GraphError(`NestedDict: expected each key once, as a string or finite number, but got ` +
          `${seen.has(k) ? `${formatKey(k)} twice` : `the key ${String(k)}`}; give each child one distinct key.`);
      }
      seen.add(k);
    }
    if (!isSorted(pairs.map((p) => p[0]))) pairs.sort((a, b) => compareKeys(a[0], b[0]));
    init(this, pairs.map((p) => p[0]), pairs.map((p) => p[1]));
  }

  /**
   * Builds a tree from leaves by path (the inverse of `toFlat`); children end up in key order.
   *
   * @example
   * ```ts
   * const tree = bst.NestedDict.fromFlat(params.toFlat());   // equal to params
   * ```
   * @param flat - a FlatDict or `[path, leaf]` pairs.
   * @returns the tree.
   * @throws GraphError when a path is empty, repeated, or both a leaf and a prefix of another path.
   */
  static fromFlat<L>(flat: FlatDict<L> | Iterable<readonly [Path, L]>): NestedDict<L> {
    return buildTree(flat, (e) => e[0], (e) => e[1], 'NestedDict.fromFlat');
  }

  /**
   * The child at `path` (a sub-tree or a leaf), or undefined. `[]` is the tree itself.
   * A numeric string finds a number key and the reverse, when that is unambiguous.
   *
   * @example
   * ```ts
   * tree.get(['layers', 0, 'weight']);   // same as tree.layers[0].weight
   * tree.get('bias');                    // a single key is a path of length one
   * ```
   * @param path - the keys from this tree down.
   * @returns the sub-tree or leaf.
   */
  get(path: Path | Key): NestedDict<L> | L | undefined {
    const keys: Path = Array.isArray(path) ? path : [path as Key];
    let cur: NestedDictBase<L> | L = this;
    for (const k of keys) {
      if (!(cur instanceof NestedDictBase)) return undefined;
      const e: Entries<L> = cur[ENTRIES];
      let i = find(e, k);
      if (i < 0) {
        const alt = typeof k === 'number' ? String(k) : /^(0|[1-9]\d*)$/.test(k) ? Number(k) : undefined;
        if (alt !== undefined) i = find(e, alt);
        if (i < 0) return undefined;
      }
      cur = e.values[i];
    }
    return cur as NestedDict<L> | L;
  }

  /**
   * The top-level children as `[key, child]` pairs, in key order.
   *
   * @example
   * ```ts
   * for (const [key, child] of grads.items()) console.log('grad', key, child.toString());
   * ```
   * @returns the pairs.
   */
  items(): [Key, NestedDict<L> | L][] {
    const { keys, values } = this[ENTRIES];
    return keys.map((k, i) => [k, values[i] as NestedDict<L> | L]);
  }

  /**
   * The leaves by full path, in order.
   *
   * @example
   * ```ts
   * bst.graph.treefyStates(lin, bst.ParamState).toFlat().keys();   // [['bias'], ['weight']]
   * ```
   * @returns a FlatDict.
   * @see NestedDict.fromFlat
   */
  toFlat(): FlatDict<L> {
    const out: [Path, L][] = [];
    eachLeaf(this, [], (p, leaf) => out.push([p, leaf]));
    return new FlatDict(out);
  }

  /**
   * A tree of the same shape with `fn` applied to every leaf.
   *
   * @example
   * ```ts
   * const shapes = params.map((s) => s.value.shape);
   * const halved = params.map((s) => s.replace(tf.mul(s.value, 0.5)));
   * ```
   * @param fn - called with each leaf and its path.
   * @returns the new tree.
   */
  map<R>(fn: (leaf: L, path: Path) => R): NestedDict<R> {
    const go = (d: NestedDictBase<L>, prefix: Key[]): NestedDict<R> => {
      const { keys, values } = d[ENTRIES];
      const out = values.map((c, i): NestedDictBase<R> | R => {
        prefix.push(keys[i]);
        const r = c instanceof NestedDictBase ? go(c, prefix) : fn(c, prefix.slice());
        prefix.pop();
        return r;
      });
      return make(keys, out);
    };
    return go(this, []);
  }

  /**
   * The leaves matching a filter, as a tree (several filters: one tree each, every leaf
   * in the first that matches; leaves matching none are left out).
   *
   * @example
   * ```ts
   * const params = all.filter(bst.ParamState);
   * const [fast, slow] = all.filter('fast', '...');
   * ```
   * @param filters - the filters (see `graph.Filter`); none keeps everything.
   * @returns one tree, or one per filter.
   */
  filter(filters?: Filter): NestedDict<L>;
  filter<F extends readonly [Filter, Filter, ...Filter[]]>(...filters: F): { -readonly [K in keyof F]: NestedDict<L> };
  filter(...args: (Filter | undefined)[]): NestedDict<L> | NestedDict<L>[] {
    // A single `undefined` is an omitted optional filter passed on: no filter.
    const filters = (args.length === 1 && args[0] === undefined ? [] : args) as Filter[];
    const preds = compileFilters('NestedDict.filter', filters.length === 0 ? ['...'] : filters);
    const groups: [Path, L][][] = preds.map(() => []);
    eachLeaf(this, [], (p, leaf) => {
      const i = preds.findIndex((f) => f(p, leaf));
      if (i >= 0) groups[i].push([p, leaf]);
    });
    const trees = groups.map((g) => buildTree(g, (e) => e[0], (e) => e[1], 'NestedDict.filter'));
    return filters.length <= 1 ? trees[0] : trees;
  }

  /**
   * The union of this tree and `others`; where they share a path, the later one wins.
   *
   * @example
   * ```ts
   * const everything = params.merge(others);
   * ```
   * @param others - trees to merge in, in order.
   * @returns the merged tree.
   * @throws GraphError when a path is a leaf in one tree and a sub-tree in another.
   */
  merge(...others: NestedDictBase<L>[]): NestedDict<L> {
    const byPath = new Map<string, [Path, L]>();
    for (const t of [this, ...others]) {
      if (!(t instanceof NestedDictBase)) {
        throw new GraphError(`NestedDict.merge: expected NestedDicts to merge, but received ${String(t)}; ` +
          'pass trees made by treefySplit / treefyStates or new NestedDict(...).');
      }
      eachLeaf(t, [], (p, leaf) => byPath.set(pathKey(p), [p, leaf]));
    }
    const entries = [...byPath.values()].sort((a, b) => comparePaths(a[0], b[0]));
    return buildTree(entries, (e) => e[0], (e) => e[1], 'NestedDict.merge');
  }

  /** The tree with one `key=child` per line, children in key order. */
  toString(): string {
    return pprint(toDoc(this));
  }

  /** Pytree protocol: the top-level children in key order; the keys are structure. */
  [PYTREE_NODE](): PytreeParts {
    const { keys, values } = this[ENTRIES];
    return {
      children: values,
      meta: `NestedDict${JSON.stringify(keys)}`,
      rebuild: (cs: unknown[]) => make(keys, cs as (NestedDictBase<L> | L)[]),
    };
  }
}

/**
 * A state tree (BrainState's `NestedDict`): leaves (`TreefyState`s from `treefySplit` /
 * `treefyStates`, live `State`s from `graph.states`) under the keys of the module's
 * fields, array indices and Map keys, each level in key order. Immutable: `map`,
 * `filter` and `merge` make new trees.
 *
 * @example
 * ```ts
 * const [graphDef, hidden] = bst.graph.treefySplit(model, bst.HiddenState);
 * hidden.count.value;                  // the count tensor
 * hidden.get(['sum']);                 // the sum's TreefyState
 * hidden.toFlat().keys();              // [['count'], ['sum']]
 * ```
 * @see FlatDict
 * @see graph.treefySplit
 */
export type NestedDict<L = TreefyState> = NestedDictBase<L> & NestedDictChildren<L>;

/**
 * The constructor of {@link NestedDict}.
 *
 * @example
 * ```ts
 * const tree = bst.NestedDict.fromFlat([[['a', 0], leaf]]);
 * ```
 */
export interface NestedDictConstructor {
  new <L = TreefyState>(children?: Iterable<readonly [Key, NestedDict<L> | L]> |
    { readonly [key: string]: NestedDict<L> | L }): NestedDict<L>;
  readonly prototype: NestedDictBase<unknown>;
  fromFlat<L>(flat: FlatDict<L> | Iterable<readonly [Path, L]>): NestedDict<L>;
}

/**
 * Makes a state tree from `[key, child]` pairs or a plain object of children (a child
 * that is a NestedDict is a sub-tree, anything else a leaf); `NestedDict.fromFlat`
 * makes one from leaves by path.
 *
 * @example
 * ```ts
 * const t = new bst.NestedDict({ w: new bst.TreefyState(bst.ParamState, tf.scalar(1)) });
 * t.w.value;   // the scalar
 * ```
 */
export const NestedDict = NestedDictBase as unknown as NestedDictConstructor;

/**
 * Stores the children and makes one enumerable property per reachable key, then freezes
 * the tree. Plain assignment then one freeze is several times cheaper than a
 * defineProperty per key, which matters for trees of thousands of states.
 */
function init<L>(self: NestedDictBase<L>, keys: readonly Key[], values: readonly (NestedDictBase<L> | L)[]): void {
  Object.defineProperty(self, ENTRIES, { value: { keys, values }, enumerable: false });
  const props = self as unknown as Record<string, unknown>;
  const proto = NestedDictBase.prototype;
  for (let i = 0; i < keys.length; i++) {
    const name = String(keys[i]);
    // Method names (and Object.prototype's, `__proto__` included) stay methods; `0` and `'0'` share a name.
    if (name in proto || Object.prototype.hasOwnProperty.call(props, name)) continue;
    props[name] = values[i];
  }
  Object.freeze(self);
}

/** A NestedDict from keys already in order (skips validation: internal builders only). */
function make<L>(keys: readonly Key[], values: readonly (NestedDictBase<L> | L)[]): NestedDict<L> {
  const self = Object.create(NestedDictBase.prototype) as NestedDictBase<L>;
  init(self, keys, values);
  return self as NestedDict<L>;
}

/** Calls `fn` with every leaf and its path (a fresh array), depth first in key order. */
export function eachLeaf<L>(d: NestedDictBase<L>, prefix: Key[], fn: (path: Path, leaf: L) => void): void {
  const { keys, values } = d[ENTRIES];
  for (let i = 0; i < keys.length; i++) {
    const c = values[i];
    prefix.push(keys[i]);
    if (c instanceof NestedDictBase) eachLeaf(c, prefix, fn);
    else fn(prefix.slice(), c);
    prefix.pop();
  }
}

/**
 * Assembles a tree from items that each give a path and a leaf (see {@link assemble}).
 * @internal
 */
export function buildTree<T, L>(items: Iterable<T>, pathOf: (item: T) => Path, leafOf: (item: T) => L,
  fnName: string): NestedDict<L> {
  return assemble<T, L, NestedDict<L>>(items, pathOf, leafOf, fnName, make);
}

function toDoc<L>(d: NestedDictBase<L>): Doc {
  const { keys, values } = d[ENTRIES];
  return record('NestedDict', keys.map((k, i) => {
    const c = values[i];
    return [formatKey(k), c instanceof NestedDictBase ? toDoc(c) : String(c)];
  }));
}

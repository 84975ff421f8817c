/**
 * Assembling nested levels from flat `[path, leaf]` items: the one place where a list of
 * paths becomes a tree, used by every NestedDict builder (split, filter, merge, fromFlat).
 * Kept apart from NestedDict so the grouping logic can be read (and tested) on its own.
 */
import { GraphError } from '../errors';
import { compareKeys, formatPath, isKey, Key, Path } from './path';

/**
 * An inner node while a tree is assembled from paths (never a leaf). Keys are appended
 * in arrival order; while they arrive sorted (as the walker produces them) the child to
 * extend is always the last one, so no index is needed and no sort at the end.
 */
class Branch<L> {
  readonly keys: Key[] = [];
  readonly values: (Branch<L> | L)[] = [];
  sorted = true;
  index: Map<Key, number> | undefined;

  /** The position of `key`, or -1. */
  find(key: Key): number {
    const n = this.keys.length;
    if (n === 0) return -1;
    if (this.keys[n - 1] === key) return n - 1;
    if (this.sorted && compareKeys(this.keys[n - 1], key) < 0) return -1;
    if (this.index === undefined) this.index = new Map(this.keys.map((k, i) => [k, i]));
    return this.index.get(key) ?? -1;
  }

  add(key: Key, value: Branch<L> | L): void {
    const n = this.keys.length;
    if (n > 0 && compareKeys(this.keys[n - 1], key) > 0) this.sorted = false;
    this.index?.set(key, n);
    this.keys.push(key);
    this.values.push(value);
  }
}

/**
 * Assembles a tree from items that each give a path and a leaf: groups them level by
 * level and calls `make(keys, children)` for every level, bottom up, keys in
 * {@link compareKeys} order. Items already in path order (as the walker produces them)
 * build every level without an index or a sort.
 *
 * @example
 * ```ts
 * assemble([[['a', 1], 'x'], [['a', 0], 'y']], (e) => e[0], (e) => e[1], 'demo',
 *   (keys, values) => Object.fromEntries(keys.map((k, i) => [k, values[i]])));   // { a: { 0: 'y', 1: 'x' } }
 * ```
 * @param items - anything that gives a path and a leaf.
 * @param pathOf - the item's path (non-empty).
 * @param leafOf - the item's leaf.
 * @param fnName - the public function assembling, for errors.
 * @param make - builds one level from its keys and children.
 * @returns the root level.
 * @throws GraphError when a path is empty, repeated, or runs through a leaf.
 */
export function assemble<T, L, N>(items: Iterable<T>, pathOf: (item: T) => Path, leafOf: (item: T) => L,
  fnName: string, make: (keys: readonly Key[], values: readonly (N | L)[]) => N): N {
  const root = new Branch<L>();
  const clash = (p: Path, what: string): GraphError => new GraphError(`${fnName}: expected each path once and ` +
    `no path inside a leaf, but ${formatPath(p)} ${what}; give every leaf its own path.`);
  for (const item of items) {
    const path = pathOf(item);
    if (path.length === 0 || !path.every(isKey)) {
      throw new GraphError(`${fnName}: expected a non-empty path of strings and finite numbers, but got ` +
        `${formatPath(path)}; the root of a tree cannot be a leaf.`);
    }
    let b = root;
    for (let i = 0; i < path.length - 1; i++) {
      const j = b.find(path[i]);
      if (j < 0) {
        const nb = new Branch<L>();
        b.add(path[i], nb);
        b = nb;
      } else if (b.values[j] instanceof Branch) {
        b = b.values[j] as Branch<L>;
      } else {
        throw clash(path, `runs through the leaf at ${formatPath(path.slice(0, i + 1))}`);
      }
    }
    const last = path[path.length - 1];
    if (b.find(last) >= 0) throw clash(path, 'appears twice, or is both a leaf and a sub-tree');
    b.add(last, leafOf(item));
  }
  const finish = (b: Branch<L>): N => {
    // Branches become levels in place: the arrays are handed over, not copied.
    const values = b.values as (Branch<L> | N | L)[];
    for (let i = 0; i < values.length; i++) {
      const c = values[i];
      if (c instanceof Branch) values[i] = finish(c);
    }
    if (b.sorted) return make(b.keys, values as (N | L)[]);
    const order = b.keys.map((_k, i) => i).sort((x, y) => compareKeys(b.keys[x], b.keys[y]));
    return make(order.map((i) => b.keys[i]), order.map((i) => values[i] as N | L));
  };
  return finish(root);
}

/**
 * Keys and paths: how the graph walker names where a state or module sits.
 *
 * A path is an array of keys from the root (`['layers', 0, 'weight']`). At every level
 * keys are sorted with {@link compareKeys}, so the order of paths, trees and GraphDefs
 * never depends on the order in which fields happened to be assigned.
 */
import { quote } from './pprint';

/**
 * One step of a path: a field or object key (string) or an array index / Map key (number).
 *
 * @example
 * ```ts
 * const key: bst.graph.Key = 'layers';
 * ```
 */
export type Key = string | number;

/**
 * The keys from the root to a state or node; `[]` is the root itself.
 *
 * @example
 * ```ts
 * const path: bst.graph.Path = ['layers', 0, 'weight'];
 * tree.get(path);
 * ```
 */
export type Path = readonly Key[];

/**
 * The order of keys at one level: numbers ascending before strings, strings by UTF-16
 * code unit (as `Array.prototype.sort` does with no comparator), so it is total and
 * locale-independent.
 *
 * @example
 * ```ts
 * [2, 'b', 0, 'a'].sort(compareKeys);   // [0, 2, 'a', 'b']
 * ```
 * @param a - a key.
 * @param b - another key.
 * @returns negative, zero or positive, as `Array.prototype.sort` expects.
 */
export function compareKeys(a: Key, b: Key): number {
  if (typeof a === 'number') return typeof b === 'number' ? a - b : -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The order of whole paths: lexicographic under {@link compareKeys}, a prefix first.
 * It is the order in which the walker meets states, and the order of `toFlat().keys()`.
 *
 * @example
 * ```ts
 * [['b'], ['a', 1], ['a']].sort(comparePaths);   // [['a'], ['a', 1], ['b']]
 * ```
 * @param a - a path.
 * @param b - another path.
 * @returns negative, zero or positive.
 */
export function comparePaths(a: Path, b: Path): number {
  for (let i = 0; i < a.length && i < b.length; i++) {
    const c = compareKeys(a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** True when `keys` is already in {@link compareKeys} order (lets builders skip a sort). */
export function isSorted(keys: readonly Key[]): boolean {
  for (let i = 1; i < keys.length; i++) if (compareKeys(keys[i - 1], keys[i]) > 0) return false;
  return true;
}

/**
 * A string that is equal for two paths exactly when the paths are equal (`0` and `'0'`
 * differ), for use as a Map key.
 *
 * @example
 * ```ts
 * pathKey(['layers', 0]);   // '["layers",0]'
 * ```
 * @param path - the path.
 * @returns its key.
 */
export function pathKey(path: Path): string {
  return JSON.stringify(path);
}

/**
 * Prints a key as messages and GraphDefs show it: numbers bare, identifier-like strings
 * bare, other strings quoted (so `0` and `'0'` print differently).
 *
 * @example
 * ```ts
 * formatKey('weight'); formatKey(0); formatKey('0');   // weight, 0, '0'
 * ```
 * @param key - the key.
 * @returns its printed form.
 */
export function formatKey(key: Key): string {
  if (typeof key === 'number') return String(key);
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : quote(key);
}

/**
 * Prints a path as a TypeScript array literal, as error messages show it.
 *
 * @example
 * ```ts
 * formatPath(['layers', 0, 'weight']);   // ['layers', 0, 'weight']
 * ```
 * @param path - the path.
 * @returns its printed form.
 */
export function formatPath(path: Path): string {
  return `[${path.map((k) => (typeof k === 'number' ? String(k) : quote(k))).join(', ')}]`;
}

/** True for a valid path key: a string, or a finite number (NaN and ±Infinity do not sort or print). */
export function isKey(x: unknown): x is Key {
  return typeof x === 'string' || (typeof x === 'number' && Number.isFinite(x));
}

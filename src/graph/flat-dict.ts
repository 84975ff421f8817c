/**
 * `FlatDict`: leaves by full path, in order. The flat view of a {@link NestedDict}
 * (`tree.toFlat()`), and what `graph.nodes` returns.
 */
import { GraphError } from '../errors';
import { list, pprint, record } from '../util/pprint';
import { formatPath, Key, Path, pathKey } from './path';

/**
 * An ordered map from paths (arrays of keys) to leaves. Paths are compared by value
 * (`get(['layers', 0])` finds the entry made with another array of the same keys).
 * Immutable once made.
 *
 * @example
 * ```ts
 * const flat = bst.graph.treefyStates(lin, bst.ParamState).toFlat();
 * flat.keys();             // [['bias'], ['weight']]
 * flat.get(['weight']);    // the weight's TreefyState
 * flat.size;               // 2
 * ```
 * @see NestedDict
 */
export class FlatDict<L> implements Iterable<[Path, L]> {
  private readonly paths: Path[] = [];
  private readonly leaves: L[] = [];
  /** Built on the first `get`/`has`: walks that only iterate never pay for it. */
  private index: Map<string, number> | undefined;

  /**
   * @param entries - `[path, leaf]` pairs, kept in this order.
   * @throws GraphError when a path appears twice.
   */
  constructor(entries: Iterable<readonly [Path, L]> = []) {
    for (const [path, leaf] of entries) {
      this.paths.push(path);
      this.leaves.push(leaf);
    }
    // Checked eagerly so a malformed FlatDict is an error where it is made.
    if (this.paths.length > 1) this.lookup();
  }

  private lookup(): Map<string, number> {
    if (this.index === undefined) {
      const index = new Map<string, number>();
      this.paths.forEach((p, i) => {
        const k = pathKey(p);
        if (index.has(k)) {
          throw new GraphError(`FlatDict: expected each path once, but ${formatPath(p)} appears twice; ` +
            'merge the two entries first.');
        }
        index.set(k, i);
      });
      this.index = index;
    }
    return this.index;
  }

  /** The number of entries. */
  get size(): number {
    return this.paths.length;
  }

  /** The paths, in order (`[['bias'], ['weight']]`). */
  keys(): Path[] {
    return this.paths.slice();
  }

  /** The leaves, in path order. */
  values(): L[] {
    return this.leaves.slice();
  }

  /** `[path, leaf]` pairs, in order. */
  entries(): [Path, L][] {
    return this.paths.map((p, i) => [p, this.leaves[i]]);
  }

  /**
   * The leaf at `path`, or undefined.
   * @param path - the full path (a single key is the path of length one).
   */
  get(path: Path | Key): L | undefined {
    const i = this.lookup().get(pathKey(Array.isArray(path) ? path : [path as Key]));
    return i === undefined ? undefined : this.leaves[i];
  }

  /** Whether there is a leaf at `path`. */
  has(path: Path | Key): boolean {
    return this.lookup().has(pathKey(Array.isArray(path) ? path : [path as Key]));
  }

  [Symbol.iterator](): Iterator<[Path, L]> {
    return this.entries()[Symbol.iterator]();
  }

  /** One `path: leaf` per line (leaves printed with their own `toString`). */
  toString(): string {
    return pprint(record('FlatDict', [['entries', list(this.paths.map((p, i) =>
      `${formatPath(p)}: ${String(this.leaves[i])}`))]]));
  }
}

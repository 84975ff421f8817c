/**
 * Iterating over a module graph, BrainState's `iter_leaf` / `iter_node`: every leaf
 * (state or static attribute) and every module, with its path, in the walker's order.
 * Both run over one {@link walk}, so they agree with `states`, `nodes` and `treefySplit`
 * on what is a state, what is a node, and under which path each is found.
 */
import { GraphError } from '../errors';
import type { GraphNode as Module } from './node';
import type { State, StateValue } from '../state/state';
import { Key, Path } from './path';
import { walk, WalkedNode } from './walker';

/** Options of {@link iterLeaf} and {@link iterNode}. */
export interface IterOptions {
  /**
   * `[lo, hi]`: only items at a module depth in this range (BrainState's
   * `allowed_hierarchy`). The root is at depth 0; the depth grows by one each time the
   * walk enters a module (containers do not count). Default `[0, Infinity]`.
   */
  allowedHierarchy?: readonly [number, number];
}

function hierarchy(options: IterOptions | undefined, fnName: string): [number, number] {
  const h = options?.allowedHierarchy;
  if (h === undefined) return [0, Infinity];
  const ok = Array.isArray(h) && h.length === 2 && h.every((x) => typeof x === 'number' && x >= 0 &&
    (Number.isInteger(x) || x === Infinity));
  if (!ok) {
    throw new GraphError(`${fnName}: expected allowedHierarchy to be [lo, hi], two non-negative integers ` +
      `(hi may be Infinity), but got ${JSON.stringify(h)}; pass e.g. [1, 1] for the root's direct sub-modules.`);
  }
  return [h[0], h[1]];
}

type Visit = { kind: 'leaf'; path: Path; value: unknown } | { kind: 'node'; path: Path; value: Module };

/**
 * The shared traversal: each node once (by identity), each state once (at its first
 * path), static attributes at every slot of a visited node; modules after their children.
 */
function* traverse(root: object, fnName: string, lo: number, hi: number): Generator<Visit> {
  const w = walk(root, fnName, true);
  const visited = new Set<number>();
  const seenStates = new Set<number>();
  function* visit(node: WalkedNode, path: Key[], level: number): Generator<Visit> {
    if (level > hi || visited.has(node.index)) return;
    visited.add(node.index);
    for (const [key, ref] of node.entries) {
      path.push(key);
      if (ref.kind === 'node') {
        const child = w.nodes[ref.index];
        yield* visit(child, path, child.kind === 'module' ? level + 1 : level);
      } else if (level >= lo) {
        if (ref.kind === 'state') {
          if (!seenStates.has(ref.index)) {
            seenStates.add(ref.index);
            yield { kind: 'leaf', path: Object.freeze(path.slice()), value: w.states[ref.index].state };
          }
        } else {
          yield { kind: 'leaf', path: Object.freeze(path.slice()), value: ref.value };
        }
      }
      path.pop();
    }
    if (node.kind === 'module' && level >= lo) {
      yield { kind: 'node', path: Object.freeze(path.slice()), value: node.value as Module };
    }
  }
  yield* visit(w.nodes[0], [], 0);
}

/**
 * Iterates `[path, leaf]` over every leaf of a graph, as BrainState's `iter_leaf`: each
 * state once (at its first path, so a shared state appears once) and every static
 * attribute (a number, a string, a tensor that is not in a state, a container without
 * states: kept whole, as the walker keeps it) of every module and container, each
 * module or container visited once. Lazy: stop early with `break`.
 *
 * @example
 * ```ts
 * class Lin extends bst.nn.Module {
 *   weight = new bst.ParamState(tf.ones([3, 4]));
 *   bias = new bst.ParamState(tf.zeros([4]));
 *   a = 1;
 * }
 * const lin = new Lin();
 * for (const [path, leaf] of bst.graph.iterLeaf([lin, lin])) console.log(path, String(leaf));
 * // [ 0, 'a' ] 1
 * // [ 0, 'bias' ] ParamState(value=Tensor[4] float32, tag=undefined)
 * // [ 0, 'weight' ] ParamState(value=Tensor[3,4] float32, tag=undefined)
 * ```
 * @param node - a module, or an array / plain object / Map of modules and states.
 * @param options - `allowedHierarchy: [lo, hi]`, the module depths to include.
 * @returns a generator of `[path, leaf]`; a leaf is a live `State` or a static value.
 * @throws GraphError when `node` is not a module or container.
 * @see iterNode
 * @see states
 */
export function* iterLeaf(node: object, options?: IterOptions): Generator<[Path, State<StateValue> | unknown]> {
  const [lo, hi] = hierarchy(options, 'graph.iterLeaf');
  for (const v of traverse(node, 'graph.iterLeaf', lo, hi)) if (v.kind === 'leaf') yield [v.path, v.value];
}

/**
 * Iterates `[path, module]` over every module of a graph, each once (at its first
 * path), children before their parent, the root last at `[]` (BrainState's
 * `iter_node` order). Containers are walked through but not yielded.
 *
 * @example
 * ```ts
 * class Net extends bst.nn.Module {
 *   a = new bst.nn.Linear(1, 2);
 *   b = [new bst.nn.Linear(2, 3)];
 * }
 * const net = new Net();
 * for (const [path, m] of bst.graph.iterNode([net, net])) console.log(path, m.constructor.name);
 * // [ 0, 'a' ] Linear
 * // [ 0, 'b', 0 ] Linear
 * // [ 0 ] Net
 * [...bst.graph.iterNode(net, { allowedHierarchy: [1, 1] })].length;   // 2: a and b[0]
 * ```
 * @param node - a module, or an array / plain object / Map of modules and states.
 * @param options - `allowedHierarchy: [lo, hi]`, the module depths to include.
 * @returns a generator of `[path, module]`.
 * @throws GraphError when `node` is not a module or container.
 * @see iterLeaf
 * @see nodes
 */
export function* iterNode(node: object, options?: IterOptions): Generator<[Path, Module]> {
  const [lo, hi] = hierarchy(options, 'graph.iterNode');
  for (const v of traverse(node, 'graph.iterNode', lo, hi)) if (v.kind === 'node') yield [v.path, v.value];
}

/**
 * The in-place graph operations of BrainState: `popStates` (detach states from their
 * modules and return them) and `updateStates` (write trees of values back into a graph,
 * grafting states under keys a module no longer has). Both check the whole request
 * before changing anything, so a call that throws leaves the graph and every state as
 * it was.
 */
import { declaredFields, decoratedStates } from './node-metadata';
import { GraphError } from '../errors';
import { State, StateValue } from '../state/state';
import { describeNonTensor, isPlainObject, stateValueProblem } from '../state/tree';
import { compileFilters, describeFilter, Filter } from './filters';
import { FlatDict } from './flat-dict';
import { buildTree, NestedDict, NestedDictBase } from './nested-dict';
import { formatPath, Key, Path } from './path';
import { TreefyState } from './treefy-state';
import { isGraphNode, walk } from './walker';

/** A module slot to empty: the module, the key, and whether a decorator declared it. */
interface Slot {
  readonly module: object;
  readonly key: string;
  readonly decorated: boolean;
}

/**
 * Removes the states the filters match from their modules and returns them, as
 * BrainState's `graph.popStates`: one NestedDict of the live `State` objects per filter
 * (one filter: one tree), each state in the first filter that matches it, at its first
 * path. A shared state is returned once and removed from every module slot that holds
 * it. The module keeps working for what was not popped; `updateStates` puts popped
 * states back.
 *
 * States held in arrays, plain objects or Maps cannot be popped (as in BrainState, where
 * they are immutable pytrees): that is an error naming the path, and nothing is removed.
 *
 * @example
 * ```ts
 * class Net extends bst.nn.Module {
 *   w = new bst.ParamState(tf.ones([2]));
 *   h = new bst.HiddenState(tf.zeros([2]), { tag: 'new' });
 * }
 * const net = new Net();
 * const popped = bst.graph.popStates(net, 'new');
 * console.log(popped.toString());
 * // NestedDict(
 * //   h=HiddenState(value=Tensor[2] float32, tag=new)
 * // )
 * net.h;                                  // undefined
 * bst.graph.updateStates(net, popped);    // grafts it back
 * ```
 * @param node - a module (or an array / plain object / Map of modules and states).
 * @param filters - at least one; see {@link Filter}.
 * @returns the removed states: one NestedDict, or one per filter.
 * @throws GraphError when no filter is given, or a matched state sits in a container.
 * @see updateStates
 * @see states
 */
export function popStates(node: object, filters: Filter): NestedDict<State>;
export function popStates<F extends readonly [Filter, Filter, ...Filter[]]>(node: object, ...filters: F):
  { -readonly [K in keyof F]: NestedDict<State> };
export function popStates(node: object, ...filters: Filter[]): NestedDict<State> | NestedDict<State>[] {
  const fnName = 'graph.popStates';
  if (filters.length === 0) {
    throw new GraphError(`${fnName}: expected at least one filter (BrainState: 'Expected at least one filter'), ` +
      'got none; pass the kind or tag of the states to remove, e.g. popStates(model, bst.ShortTermState).');
  }
  const preds = compileFilters(fnName, filters);
  const w = walk(node, fnName, true);
  const groups: { path: Path; state: State<StateValue> }[][] = preds.map(() => []);
  const popped = new Set<number>();
  for (const s of w.states) {
    const i = preds.findIndex((p) => p(s.path, s.state));
    if (i < 0) continue;
    groups[i].push({ path: s.path, state: s.state });
    popped.add(s.index);
  }
  // Every slot that holds a popped state, checked before any is emptied.
  const slots: Slot[] = [];
  for (const n of w.nodes) {
    for (const [key, ref] of n.entries) {
      if (ref.kind !== 'state' || !popped.has(ref.index)) continue;
      if (n.kind !== 'module') {
        throw new GraphError(`${fnName}: expected the states matched by ${filters.map(describeFilter).join(', ')} ` +
          `to sit in module fields, but ${formatPath([...n.path, key])} is an element of ${n.kind === 'array'
            ? 'an array' : n.kind === 'map' ? 'a Map' : 'a plain object'}, which cannot be popped from (as in ` +
          'BrainState, containers are immutable pytrees); nothing was removed. Filter it out, or hold the state in a ' +
          'module field.');
      }
      slots.push({ module: n.value, key: key as string, decorated: ref.decorated });
    }
  }
  for (const { module, key, decorated } of slots) {
    if (decorated) decoratedStates(module).delete(key);
    else delete (module as Record<string, unknown>)[key];
  }
  const trees = groups.map((g) => buildTree(g, (e) => e.path, (e) => e.state as unknown as State, fnName));
  return filters.length === 1 ? trees[0] : trees;
}

/** One change `updateStates` makes, planned before any is made. */
type Change =
  | { kind: 'write'; state: State<StateValue>; value: StateValue }
  | { kind: 'graft'; module: object; key: string; leaf: TreefyState<StateValue> | State<StateValue>; decorated: boolean };

/** The value in slot `key` of a module or container, and whether the slot exists. */
function slotOf(target: object, key: Key): { present: boolean; value: unknown } {
  if (isGraphNode(target)) {
    const k = String(key);
    const d = decoratedStates(target).get(k);
    if (d !== undefined) return { present: true, value: d };
    const own = Object.prototype.hasOwnProperty.call(target, k);
    return { present: own, value: own ? (target as unknown as Record<string, unknown>)[k] : undefined };
  }
  if (target instanceof Map) return { present: target.has(key), value: target.get(key) };
  if (Array.isArray(target)) {
    const i = typeof key === 'number' ? key : Number(key);
    const ok = Number.isInteger(i) && i >= 0 && i < target.length;
    return { present: ok, value: ok ? target[i] : undefined };
  }
  const own = Object.prototype.hasOwnProperty.call(target, key);
  return { present: own, value: own ? (target as Record<string, unknown>)[String(key)] : undefined };
}

function isNodeLike(x: unknown): x is object {
  return isGraphNode(x) || Array.isArray(x) || x instanceof Map || isPlainObject(x);
}

function leafValue(leaf: TreefyState<StateValue> | State<StateValue>): StateValue {
  return leaf instanceof TreefyState ? leaf.value : leaf.rawValue();
}

/** Plans the changes of one tree level against one node of the live graph. */
function plan(fnName: string, target: object, tree: NestedDictBase<unknown>, path: Key[], out: Change[]): void {
  for (const [key, child] of tree.items()) {
    path.push(key);
    const where = formatPath(path);
    const { present, value: current } = slotOf(target, key);
    const isLeaf = child instanceof TreefyState || child instanceof State;
    if (!(child instanceof NestedDictBase) && !isLeaf) {
      throw new GraphError(`${fnName}: expected the tree's leaves to be TreefyStates or States, but ${where} ` +
        `holds ${describeNonTensor(child)}; build trees with treefyStates / popStates (or new TreefyState(...)).`);
    }
    if (isLeaf) {
      const problem = stateValueProblem(leafValue(child));
      if (problem !== null) {
        throw new GraphError(`${fnName}: expected a live tensor value at ${where}, but ${problem}; ` +
          'pass values that are still alive.');
      }
    }
    if (!present) {
      if (!isGraphNode(target)) {
        throw new GraphError(`${fnName}: expected ${where} to exist, but the ${Array.isArray(target) ? 'array'
          : target instanceof Map ? 'Map' : 'plain object'} at ${formatPath(path.slice(0, -1))} has no key ` +
          `${JSON.stringify(key)}, and states can only be grafted onto modules (containers are immutable, as in ` +
          'BrainState); check the path.');
      }
      if (!isLeaf) {
        throw new GraphError(`${fnName}: expected a state at ${where} to graft onto the module (the key is ` +
          'absent), but the tree holds a sub-tree there; only single states can be grafted.');
      }
      const k = String(key);
      const decorated = declaredFields(target).some((d) => d.key === k);
      out.push({ kind: 'graft', module: target, key: k, leaf: child, decorated });
    } else if (current instanceof State) {
      if (!isLeaf) {
        throw new GraphError(`${fnName}: expected a TreefyState or State at ${where}, where the graph holds ` +
          `${current.label()}, but the tree holds a sub-tree there.`);
      }
      out.push({ kind: 'write', state: current, value: leafValue(child) });
    } else if (isNodeLike(current)) {
      if (isLeaf) {
        throw new GraphError(`${fnName}: expected a sub-tree at ${where}, where the graph holds ` +
          `${describeNonTensor(current)}, but the tree holds a single state there (BrainState: 'Expected a ` +
          "subgraph'); a module or container cannot be replaced by a state.");
      }
      plan(fnName, current, child, path, out);
    } else {
      throw new GraphError(`${fnName}: expected ${where} to hold a State (or a module / container of them), but ` +
        `it holds ${describeNonTensor(current)}, a non-state attribute, which a tree of states cannot update.`);
    }
    path.pop();
  }
}

/**
 * Writes trees of states into a graph, in place, as BrainState's `graph.updateStates`:
 * several trees are merged first; at each path, a `TreefyState` or `State` leaf writes
 * its value into the state the graph holds there (through the state, so transforms see
 * the write), and where a module no longer has the key (the state was popped) the leaf
 * is grafted back: a `State` as it is, a `TreefyState` as a new live state.
 *
 * Everything is checked before anything is written: a path that leads nowhere, a leaf
 * aimed at a non-state attribute or a module, or a value that is not a live tensor tree
 * is a GraphError, and the graph is left as it was.
 *
 * @example
 * ```ts
 * const params = bst.graph.treefyStates(lin, bst.ParamState);
 * const halved = params.map((s) => s.replace(tf.mul(s.value, 0.5)));
 * bst.graph.updateStates(lin, halved);      // lin.weight is now [[0.5]]
 * ```
 * @param node - a module (or an array / plain object / Map of modules and states).
 * @param trees - NestedDicts (or FlatDicts) of TreefyStates or States, by path.
 * @throws GraphError on a tree that does not fit the graph (see above).
 * @see popStates
 * @see treefyStates
 */
export function updateStates(node: object, ...trees: (NestedDict<TreefyState<StateValue> | State<StateValue>> |
  FlatDict<TreefyState<StateValue> | State<StateValue>>)[]): void {
  const fnName = 'graph.updateStates';
  if (!isNodeLike(node)) {
    throw new GraphError(`${fnName}: expected an nn.Module (or an array / plain object / Map of modules and ` +
      `states) to update, but received ${describeNonTensor(node)}.`);
  }
  if (trees.length === 0) {
    throw new GraphError(`${fnName}: expected at least one tree of states, got none; pass e.g. the tree ` +
      'treefyStates or popStates returned.');
  }
  const nested = trees.map((t, i) => {
    if (t instanceof FlatDict) return NestedDict.fromFlat(t);
    if (t instanceof NestedDictBase) return t;
    throw new GraphError(`${fnName}: expected every tree to be a NestedDict or FlatDict, but tree ${i + 1} is ` +
      `${describeNonTensor(t)}.`);
  });
  const merged = nested.length === 1 ? nested[0] : nested[0].merge(...nested.slice(1));
  const changes: Change[] = [];
  plan(fnName, node, merged as NestedDictBase<unknown>, [], changes);
  for (const c of changes) {
    if (c.kind === 'write') {
      c.state.value = c.value;
      continue;
    }
    const state = c.leaf instanceof TreefyState ? c.leaf.toState() : c.leaf;
    if (c.decorated) decoratedStates(c.module).set(c.key, state);
    else Object.defineProperty(c.module, c.key, { value: state, writable: true, enumerable: true, configurable: true });
  }
}

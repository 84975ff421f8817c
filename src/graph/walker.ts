/**
 * The one depth-first traversal of a module graph. Every graph operation (split, merge's
 * GraphDef, states, nodes) is built on {@link walk}, so they all agree on what is a
 * state, what is a node, and in which order and under which path each is found.
 *
 * What the walker follows, and nothing else (it never guesses from arbitrary values):
 * - fields declared by `@param` / `@hidden` (the class metadata of `node-metadata.ts`,
 *   inherited entries included, with the states in the instance's decorated-state map;
 *   a plain field that hides a decorated one is an error that names the tsconfig fix);
 * - own enumerable fields holding a `State`, an `nn.Module`, or an array / plain object /
 *   `Map` that (at any depth) holds states or modules.
 * Every other field value (a tensor, a number, a string, a function, an instance of a
 * class that is not a Module, a container without states) is a static attribute, kept by
 * reference.
 *
 * Children are visited in {@link compareKeys} order, so a node's first path is the
 * smallest one; a state or node reached again (shared, or through a cycle) is recorded as
 * a reference to its first visit, which also makes cycles terminate.
 */
import { GraphError } from '../errors';
import { State, StateValue } from '../state/state';
import { describeNonTensor, isPlainObject } from '../state/tree';
import { assertNoHiddenFields, declaredFields, decoratedStatesIfAny, FieldDeclaration } from './node-metadata';
import { compareKeys, formatPath, isKey, Key, Path } from './path';

/**
 * The brand by which the walker recognises a module: `nn.Module.prototype` answers
 * `true` for it. A brand instead of `instanceof Module` keeps `src/graph` free of a
 * load-time import of `nn/module.ts`, which itself imports the graph ops.
 */
export const GRAPH_NODE: unique symbol = Symbol.for('brainstate.graphNode');

/** Anything that carries the module brand. */
export interface GraphNodeBrand {
  readonly [GRAPH_NODE]: true;
}

/** True for `nn.Module` instances (and their prototypes). */
export function isGraphNode(x: unknown): x is GraphNodeBrand {
  return x !== null && typeof x === 'object' && (x as Partial<GraphNodeBrand>)[GRAPH_NODE] === true;
}

/**
 * The kinds of node a GraphDef records: modules, and containers that hold states or modules.
 *
 * @example
 * ```ts
 * bst.graph.graphDef(mlp).nodes.map((n) => n.kind);   // ['module', 'array', 'module', 'module']
 * ```
 */
export type NodeKind = 'module' | 'array' | 'object' | 'map';

/** What one slot (field, element, Map entry) of a node holds, as the walker recorded it. */
export type WalkRef =
  | { readonly kind: 'node'; readonly index: number }
  | { readonly kind: 'state'; readonly index: number; readonly decorated: boolean }
  | { readonly kind: 'static'; readonly value: unknown };

/** A node at its first visit. */
export interface WalkedNode {
  readonly index: number;
  readonly kind: NodeKind;
  readonly value: object;
  readonly path: Path;
  /** The slots in key order (empty unless the walk recorded structure). */
  readonly entries: (readonly [Key, WalkRef])[];
}

/** A state at its first visit. */
export interface WalkedState {
  readonly index: number;
  readonly state: State<StateValue>;
  readonly path: Path;
}

/** Everything one traversal found, nodes and states each in first-visit order. */
export interface Walk {
  readonly nodes: readonly WalkedNode[];
  readonly states: readonly WalkedState[];
}

type Container = unknown[] | Record<string, unknown> | Map<unknown, unknown>;

function containerKind(x: unknown): 'array' | 'object' | 'map' | undefined {
  if (Array.isArray(x)) return 'array';
  if (x instanceof Map) return 'map';
  if (isPlainObject(x)) return 'object';
  return undefined;
}

function containerValues(x: Container): Iterable<unknown> {
  if (x instanceof Map) return x.values();
  if (Array.isArray(x)) return x;
  return Object.values(x);
}

/**
 * Walks `root` depth first. `root` must be a module, or an array / plain object / Map
 * (which is then a node even if it holds no state).
 *
 * @example
 * ```ts
 * const w = walk(new TinyLinear(), 'graph.states', false);
 * w.states.map((s) => s.path);   // [['bias'], ['weight']]
 * ```
 * @param root - the module or container to walk.
 * @param fnName - the public function walking, for error messages.
 * @param recordStructure - also record every node's slots (needed for a GraphDef).
 * @returns the nodes and states found.
 * @throws GraphError when `root` is not a module or container, or a Map that holds
 *   states has a key that is not a string or finite number.
 */
export function walk(root: unknown, fnName: string, recordStructure: boolean): Walk {
  const rootKind: NodeKind | undefined = isGraphNode(root) ? 'module' : containerKind(root);
  if (rootKind === undefined) {
    throw new GraphError(`${fnName}: expected an nn.Module (or an array / plain object / Map of modules and ` +
      `states) as the node to walk, but received ${describeNonTensor(root)}; pass the module itself ` +
      '(a State is not a node: put it in a module field).');
  }
  const nodes: WalkedNode[] = [];
  const states: WalkedState[] = [];
  const nodeIndex = new Map<object, number>();
  const stateIndex = new Map<State<StateValue>, number>();
  const path: Key[] = [];
  // Per-walk caches: decorator metadata per prototype, "holds states" per container.
  const fieldsByProto = new Map<object, readonly FieldDeclaration[]>();
  const holdsMemo = new Map<object, boolean>();
  const inProgress = new Set<object>();
  let cycleHits = 0;

  /** Whether a container reaches a state or module (cycle-safe; memoised when final). */
  const holdsGraphItems = (x: unknown): boolean => {
    if (x instanceof State || isGraphNode(x)) return true;
    if (containerKind(x) === undefined) return false;
    const c = x as Container;
    const memo = holdsMemo.get(c);
    if (memo !== undefined) return memo;
    if (inProgress.has(c)) {
      cycleHits++;
      return false;
    }
    inProgress.add(c);
    const hitsBefore = cycleHits;
    let found = false;
    for (const v of containerValues(c)) {
      if (holdsGraphItems(v)) {
        found = true;
        break;
      }
    }
    inProgress.delete(c);
    // A "no" that leaned on an ancestor still being explored is not final yet.
    if (found || cycleHits === hitsBefore || inProgress.size === 0) holdsMemo.set(c, found);
    return found;
  };

  /** A module's slot keys in order: decorated fields holding a state, then own enumerable fields. */
  const moduleKeys = (m: object, decorated: Map<string, State<StateValue>> | undefined): string[] => {
    const proto = Object.getPrototypeOf(m) as object;
    let declared = fieldsByProto.get(proto);
    if (declared === undefined) {
      declared = declaredFields(m);
      fieldsByProto.set(proto, declared);
    }
    if (declared.length > 0) assertNoHiddenFields(m, fnName, declared);
    const keys = Object.keys(m);
    if (decorated !== undefined && decorated.size > 0) {
      for (let i = keys.length - 1; i >= 0; i--) if (decorated.has(keys[i])) keys.splice(i, 1);
      for (const d of declared) if (decorated.has(d.key)) keys.push(d.key);
    }
    // Module keys are all strings: the default sort is compareKeys' code-unit order.
    return keys.sort();
  };

  /** A plain object's or Map's slots in key order (arrays are walked in place). */
  const containerSlots = (c: Container, kind: 'object' | 'map'): [Key, unknown][] => {
    if (kind === 'object') {
      const obj = c as Record<string, unknown>;
      return Object.keys(obj).sort().map((k) => [k, obj[k]]);
    }
    const slots: [Key, unknown][] = [];
    for (const [k, v] of c as Map<unknown, unknown>) {
      if (!isKey(k)) {
        throw new GraphError(`${fnName}: expected the keys of a Map that holds states or modules to be strings or ` +
          `finite numbers (paths are arrays of them), but the Map at ${formatPath(path)} has a key that is ` +
          `${describeNonTensor(k)}; key it by a string or number.`);
      }
      slots.push([k, v]);
    }
    return slots.sort((a, b) => compareKeys(a[0], b[0]));
  };

  const visitNode = (value: object, kind: NodeKind): number => {
    const index = nodes.length;
    nodeIndex.set(value, index);
    const node: WalkedNode = { index, kind, value, path: Object.freeze(path.slice()), entries: [] };
    nodes.push(node);
    if (kind === 'module') {
      const decorated = decoratedStatesIfAny(value);
      for (const key of moduleKeys(value, decorated)) {
        const s = decorated?.get(key);
        path.push(key);
        const ref = s !== undefined ? visitSlot(s, true) : visitSlot((value as Record<string, unknown>)[key], false);
        path.pop();
        if (recordStructure) node.entries.push([key, ref]);
      }
      return index;
    }
    if (kind === 'array') {
      const arr = value as unknown[];
      for (let i = 0; i < arr.length; i++) {
        path.push(i);
        const ref = visitSlot(arr[i], false);
        path.pop();
        if (recordStructure) node.entries.push([i, ref]);
      }
      return index;
    }
    for (const [key, v] of containerSlots(value as Container, kind)) {
      path.push(key);
      const ref = visitSlot(v, false);
      path.pop();
      if (recordStructure) node.entries.push([key, ref]);
    }
    return index;
  };

  const visitSlot = (v: unknown, decorated: boolean): WalkRef => {
    if (v instanceof State) {
      let index = stateIndex.get(v);
      if (index === undefined) {
        index = states.length;
        stateIndex.set(v, index);
        states.push({ index, state: v, path: Object.freeze(path.slice()) });
      }
      return { kind: 'state', index, decorated };
    }
    const kind: NodeKind | undefined = isGraphNode(v) ? 'module'
      : holdsGraphItems(v) ? containerKind(v) : undefined;
    if (kind === undefined) return { kind: 'static', value: v };
    const seen = nodeIndex.get(v as object);
    return { kind: 'node', index: seen ?? visitNode(v as object, kind) };
  };

  visitNode(root as object, rootKind);
  return { nodes, states };
}

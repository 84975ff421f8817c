/**
 * `GraphDef`: the structure of a module graph without its state values. A flat, frozen
 * table of nodes indexed by integer (so shared and cyclic references are just indices),
 * a table of the states' kinds and paths, and a hash computed once, so that it can key
 * a jit cache. `treefyMerge` rebuilds a module from it and state trees.
 */
import { isTensor } from '../state/tree';
import type { StateClass } from '../state/state';
import { Doc, list, pprint, quote, record } from '../util/pprint';
import { formatKey, formatPath, Key, Path } from './path';
import { NodeKind, Walk, WalkRef } from './walker';

export type { NodeKind } from './walker';

/**
 * What one slot of a node holds: another node (by index), a state (by index; `decorated`
 * when it backs an `@param` / `@hidden` field), or a static attribute (by reference).
 *
 * @example
 * ```ts
 * bst.graph.graphDef(new TinyLinear()).nodes[0].entries[0];   // ['bias', { kind: 'state', index: 0, decorated: true }]
 * ```
 */
export type AttrDef = WalkRef;

/**
 * One node of the graph: a module (rebuilt from its prototype) or a container.
 *
 * @example
 * ```ts
 * bst.graph.graphDef(mlp).nodes.map((n) => `${n.typeName} at ${n.path.join('/')}`);
 * ```
 */
export interface NodeDef {
  /** Its position in {@link GraphDef.nodes}; the root is 0. */
  readonly index: number;
  readonly kind: NodeKind;
  /** The prototype a rebuilt node gets (`Class.prototype` for modules). */
  readonly prototype: object | null;
  /** The class name, for printing. */
  readonly typeName: string;
  /** The path at which the walk first reached it. */
  readonly path: Path;
  /** The slots in key order. */
  readonly entries: readonly (readonly [Key, AttrDef])[];
}

/**
 * One state of the graph, without its value.
 *
 * @example
 * ```ts
 * bst.graph.graphDef(new RunningMean()).states.map((s) => s.path);   // [['count'], ['sum']]
 * ```
 */
export interface StateDef {
  /** Its position in {@link GraphDef.states}, also its order in trees. */
  readonly index: number;
  /** The state class a merge creates. */
  readonly type: StateClass;
  readonly name: string | undefined;
  readonly tag: string | undefined;
  /** Its path (the first one, when shared): where its value is looked up in the trees. */
  readonly path: Path;
}

/** Text and hash, computed on first use: the GraphDef itself is frozen. */
const memo = new WeakMap<GraphDef<object>, { text?: string; hash?: string }>();
/** Identity numbers of static attributes held by reference, for the hash only. */
const identities = new WeakMap<object, number>();
let nextIdentity = 1;

function identity(x: object): number {
  let id = identities.get(x);
  if (id === undefined) {
    id = nextIdentity++;
    identities.set(x, id);
  }
  return id;
}

/**
 * Describes a static attribute. Printing (`withIdentity` false) is stable across runs;
 * the hash key also names, by identity, every value kept by reference whose contents
 * the text does not capture (tensors, functions, class instances).
 */
function describeStatic(v: unknown, withIdentity: boolean, seen: Set<object> = new Set()): string {
  if (v === null || v === undefined || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'symbol') return v.toString();
  const ref = (text: string): string => (withIdentity ? `${text}@${identity(v as object)}` : text);
  if (typeof v === 'function') return ref(`function ${v.name !== '' ? v.name : '<anonymous>'}`);
  if (isTensor(v)) return ref(`Tensor[${v.shape.join(',')}] ${v.dtype}`);
  if (seen.has(v)) return '<cycle>';
  const limit = withIdentity ? Infinity : 8;
  const inner = (x: unknown): string => describeStatic(x, withIdentity, new Set(seen).add(v));
  const cut = <T>(xs: T[], show: (x: T) => string): string =>
    xs.slice(0, limit).map(show).join(', ') + (xs.length > limit ? `, … ${xs.length - limit} more` : '');
  if (Array.isArray(v)) return `[${cut(v, inner)}]`;
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    const obj = v as Record<string, unknown>;
    return `{${cut(Object.keys(obj).sort(), (k) => `${formatKey(k)}: ${inner(obj[k])}`)}}`;
  }
  if (v instanceof Map) return ref(`Map(${v.size})`);
  return ref(`<${(v as object).constructor?.name ?? 'Object'}>`);
}

function attrText(a: AttrDef, nodes: readonly NodeDef[], states: readonly StateDef[], withIdentity: boolean): string {
  switch (a.kind) {
    case 'node':
      return `node#${a.index} ${nodes[a.index].typeName}`;
    case 'state':
      return `state#${a.index} ${states[a.index].type.name}${a.decorated ? ' (decorated)' : ''}`;
    case 'static':
      return `static ${describeStatic(a.value, withIdentity)}`;
  }
}

/** 53-bit string hash (cyrb53), run with two seeds for a 106-bit hex digest. */
function hashText(text: string): string {
  const h = (seed: number): string => {
    let h1 = 0xdeadbeef ^ seed;
    let h2 = 0x41c6ce57 ^ seed;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
  };
  return h(0) + h(0x9e3779b9);
}

/**
 * The structure of a module graph: classes, fields, containers, state kinds and paths,
 * and non-state attributes (by reference), but no state values. Made by
 * `graph.treefySplit` (or `graph.graphDef`), consumed by `graph.treefyMerge`.
 * Frozen; `toString()` is stable text and `hash` a digest of it plus the identity of
 * reference-held attributes, both computed once.
 *
 * @typeParam M - the type of the root, which `treefyMerge` returns.
 * @example
 * ```ts
 * const [graphDef] = bst.graph.treefySplit(new TinyLinear(), bst.ParamState);
 * console.log(graphDef.toString());
 * // GraphDef(
 * //   nodes=[
 * //     #0 TinyLinear(
 * //       path=[],
 * //       bias=state#0 ParamState (decorated),
 * //       weight=state#1 ParamState (decorated)
 * //     )
 * //   ],
 * //   states=[
 * //     #0 ParamState(path=['bias'], name='bias', tag=undefined),
 * //     #1 ParamState(path=['weight'], name='weight', tag=undefined)
 * //   ]
 * // )
 * ```
 * @see graph.treefySplit
 * @see graph.treefyMerge
 */
export class GraphDef<M extends object = object> {
  /** The node table; the root is `nodes[0]`. */
  readonly nodes: readonly NodeDef[];
  /** The state table, in path order (the order of leaves in the trees). */
  readonly states: readonly StateDef[];
  /** Carries the root's type to `treefyMerge`; never set. */
  declare readonly rootType?: M;

  /**
   * Freezes the structure a walk recorded.
   * @internal
   */
  constructor(walked: Walk) {
    this.nodes = Object.freeze(walked.nodes.map((n): NodeDef => {
      const prototype = Object.getPrototypeOf(n.value) as object | null;
      // The walk's own arrays, frozen in place: a walk is used once, and copying them
      // doubled the allocations of a split.
      for (const e of n.entries) {
        Object.freeze(e[1]);
        Object.freeze(e);
      }
      return Object.freeze({
        index: n.index,
        kind: n.kind,
        prototype,
        typeName: n.kind === 'module' ? ((prototype as { constructor?: { name?: string } } | null)?.constructor?.name ??
          'Module') : n.kind === 'array' ? 'Array' : n.kind === 'map' ? 'Map' : 'Object',
        path: n.path,
        entries: Object.freeze(n.entries),
      });
    }));
    this.states = Object.freeze(walked.states.map((s): StateDef => Object.freeze({
      index: s.index,
      type: s.state.constructor as StateClass,
      name: s.state.name,
      tag: s.state.tag,
      path: s.path,
    })));
    Object.freeze(this);
  }

  /** The root node's class name. */
  get typeName(): string {
    return this.nodes[0].typeName;
  }

  /** A digest of the structure and of the identity of reference-held attributes; equal GraphDefs have equal hashes. */
  get hash(): string {
    const m = this.memo();
    if (m.hash === undefined) m.hash = hashText(pprint(this.doc(true)));
    return m.hash;
  }

  /**
   * Whether `other` describes the same structure with the same reference-held
   * attributes (so a function traced for one can run for the other).
   *
   * @example
   * ```ts
   * const [a] = bst.graph.treefySplit(model);
   * const [b] = bst.graph.treefySplit(bst.graph.treefyMerge(a, ...trees));
   * a.equals(b);   // true
   * ```
   * @param other - another GraphDef.
   * @returns true when equal.
   */
  equals(other: GraphDef<object>): boolean {
    return other instanceof GraphDef && (other === this ||
      (other.hash === this.hash && pprint(other.doc(true)) === pprint(this.doc(true))));
  }

  /** Stable text: each node with its slots, then each state's kind, path, name and tag. */
  toString(): string {
    const m = this.memo();
    if (m.text === undefined) m.text = pprint(this.doc(false));
    return m.text;
  }

  private memo(): { text?: string; hash?: string } {
    let m = memo.get(this);
    if (m === undefined) {
      m = {};
      memo.set(this, m);
    }
    return m;
  }

  private doc(withIdentity: boolean): Doc {
    const nodes = this.nodes.map((n) => record(`#${n.index} ${n.typeName}`, [
      ['path', formatPath(n.path)] as const,
      ...n.entries.map(([k, a]) => [formatKey(k), attrText(a, this.nodes, this.states, withIdentity)] as const),
    ]));
    const states = this.states.map((s) => record(`#${s.index} ${s.type.name}`, [
      ['path', formatPath(s.path)],
      ['name', s.name === undefined ? 'undefined' : quote(s.name)],
      ['tag', s.tag === undefined ? 'undefined' : quote(s.tag)],
    ], { inline: true }));
    return record('GraphDef', [['nodes', list(nodes)], ['states', list(states)]]);
  }
}

/**
 * Pytrees: nested containers whose leaves transforms map over (JAX's pytrees).
 *
 * Containers are arrays, plain objects, and any object implementing the
 * {@link PYTREE_NODE} protocol (NestedDict, TreefyState). `undefined` and `null` are
 * empty containers (JAX's `None`): they have no leaves and rebuild as themselves, so a
 * loop body or branch that returns nothing has nothing to stack. Everything else is a
 * leaf. Flattening yields the leaves in a stable order plus a {@link TreeDef} that
 * rebuilds the same structure around new leaves and prints to a string that two
 * structures share exactly when they are the same. A tree that contains itself is a
 * {@link CyclicTreeError}, never an endless walk.
 */
import { TraceError, InternalError } from '../errors';
import { isPlainObject } from './plain-object';
import type { Key } from './path';

/** Method key of the protocol by which a class declares itself a pytree container. */
export const PYTREE_NODE: unique symbol = Symbol.for('brainstate.pytreeNode');

/** What a container class returns from its `[PYTREE_NODE]()` method. */
export interface PytreeParts {
  /** The children, in a stable order. */
  readonly children: readonly unknown[];
  /** Everything but the children that identifies the structure (class, keys, tags). */
  readonly meta: string;
  /** Builds a container of the same kind around new children (same order). */
  rebuild(children: unknown[]): unknown;
}

/** A class whose instances are pytree containers. */
export interface PytreeContainer {
  [PYTREE_NODE](): PytreeParts;
}

/** Whether `x` is a container of the {@link PYTREE_NODE} protocol. */
export function isPytreeContainer(x: unknown): x is PytreeContainer {
  return isContainer(x);
}

function isContainer(x: unknown): x is PytreeContainer {
  return x != null && typeof x === 'object' && typeof (x as PytreeContainer)[PYTREE_NODE] === 'function';
}

/** The structure of a pytree without its leaves. */
export type TreeDef =
  | { readonly kind: 'leaf' }
  | { readonly kind: 'none'; readonly value: null | undefined }
  | { readonly kind: 'array'; readonly children: readonly TreeDef[] }
  | { readonly kind: 'object'; readonly keys: readonly string[]; readonly children: readonly TreeDef[] }
  | { readonly kind: 'node'; readonly parts: PytreeParts; readonly children: readonly TreeDef[] };

/** One step from a container to a child: an array index, an object key, or a container's child position. */
export type TreeStep = { readonly index: number } | { readonly key: string } | { readonly child: number };

/** A path inside a tree as messages print it after the tree's own name: `[0].self`, `.a[2]`, `<child 1>`. */
export function formatTreeSteps(steps: readonly TreeStep[]): string {
  return steps.map((s) => ('index' in s ? `[${s.index}]` : 'key' in s
    ? (/^[A-Za-z_$][\w$]*$/.test(s.key) ? `.${s.key}` : `[${JSON.stringify(s.key)}]`) : `<child ${s.child}>`)).join('');
}

/**
 * A tree contains itself (an array or object reachable from its own children): it has
 * no finite list of leaves. `path` leads from the root to the repeated container, `back`
 * (a prefix of `path`) to where that container first appears.
 */
export class CyclicTreeError extends TraceError {
  constructor(readonly path: readonly TreeStep[], readonly back: readonly TreeStep[]) {
    super(`pytree: expected a tree, but the value at (root)${formatTreeSteps(path)} is the container at ` +
      `(root)${formatTreeSteps(back)} again (a cycle); trees of tensors cannot contain themselves. Pass the ` +
      'parts that hold tensors, or hold cyclic structures in a module (the graph walker follows cycles once).');
  }
}

/** Leaves of `tree` in order, and the structure to rebuild it with `unflatten`. */
export function flatten(tree: unknown, isLeaf?: (x: unknown) => boolean): [unknown[], TreeDef] {
  const leaves: unknown[] = [];
  const def = walk(tree, leaves, isLeaf, 0, { root: tree, checked: false });
  return [leaves, def];
}

/**
 * Nesting depth past which a tree is checked for a cycle. Real trees are a few levels
 * deep; a cycle reaches any depth. Checking only then keeps the walk, which runs on every
 * jitted call, free of bookkeeping.
 */
const SUSPICIOUS_DEPTH = 256;

interface WalkContext {
  readonly root: unknown;
  checked: boolean;
}

function walk(x: unknown, leaves: unknown[], isLeaf: ((x: unknown) => boolean) | undefined, depth: number,
  ctx: WalkContext): TreeDef {
  if (isLeaf !== undefined && isLeaf(x)) {
    leaves.push(x);
    return LEAF;
  }
  if (x === undefined || x === null) return { kind: 'none', value: x };
  if (depth >= SUSPICIOUS_DEPTH && !ctx.checked) {
    ctx.checked = true;
    throwIfCyclic(ctx.root, isLeaf);
  }
  if (Array.isArray(x)) {
    const children: TreeDef[] = new Array(x.length);
    for (let i = 0; i < x.length; i++) children[i] = walk(x[i], leaves, isLeaf, depth + 1, ctx);
    return { kind: 'array', children };
  }
  if (isContainer(x)) {
    const parts = x[PYTREE_NODE]();
    const children: TreeDef[] = new Array(parts.children.length);
    for (let i = 0; i < parts.children.length; i++) children[i] = walk(parts.children[i], leaves, isLeaf, depth + 1, ctx);
    return { kind: 'node', parts, children };
  }
  if (isPlainObject(x)) {
    const keys = Object.keys(x);
    const children: TreeDef[] = new Array(keys.length);
    for (let i = 0; i < keys.length; i++) children[i] = walk(x[keys[i]], leaves, isLeaf, depth + 1, ctx);
    return { kind: 'object', keys, children };
  }
  leaves.push(x);
  return LEAF;
}

const LEAF: TreeDef = { kind: 'leaf' };

/** Walks `tree` as {@link flatten} does, tracking paths, and throws a CyclicTreeError at the first cycle. */
function throwIfCyclic(tree: unknown, isLeaf: ((x: unknown) => boolean) | undefined): void {
  const path: TreeStep[] = [];
  const open = new Map<object, number>(); // containers on the current path, with their depth
  const go = (x: unknown): void => {
    if ((isLeaf !== undefined && isLeaf(x)) || x === undefined || x === null) return;
    const array = Array.isArray(x);
    const container = !array && isContainer(x);
    if (!array && !container && !isPlainObject(x)) return;
    const depth = open.get(x as object);
    if (depth !== undefined) throw new CyclicTreeError(path.slice(), path.slice(0, depth));
    open.set(x as object, path.length);
    const visit = (c: unknown, step: TreeStep) => { path.push(step); go(c); path.pop(); };
    if (array) (x as unknown[]).forEach((c, i) => visit(c, { index: i }));
    else if (container) (x as PytreeContainer)[PYTREE_NODE]().children.forEach((c, i) => visit(c, { child: i }));
    else for (const [k, c] of Object.entries(x as Record<string, unknown>)) visit(c, { key: k });
    open.delete(x as object);
  };
  go(tree);
}

/** Rebuilds a tree of `def`'s structure around `leaves` (consumed in order). */
export function unflatten(def: TreeDef, leaves: readonly unknown[]): unknown {
  let i = 0;
  const build = (d: TreeDef): unknown => {
    switch (d.kind) {
      case 'leaf':
        return leaves[i++];
      case 'none':
        return d.value;
      case 'array':
        return d.children.map(build);
      case 'object': {
        const out: Record<string, unknown> = {};
        d.keys.forEach((k, j) => { out[k] = build(d.children[j]); });
        return out;
      }
      case 'node':
        return d.parts.rebuild(d.children.map(build));
    }
  };
  const out = build(def);
  if (i !== leaves.length) throw new InternalError(`unflatten used ${i} of ${leaves.length} leaves`);
  return out;
}

/** The number of leaves a tree of this structure has. */
export function numLeaves(def: TreeDef): number {
  if (def.kind === 'none') return 0;
  return def.kind === 'leaf' ? 1 : def.children.reduce((n, c) => n + numLeaves(c), 0);
}

/** A string that is equal for two TreeDefs exactly when their structures are equal. */
export function treeDefKey(def: TreeDef): string {
  switch (def.kind) {
    case 'leaf':
      return '*';
    case 'none':
      return def.value === null ? 'null' : 'undefined';
    case 'array':
      return `[${def.children.map(treeDefKey).join(',')}]`;
    case 'object':
      return `{${def.keys.map((k, j) => `${JSON.stringify(k)}:${treeDefKey(def.children[j])}`).join(',')}}`;
    case 'node':
      return `${def.parts.meta}(${def.children.map(treeDefKey).join(',')})`;
  }
}

/** Maps `fn` over the leaves of `tree`, keeping its structure. */
export function mapLeaves(tree: unknown, fn: (leaf: unknown, index: number) => unknown,
  isLeaf?: (x: unknown) => boolean): unknown {
  const [leaves, def] = flatten(tree, isLeaf);
  return unflatten(def, leaves.map(fn));
}

/** A leaf of a tree with the keys that lead to it from the root. */
export interface PathLeaf {
  readonly path: readonly Key[];
  readonly leaf: unknown;
}

/** A container's keys when it names its children (`NestedDict.items()`), else undefined. */
function containerKeys(x: PytreeContainer, n: number): Key[] | undefined {
  const items = (x as { items?: unknown }).items;
  if (typeof items !== 'function') return undefined;
  const pairs = (items as () => unknown[]).call(x);
  if (!Array.isArray(pairs) || pairs.length !== n) return undefined;
  return pairs.map((p) => (Array.isArray(p) ? (p[0] as Key) : String(p)));
}

/**
 * Every leaf of `tree` with its path, in {@link flatten} order (JAX's `tree_flatten_with_path`;
 * `util/path.ts` formats the paths). A container with one
 * unnamed child (a `TreefyState`) adds no key: its value sits at the container's path.
 *
 * @example
 * ```ts
 * flattenWithPath({ w: [a, b] }, isTensor);   // [{path: ['w', 0], leaf: a}, {path: ['w', 1], leaf: b}]
 * ```
 * @param tree - the tree.
 * @param isLeaf - stops the descent at values it accepts.
 * @param emptyAsLeaf - list `undefined` / `null` as leaves (for messages about a missing
 *   value); pass false for exactly `pytree.flatten`'s leaves, where they are empty trees.
 * @returns the leaves with paths.
 */
export function flattenWithPath(tree: unknown, isLeaf?: (x: unknown) => boolean, emptyAsLeaf = true): PathLeaf[] {
  const out: PathLeaf[] = [];
  const go = (x: unknown, path: Key[]): void => {
    if (isLeaf?.(x)) {
      out.push({ path: path.slice(), leaf: x });
    } else if ((x === undefined || x === null) && !emptyAsLeaf) {
      // an empty tree (pytree.flatten's 'none'): no leaves
    } else if (Array.isArray(x)) {
      x.forEach((c, i) => { path.push(i); go(c, path); path.pop(); });
    } else if (isContainer(x)) {
      const children = x[PYTREE_NODE]().children;
      const keys = containerKeys(x, children.length);
      if (keys === undefined && children.length === 1) {
        go(children[0], path);
      } else {
        children.forEach((c, i) => { path.push(keys?.[i] ?? i); go(c, path); path.pop(); });
      }
    } else if (isPlainObject(x)) {
      for (const k of Object.keys(x)) { path.push(k); go(x[k], path); path.pop(); }
    } else {
      out.push({ path: path.slice(), leaf: x });
    }
  };
  go(tree, []);
  return out;
}

/**
 * Pytrees: nested containers whose leaves transforms map over (JAX's pytrees).
 *
 * Containers are arrays, plain objects, and any object implementing the
 * {@link PYTREE_NODE} protocol (NestedDict, TreefyState). Everything else is a leaf.
 * Flattening yields the leaves in a stable order plus a {@link TreeDef} that rebuilds
 * the same structure around new leaves and prints to a string that two structures
 * share exactly when they are the same.
 */
import { isPlainObject } from '../state/tree';

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

function isContainer(x: unknown): x is PytreeContainer {
  return x != null && typeof x === 'object' && typeof (x as PytreeContainer)[PYTREE_NODE] === 'function';
}

/** The structure of a pytree without its leaves. */
export type TreeDef =
  | { readonly kind: 'leaf' }
  | { readonly kind: 'array'; readonly children: readonly TreeDef[] }
  | { readonly kind: 'object'; readonly keys: readonly string[]; readonly children: readonly TreeDef[] }
  | { readonly kind: 'node'; readonly parts: PytreeParts; readonly children: readonly TreeDef[] };

/** Leaves of `tree` in order, and the structure to rebuild it with `unflatten`. */
export function flatten(tree: unknown, isLeaf?: (x: unknown) => boolean): [unknown[], TreeDef] {
  const leaves: unknown[] = [];
  const def = walk(tree, leaves, isLeaf);
  return [leaves, def];
}

function walk(x: unknown, leaves: unknown[], isLeaf?: (x: unknown) => boolean): TreeDef {
  if (isLeaf?.(x)) {
    leaves.push(x);
    return { kind: 'leaf' };
  }
  if (Array.isArray(x)) return { kind: 'array', children: x.map((c) => walk(c, leaves, isLeaf)) };
  if (isContainer(x)) {
    const parts = x[PYTREE_NODE]();
    return { kind: 'node', parts, children: parts.children.map((c) => walk(c, leaves, isLeaf)) };
  }
  if (isPlainObject(x)) {
    const keys = Object.keys(x);
    return { kind: 'object', keys, children: keys.map((k) => walk(x[k], leaves, isLeaf)) };
  }
  leaves.push(x);
  return { kind: 'leaf' };
}

/** Rebuilds a tree of `def`'s structure around `leaves` (consumed in order). */
export function unflatten(def: TreeDef, leaves: readonly unknown[]): unknown {
  let i = 0;
  const build = (d: TreeDef): unknown => {
    switch (d.kind) {
      case 'leaf':
        return leaves[i++];
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
  if (i !== leaves.length) throw new Error(`internal: unflatten used ${i} of ${leaves.length} leaves`);
  return out;
}

/** The number of leaves a tree of this structure has. */
export function numLeaves(def: TreeDef): number {
  return def.kind === 'leaf' ? 1 : def.children.reduce((n, c) => n + numLeaves(c), 0);
}

/** A string that is equal for two TreeDefs exactly when their structures are equal. */
export function treeDefKey(def: TreeDef): string {
  switch (def.kind) {
    case 'leaf':
      return '*';
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

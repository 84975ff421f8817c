/**
 * vmap's axis specifications: `inAxes` / `outAxes` as pytree prefixes (JAX's), and
 * `inStates` / `outStates` as states or filters by axis (BrainState's).
 */
import * as tf from '@tensorflow/tfjs';
import { BatchAxisError } from '../errors';
import { Filter, toPredicate } from '../graph/filters';
import { State, StateValue } from '../state/state';
import { isPlainObject } from '../state/tree';
import { formatPath, Path } from '../util/path';

/**
 * Where the batch axis of a tree's leaves is: a number (negative counts from the end) or
 * `null` (not mapped: every lane sees the whole value) for the whole tree, or an array /
 * object matching the tree's structure that says it per part (a pytree prefix, as JAX's
 * `in_axes`).
 */
export type AxisSpec = number | null | undefined | readonly AxisSpec[] | { readonly [key: string]: AxisSpec };

/** States picked by identity or by a filter (a `State` subclass, a tag, a predicate...). */
export type StateSelector = State<StateValue> | Filter;

/**
 * States whose values carry the batch axis: a selector or a list of them (axis 0), or an
 * object from axis to selectors (`{ 1: [stateA] }`), as BrainState's `in_states`.
 */
export type VmapStates = StateSelector | readonly StateSelector[] |
  { readonly [axis: number]: StateSelector | readonly StateSelector[] | { readonly [name: string]: State<StateValue> } };

/** The axis `spec` gives the leaf at `path` (a path into the tree the spec is a prefix of). */
export function axisAt(spec: AxisSpec, path: Path, what: string, fnName: string): number | null {
  let s: AxisSpec = spec;
  for (let i = 0; i < path.length; i++) {
    if (s === null || s === undefined || typeof s === 'number') break;
    const key = path[i];
    const next: AxisSpec = Array.isArray(s) ? (s as readonly AxisSpec[])[key as number] : (s as Record<string, AxisSpec>)[String(key)];
    const has = Array.isArray(s) ? typeof key === 'number' && key < s.length : Object.prototype.hasOwnProperty.call(s, String(key));
    if (!has) {
      throw new BatchAxisError(`${fnName}: ${what} has no entry for ${formatPath(path.slice(0, i + 1))}; a tree of axes ` +
        'must follow the structure of the value it describes (or be one number / null for a whole part).');
    }
    s = next;
  }
  if (s === undefined || s === null) return null;
  if (typeof s !== 'number' || !Number.isInteger(s)) {
    throw new BatchAxisError(`${fnName}: ${what} at ${formatPath(path)} is ${JSON.stringify(s)}; expected an integer ` +
      'axis or null, or an array / object of them following the value\'s structure.');
  }
  return s;
}

/** `axis` as a non-negative axis of a rank-`rank` tensor. */
export function normalizeAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

function isAxisDict(x: unknown): x is Record<number, unknown> {
  return isPlainObject(x) && Object.keys(x).length > 0 && Object.keys(x).every((k) => /^-?\d+$/.test(k));
}

/** A compiled `inStates` / `outStates`: the axis of a state, or null when it is not selected. */
export type StateAxisOf = (state: State<StateValue>) => number | null;

/** Compiles a {@link VmapStates} (undefined: no state). */
export function compileStates(spec: VmapStates | undefined, fnName: string, what: string): StateAxisOf {
  if (spec === undefined || spec === null) return () => null;
  const groups: [number, (s: State<StateValue>) => boolean][] = [];
  const add = (axis: number, sel: unknown) => {
    // A list, an object of named states (BrainState's `{0: {'v': state}}`), or one selector.
    const list = Array.isArray(sel) ? (sel as readonly StateSelector[])
      : isPlainObject(sel) ? (Object.values(sel) as StateSelector[]) : [sel as StateSelector];
    for (const [i, one] of list.entries()) {
      if (one instanceof State) {
        groups.push([axis, (s) => s === one]);
      } else {
        const pred = toPredicate(one as Filter, fnName, `${what}[${i}]`);
        groups.push([axis, (s) => pred([], s)]);
      }
    }
  };
  if (isAxisDict(spec)) for (const [k, v] of Object.entries(spec)) add(Number(k), v);
  else add(0, spec);
  return (s) => {
    for (const [axis, match] of groups) if (match(s)) return axis;
    return null;
  };
}

/** The size along `axis` of each tensor leaf of a state's value, checked to agree with `size` (if known). */
export function stateAxisSize(state: State<StateValue>, leaves: readonly tf.Tensor[], axis: number, fnName: string): number | undefined {
  let size: number | undefined;
  for (const t of leaves) {
    const a = normalizeAxis(axis, t.rank);
    if (a < 0 || a >= t.rank) {
      throw new BatchAxisError(`${fnName}: state ${state.label()} holds a ${t.rank}-d value [${t.shape}], which has no ` +
        `axis ${axis} to map over (inStates). Give it a batch axis first (nn.initAllStates(model, { vmapSize }) or ` +
        'state.value = tf.stack(...)) or leave it out of inStates.');
    }
    if (size !== undefined && t.shape[a] !== size) {
      throw new BatchAxisError(`${fnName}: the leaves of state ${state.label()} have different sizes along axis ${axis}.`);
    }
    size = t.shape[a];
  }
  return size;
}

/**
 * `initAllStates` / `resetAllStates`: call the `initState` / `resetState` hook of every
 * module in a model, as BrainState's `nn.init_all_states` / `nn.reset_all_states`.
 */
import * as tf from '@tensorflow/tfjs';
import { BatchAxisError } from '../errors';
import { nodes } from '../graph';
import { pathKey } from '../util/path';
import type { State, StateValue } from '../state';
import { isPlainObject, tensorLeaves } from '../state/tree';
import { flatten, unflatten } from '../util/pytree';
import { Module } from './module';

/** The last argument of {@link initAllStates} that asks for a batch of instances. */
export interface InitAllStatesOptions {
  /**
   * Make this many instances of every state `initState` sets (BrainState's `vmap_size`):
   * each gets a leading batch axis, with each instance initialised on its own (random
   * initial values differ between instances), for `transform.vmap` with `inStates` to step.
   */
  readonly vmapSize: number;
}

function isInitOptions(x: unknown): x is InitAllStatesOptions {
  return isPlainObject(x) && Object.keys(x).length === 1 && 'vmapSize' in x;
}

/** Every state of `model` by path key. */
function statesByPath(model: Module): Map<string, State<StateValue>> {
  return new Map(model.states().toFlat().entries().map(([p, st]) => [pathKey(p), st]));
}

/**
 * `initState(...args)` once per instance; every state it sets ends holding the instances'
 * values stacked along a new leading axis.
 */
function initInstances<M extends Module>(model: M, args: unknown[], size: number): M {
  if (!Number.isInteger(size) || size < 1) {
    throw new BatchAxisError(`nn.initAllStates: expected vmapSize to be a positive integer, got ${String(size)}.`);
  }
  const before = new Map([...statesByPath(model)].map(([k, st]) => [k, { st, value: st.value }]));
  const lanes = new Map<string, StateValue[]>();
  try {
    for (let i = 0; i < size; i++) {
      for (const m of modulesOf(model)) m.initState(...args);
      for (const [k, st] of statesByPath(model)) {
        const old = before.get(k);
        if (old !== undefined && old.st === st && old.value === st.value && !lanes.has(k)) continue;
        if (!lanes.has(k)) lanes.set(k, []);
        const [leaves, def] = flatten(st.value, (x) => x instanceof tf.Tensor);
        lanes.get(k)!.push(unflatten(def, (leaves as tf.Tensor[]).map((t) => tf.clone(t))) as StateValue);
      }
    }
    const now = statesByPath(model);
    for (const [k, values] of lanes) {
      const [first, def] = flatten(values[0], (x) => x instanceof tf.Tensor);
      const stacked = first.map((_, j) => tf.stack(values.map((v) => tensorLeaves(v)[j])));
      now.get(k)!.value = unflatten(def, stacked) as StateValue;
    }
  } finally {
    for (const values of lanes.values()) for (const v of values) tf.dispose(tensorLeaves(v));
  }
  return model;
}

/**
 * The modules of `root` as the graph walker finds them (`graph.nodes`): the root first,
 * then by path; a module reached twice appears once. Fields, arrays, plain objects and
 * Maps of modules are all followed.
 *
 * @example
 * ```ts
 * modulesOf(new bst.nn.Sequential(new bst.nn.Linear(2, 3))).length;   // 2
 * ```
 */
export function modulesOf(root: Module): Module[] {
  return nodes(root).values();
}

/**
 * Calls `initState(...args)` on every module of `model` (the model first, then its
 * sub-modules by path), e.g. to make the hidden states of a network for a batch size.
 * With a last argument `{ vmapSize: n }` (BrainState's `vmap_size`), every state the
 * hooks set holds `n` instances along a new leading axis, each initialised on its own: a
 * batch of networks for a parameter sweep, stepped together by `transform.vmap` with
 * `inStates`.
 *
 * @returns `model`.
 * @example
 * ```ts
 * const net = new bst.nn.Sequential(new bst.nn.Linear(10, 20), new bst.nn.LIF(20));
 * bst.nn.initAllStates(net, 32);   // LIF.V is now Tensor[32,20]
 * bst.nn.initAllStates(net, { vmapSize: 8 });   // LIF.V is Tensor[8,20]: 8 networks
 * ```
 * @see resetAllStates
 */
export function initAllStates<M extends Module>(model: M, ...args: unknown[]): M {
  const last = args[args.length - 1];
  if (isInitOptions(last)) return initInstances(model, args.slice(0, -1), last.vmapSize);
  for (const m of modulesOf(model)) m.initState(...args);
  return model;
}

/**
 * Calls `resetState(...args)` on every module of `model` (e.g. between trials).
 *
 * @returns `model`.
 * @example
 * ```ts
 * const net = new bst.nn.Sequential(new bst.nn.LIF(20));
 * bst.nn.initAllStates(net);
 * bst.nn.resetAllStates(net);   // every LIF.V back to its initial value
 * ```
 * @see initAllStates
 */
export function resetAllStates<M extends Module>(model: M, ...args: unknown[]): M {
  for (const m of modulesOf(model)) m.resetState(...args);
  return model;
}

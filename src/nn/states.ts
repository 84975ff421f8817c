/**
 * `initAllStates` / `resetAllStates`: call the `initState` / `resetState` hook of every
 * module in a model, as BrainState's `nn.init_all_states` / `nn.reset_all_states`.
 */
import { nodes } from '../graph';
import { Module } from './module';

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
 *
 * @returns `model`.
 * @example
 * ```ts
 * const net = new bst.nn.Sequential(new bst.nn.Linear(10, 20), new bst.nn.LIF(20));
 * bst.nn.initAllStates(net, 32);   // LIF.V is now Tensor[32,20]
 * ```
 * @see resetAllStates
 */
export function initAllStates<M extends Module>(model: M, ...args: unknown[]): M {
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

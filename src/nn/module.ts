/**
 * `nn.Module`: the base class of every model and dynamical system.
 */
import { BrainStateError } from '../errors';
import type { Filter } from '../graph/filters';
import type { FlatDict } from '../graph/flat-dict';
import type { NestedDict } from '../graph/nested-dict';
// The graph ops do not import this file at load time (they recognise modules by the
// GRAPH_NODE brand), so importing them here makes no cycle.
import { nodes as graphNodes, states as graphStates } from '../graph/split';
import { GRAPH_NODE } from '../graph/walker';
import type { State } from '../state/state';

/**
 * The base of every module. Subclasses declare states as fields (`@param`, `@hidden`,
 * or explicit `State` fields) and sub-modules as fields; the graph walker finds them.
 *
 * `call(...)` runs the module; by default it calls `update(...)`, BrainState's name for
 * one step of a dynamical system. Override whichever reads better.
 *
 * @example
 * ```ts
 * class Counter extends bst.nn.Module {
 *   count = new bst.HiddenState(tf.scalar(0));
 *   update(inc: tf.Tensor) { this.count.value = tf.add(this.count.value, inc); return this.count.value; }
 * }
 * const c = new Counter();
 * c.call(tf.scalar(2));     // count is now 2
 * ```
 */
export class Module {
  /** Runs the module. Defaults to {@link Module.update}. */
  call(...args: unknown[]): unknown {
    return (this.update as (...a: unknown[]) => unknown)(...args);
  }

  /** One step of the module's dynamics. Subclasses override this or `call`. */
  update(..._args: unknown[]): unknown {
    throw new BrainStateError(`${this.constructor.name}.update: not implemented; a module overrides ` +
      '`call(...)` or `update(...)` to say what running it computes.');
  }

  /** Hook called by `nn.initAllStates` on every module: create hidden states here. */
  initState(..._args: unknown[]): void {}

  /** Hook called by `nn.resetAllStates` on every module: reset hidden states here. */
  resetState(..._args: unknown[]): void {}

  /**
   * The brand by which the graph walker recognises modules.
   * @internal
   */
  get [GRAPH_NODE](): true {
    return true;
  }

  /**
   * This module's live states by path (not copies), as `graph.states(this, ...filters)`:
   * one tree for no filter or one, else one tree per filter.
   *
   * @example
   * ```ts
   * const lin = new TinyLinear();
   * lin.states(bst.ParamState).toFlat().keys();   // [['bias'], ['weight']]
   * lin.states().weight.value;                    // the weight tensor
   * ```
   * @param filters - see `graph.Filter`.
   * @returns a NestedDict of States, or one per filter.
   * @see graph.states
   */
  states(filters?: Filter): NestedDict<State>;
  states<F extends readonly [Filter, Filter, ...Filter[]]>(...filters: F): { -readonly [K in keyof F]: NestedDict<State> };
  states(...filters: (Filter | undefined)[]): NestedDict<State> | NestedDict<State>[] {
    // The implementation signature of graph.states (its overloads cannot take a rest array).
    return (graphStates as (node: object, ...f: (Filter | undefined)[]) => NestedDict<State> | NestedDict<State>[])(
      this, ...filters);
  }

  /**
   * The modules of this graph by path, this one at `[]`, as `graph.nodes(this, ...filters)`.
   *
   * @example
   * ```ts
   * net.nodes().keys();   // [[], ['layers', 0], ['layers', 1]]
   * ```
   * @param filters - see `graph.Filter`.
   * @returns a FlatDict of modules, or one per filter.
   * @see graph.nodes
   */
  nodes(filters?: Filter): FlatDict<Module>;
  nodes<F extends readonly [Filter, Filter, ...Filter[]]>(...filters: F): { -readonly [K in keyof F]: FlatDict<Module> };
  nodes(...filters: (Filter | undefined)[]): FlatDict<Module> | FlatDict<Module>[] {
    return (graphNodes as (node: object, ...f: (Filter | undefined)[]) => FlatDict<Module> | FlatDict<Module>[])(
      this, ...filters);
  }
}

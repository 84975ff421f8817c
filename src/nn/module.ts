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
import { ParamState, type State, type StateValue } from '../state/state';

/** A shape without the batch axis, as BrainState's `in_size` / `out_size`. */
export type Size = readonly number[];

/** `size` (a number or an array of positive integers) as a frozen array; an error names `what`. */
export function toSize(size: number | readonly number[], what: string): Size {
  const shape = typeof size === 'number' ? [size] : Array.isArray(size) ? [...size] : undefined;
  if (shape === undefined || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new BrainStateError(`${what}: expected a positive integer or a non-empty array of them, got ` +
      `${JSON.stringify(size)}.`);
  }
  return Object.freeze(shape);
}

declare module '../graph/node' {
  // The graph's nodes are modules (see graph/node.ts).
  interface NodeTypes {
    readonly node: Module;
  }
}

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
  /** The module's name, if it was given one (read-only, as BrainState's `name`). */
  readonly name: string | undefined;
  /**
   * The input shape without the batch axis, where the module knows it (BrainState's
   * `in_size`): `[inSize]` for `Linear`, `[H, W, C]` for `Conv2d`, ...
   */
  inSize: Size | undefined;
  /** The output shape without the batch axis, where the module knows it (BrainState's `out_size`). */
  outSize: Size | undefined;

  /** @param name - an optional name (shown in messages; read-only afterwards). */
  constructor(name?: string) {
    if (name !== undefined && typeof name !== 'string') {
      throw new BrainStateError(`${new.target.name}: expected name to be a string, got ${typeof name}.`);
    }
    // Only set when given, so unnamed modules keep the GraphDef they always had.
    if (name !== undefined) Object.defineProperty(this, 'name', { value: name, enumerable: true });
  }

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

  /**
   * The modules directly inside this one (fields, and arrays / objects / Maps of modules,
   * without passing through another module), in path order, with their dotted names.
   *
   * @example
   * ```ts
   * const net = new bst.nn.Sequential(new bst.nn.Linear(2, 3), new bst.nn.ReLU());
   * net.namedChildren().map(([name]) => name);   // ['layers.0', 'layers.1']
   * ```
   * @returns `[name, module]` pairs.
   * @see children
   */
  namedChildren(): [string, Module][] {
    return this.namedModules({ includeSelf: false }).filter(([, , depth]) => depth === 1)
      .map(([name, m]) => [name, m]);
  }

  /**
   * The modules directly inside this one, in path order (PyTorch's and BrainState's `children()`).
   *
   * @example
   * ```ts
   * new bst.nn.Sequential(new bst.nn.Linear(2, 3)).children().length;   // 1
   * ```
   * @see namedChildren
   */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /**
   * Every module of this graph (this one first, unless `includeSelf` is false) with its
   * dotted name (`''` for this one) and its depth in modules (0 for this one).
   *
   * @example
   * ```ts
   * net.namedModules().map(([name]) => name);   // ['', 'layers.0', 'layers.1']
   * ```
   * @param options - `includeSelf` (default true), `prefix` put before every name.
   * @returns `[name, module, depth]` triples in path order.
   */
  namedModules(options: { includeSelf?: boolean; prefix?: string } = {}): [string, Module, number][] {
    const flat = this.nodes();
    const depthOf = new Map<string, number>();
    const out: [string, Module, number][] = [];
    for (const [path, m] of flat.entries()) {
      const key = path.map(String).join('.');
      // A module's depth is one more than that of the nearest module on its path.
      let depth = 0;
      for (let k = path.length - 1; k >= 0; k--) {
        const d = depthOf.get(path.slice(0, k).map(String).join('.'));
        if (d !== undefined) { depth = d + 1; break; }
      }
      depthOf.set(key, depth);
      if (depth === 0 && options.includeSelf === false) continue;
      const prefix = options.prefix ?? '';
      out.push([prefix !== '' ? (key !== '' ? `${prefix}.${key}` : prefix) : key, m, depth]);
    }
    return out;
  }

  /**
   * The trainable parameters (`ParamState`s) of this module and, unless `recurse` is
   * false, of every module inside it, with their dotted paths (BrainState's
   * `named_parameters`).
   *
   * @example
   * ```ts
   * new bst.nn.Linear(2, 3).namedParameters().map(([name]) => name);   // ['weight']
   * ```
   * @param options - `recurse` (default true), `prefix` put before every name.
   * @returns `[name, state]` pairs in path order.
   * @see parameters
   */
  namedParameters(options: { recurse?: boolean; prefix?: string } = {}): [string, ParamState<StateValue>][] {
    const modulePaths = new Set(this.nodes().keys().filter((p) => p.length > 0).map((p) => p.map(String).join('.')));
    const out: [string, ParamState<StateValue>][] = [];
    for (const [path, st] of this.states(ParamState).toFlat().entries()) {
      if (options.recurse === false) {
        // Only states of this module itself: no module on the way to them.
        let inside = false;
        for (let k = 1; k < path.length && !inside; k++) inside = modulePaths.has(path.slice(0, k).map(String).join('.'));
        if (inside) continue;
      }
      const name = path.map(String).join('.');
      out.push([options.prefix ? `${options.prefix}.${name}` : name, st as unknown as ParamState<StateValue>]);
    }
    return out;
  }

  /**
   * The trainable parameters (`ParamState`s), as {@link namedParameters} without names.
   *
   * @example
   * ```ts
   * new bst.nn.Linear(2, 3).parameters()[0].value;   // { weight, bias }
   * ```
   */
  parameters(options: { recurse?: boolean } = {}): ParamState<StateValue>[] {
    return this.namedParameters(options).map(([, p]) => p);
  }
}

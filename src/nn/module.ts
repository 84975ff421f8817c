/**
 * `nn.Module`: the base class of every model and dynamical system.
 */
import { BrainStateError } from '../errors';

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
}

/**
 * `@param` and `@hidden`: declare a module field as a state. The field then reads and
 * writes that state's value; `stateOf(module, key)` returns the state itself. They work
 * under standard (TC39) decorators and under `experimentalDecorators`; TypeScript picks
 * the overload that matches the tsconfig.
 */
import { DecoratorError } from '../src/errors';
import { HiddenState, ParamState, StateClass } from '../src/state/state';
import { decorateLegacyField, decorateStandardField, FieldOptions, StandardFieldContext } from './field-worlds';

export type { FieldOptions } from './field-worlds';
export { stateOf } from '../src/graph/state-of';

/**
 * What `@param(...)` / `@hidden(...)` return: a decorator for each world.
 * - standard decorators: `@param accessor w = ...` or `@param w = ...`;
 * - `experimentalDecorators`: `@param w = ...` (with `"useDefineForClassFields": false`).
 */
export interface FieldDecorator {
  /** Standard decorators, on an auto-accessor: `@param accessor w = tf.zeros([3])`. */
  <This, V>(target: ClassAccessorDecoratorTarget<This, V>,
    context: ClassAccessorDecoratorContext<This, V>): ClassAccessorDecoratorResult<This, V>;
  /** Standard decorators, on a plain field: `@param w = tf.zeros([3])`. */
  <This, V>(target: undefined, context: ClassFieldDecoratorContext<This, V>): void;
  /** `experimentalDecorators`: `(prototype, key)`. */
  (target: object, key: string | symbol): void;
  /**
   * `experimentalDecorators` on an accessor: throws at class definition, saying that
   * `accessor` fields need standard decorators (use a plain field there).
   */
  (target: object, key: string | symbol, descriptor: PropertyDescriptor): void;
}

function isStandardContext(x: unknown): x is StandardFieldContext {
  return typeof x === 'object' && x !== null && 'kind' in x && 'name' in x && 'addInitializer' in x;
}

function isLegacyCall(args: unknown[]): args is [object, string | symbol, PropertyDescriptor?] {
  return args.length >= 2 && (typeof args[0] === 'object' || typeof args[0] === 'function') && args[0] !== null &&
    (typeof args[1] === 'string' || typeof args[1] === 'symbol');
}

function makeFieldDecorator(decorator: string, defaultKind: StateClass, options: FieldOptions): FieldDecorator {
  return ((...args: unknown[]) => {
    if (isStandardContext(args[1])) return decorateStandardField(decorator, defaultKind, options, args[1]);
    if (isLegacyCall(args)) return decorateLegacyField(decorator, defaultKind, options, args[0], args[1], args[2]);
    throw new DecoratorError(`@${decorator}: called with ${args.length} argument(s) that are neither a standard ` +
      'decorator context nor (prototype, key); use it as `@' + decorator + '` or `@' + decorator + '({ ... })` on a field.');
  }) as FieldDecorator;
}

/** True when `args` are what a decorator receives, not options. */
function isDecoratorCall(args: unknown[]): boolean {
  return args.length >= 2;
}

/**
 * Declares a field as a {@link ParamState} (a trainable parameter). Use bare or with options.
 *
 * @example
 * ```ts
 * class TinyLinear extends bst.nn.Module {
 *   @param weight = tf.tensor2d([[1]]);              // or `@param accessor weight = ...`
 *   @param({ tag: 'bias' }) bias = tf.tensor1d([0]);
 *   call(x: tf.Tensor) { return tf.add(tf.matMul(x, this.weight), this.bias); }
 * }
 * bst.stateOf(new TinyLinear(), 'weight'); // ParamState(value=Tensor[1,1] float32, tag=undefined)
 * ```
 */
export function param<This, V>(target: ClassAccessorDecoratorTarget<This, V>,
  context: ClassAccessorDecoratorContext<This, V>): ClassAccessorDecoratorResult<This, V>;
export function param<This, V>(target: undefined, context: ClassFieldDecoratorContext<This, V>): void;
export function param(target: object, key: string | symbol, descriptor?: PropertyDescriptor): void;
export function param(options?: FieldOptions): FieldDecorator;
export function param(...args: unknown[]): unknown {
  if (isDecoratorCall(args)) return (makeFieldDecorator('param', ParamState, {}) as (...a: unknown[]) => unknown)(...args);
  return makeFieldDecorator('param', ParamState, (args[0] as FieldOptions | undefined) ?? {});
}

/**
 * Declares a field as a {@link HiddenState} (a variable of the module's dynamics).
 *
 * @example
 * ```ts
 * class Neuron extends bst.nn.Module {
 *   @hidden v = tf.zeros([10]);                     // or `@hidden accessor v = ...`
 *   update(i: tf.Tensor) { this.v = tf.add(this.v, i); return this.v; }
 * }
 * ```
 */
export function hidden<This, V>(target: ClassAccessorDecoratorTarget<This, V>,
  context: ClassAccessorDecoratorContext<This, V>): ClassAccessorDecoratorResult<This, V>;
export function hidden<This, V>(target: undefined, context: ClassFieldDecoratorContext<This, V>): void;
export function hidden(target: object, key: string | symbol, descriptor?: PropertyDescriptor): void;
export function hidden(options?: FieldOptions): FieldDecorator;
export function hidden(...args: unknown[]): unknown {
  if (isDecoratorCall(args)) return (makeFieldDecorator('hidden', HiddenState, {}) as (...a: unknown[]) => unknown)(...args);
  return makeFieldDecorator('hidden', HiddenState, (args[0] as FieldOptions | undefined) ?? {});
}

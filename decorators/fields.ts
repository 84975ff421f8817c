/**
 * `@param` and `@hidden`: declare a module field as a state. The field then reads and
 * writes that state's value; `stateOf(module, key)` returns the state itself.
 */
import * as tf from '@tensorflow/tfjs';
import { DecoratorError } from '../src/errors';
import { Module } from '../src/nn/module';
import { HiddenState, ParamState, State, StateClass, StateValue } from '../src/state/state';
import { stateValueProblem } from '../src/state/tree';
import { declaredFields, decoratedStates, recordField, requireReflectMetadata } from './metadata';

/** Options of `@param(...)`, `@hidden(...)`. */
export interface FieldOptions {
  /** The state's tag (graph filters can select on it). */
  tag?: string;
  /** Another `State` subclass to create instead of the decorator's default. */
  kind?: StateClass;
}

/** The signature of a property decorator under `experimentalDecorators`. */
export type FieldDecorator = (target: object, key: string | symbol) => void;

/** design:type values that can never hold a tensor. */
const NON_TENSOR_TYPES = new Map<unknown, string>([
  [Number, 'number'], [String, 'string'], [Boolean, 'boolean'], [Symbol, 'symbol'],
  [Function, 'Function'], [BigInt, 'bigint'],
]);

function makeFieldDecorator(decorator: string, defaultKind: StateClass, options: FieldOptions): FieldDecorator {
  return (target: object, key: string | symbol): void => {
    const owner = typeof target === 'function' ? target.name : target.constructor?.name ?? '<anonymous>';
    const where = `@${decorator} on ${owner}.${String(key)}`;
    requireReflectMetadata(where);
    if (typeof key !== 'string') {
      throw new DecoratorError(`${where}: only string-named fields can be states; rename the field.`);
    }
    if (typeof target === 'function' || !(target instanceof Module)) {
      throw new DecoratorError(`${where}: @${decorator} works only on instance fields of a class that extends ` +
        'bst.nn.Module; extend nn.Module, or hold the tensor in an explicit `new bst.State(...)`.');
    }
    const designType: unknown = Reflect.getMetadata('design:type', target, key);
    const bad = NON_TENSOR_TYPES.get(designType);
    if (bad !== undefined) {
      throw new DecoratorError(`${where}: the field is declared as \`${bad}\`, but a state holds a tf.Tensor; ` +
        `declare it as tf.Tensor (e.g. \`@${decorator} ${key} = tf.scalar(0)\`).`);
    }
    const kind = options.kind ?? defaultKind;
    if (typeof kind !== 'function' || !(kind.prototype instanceof State || kind === State)) {
      throw new DecoratorError(`${where}: option kind must be a State subclass, got ${String(kind)}.`);
    }
    recordField(target, { key, kind, tag: options.tag, decorator, owner });
    Object.defineProperty(target, key, {
      configurable: true,
      enumerable: false,
      get(this: object): StateValue | undefined {
        return decoratedStates(this).get(key)?.value;
      },
      set(this: object, v: StateValue) {
        const states = decoratedStates(this);
        const existing = states.get(key);
        if (existing !== undefined) {
          existing.value = v;
          return;
        }
        const problem = stateValueProblem(v);
        if (problem != null) {
          throw new DecoratorError(`${this.constructor.name}.${key} (@${decorator}): expected a tf.Tensor or an ` +
            `array / plain object of tensors, but ${problem}. Assign e.g. tf.scalar(...) or tf.zeros([...]).`);
        }
        const Kind = kind as unknown as new (v: StateValue, o: { name: string; tag?: string }) => State<StateValue>;
        states.set(key, new Kind(v, { name: key, tag: options.tag }));
      },
    });
  };
}

function isDecoratorCall(args: unknown[]): args is [object, string | symbol] {
  return args.length >= 2 && typeof args[0] === 'object' && args[0] !== null &&
    (typeof args[1] === 'string' || typeof args[1] === 'symbol');
}

/**
 * Declares a field as a {@link ParamState} (a trainable parameter). Use bare or with options.
 *
 * @example
 * ```ts
 * class TinyLinear extends bst.nn.Module {
 *   @param weight = tf.tensor2d([[1]]);
 *   @param({ tag: 'bias' }) bias = tf.tensor1d([0]);
 *   call(x: tf.Tensor) { return tf.add(tf.matMul(x, this.weight), this.bias); }
 * }
 * bst.stateOf(new TinyLinear(), 'weight'); // ParamState(value=Tensor[1,1] float32, tag=undefined)
 * ```
 */
export function param(target: object, key: string | symbol): void;
export function param(options?: FieldOptions): FieldDecorator;
export function param(...args: unknown[]): FieldDecorator | void {
  if (isDecoratorCall(args)) return makeFieldDecorator('param', ParamState, {})(args[0], args[1]);
  return makeFieldDecorator('param', ParamState, (args[0] as FieldOptions | undefined) ?? {});
}

/**
 * Declares a field as a {@link HiddenState} (a variable of the module's dynamics).
 *
 * @example
 * ```ts
 * class Neuron extends bst.nn.Module {
 *   @hidden v = tf.zeros([10]);
 *   update(i: tf.Tensor) { this.v = tf.add(this.v, i); return this.v; }
 * }
 * ```
 */
export function hidden(target: object, key: string | symbol): void;
export function hidden(options?: FieldOptions): FieldDecorator;
export function hidden(...args: unknown[]): FieldDecorator | void {
  if (isDecoratorCall(args)) return makeFieldDecorator('hidden', HiddenState, {})(args[0], args[1]);
  return makeFieldDecorator('hidden', HiddenState, (args[0] as FieldOptions | undefined) ?? {});
}

/**
 * The state object behind a decorated field (or an explicit `State` field) of `module`.
 *
 * @example
 * ```ts
 * const lin = new TinyLinear();
 * const w = bst.stateOf(lin, 'weight');   // ParamState
 * w.value = tf.tensor2d([[2]]);           // same as lin.weight = ...
 * ```
 */
export function stateOf<T extends StateValue = tf.Tensor>(module: object, key: string): State<T> {
  const decorated = decoratedStates(module).get(key);
  if (decorated !== undefined) return decorated as State<T>;
  const direct = (module as Record<string, unknown>)[key];
  if (direct instanceof State) return direct as State<T>;
  const declared = declaredFields(module).map((d) => d.key);
  const explicit = Object.keys(module).filter((k) => (module as Record<string, unknown>)[k] instanceof State);
  const known = [...declared, ...explicit];
  const isDeclared = declared.includes(key);
  throw new DecoratorError(`stateOf: ${module.constructor.name}.${key} ` +
    (isDeclared ? 'is declared but has not been assigned a value yet' : 'is not a state field') +
    `; state fields of ${module.constructor.name}: ${known.length > 0 ? known.join(', ') : '(none)'}.`);
}

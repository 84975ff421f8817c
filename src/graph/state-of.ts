/**
 * `stateOf(module, key)`: the State object behind a decorated field (or an explicit
 * `State` field) of a module.
 */
import type * as tf from '@tensorflow/tfjs';
import { DecoratorError } from '../errors';
import { State, StateValue } from '../state/state';
import { assertNoHiddenFields, declaredFields, decoratedStatesIfAny } from './node-metadata';

/**
 * The state object behind a decorated field (or an explicit `State` field) of `module`.
 *
 * @example
 * ```ts
 * class TinyLinear extends bst.nn.Module {
 *   @param weight = tf.tensor2d([[1]]);
 * }
 * const lin = new TinyLinear();
 * const w = bst.stateOf(lin, 'weight');   // ParamState
 * w.value = tf.tensor2d([[2]]);           // same as lin.weight = ...
 * ```
 * @param module - a module (an `nn.Module` instance).
 * @param key - the field's name.
 * @returns the live State (not a copy).
 * @throws DecoratorError when `key` is not a state field of `module`, or a plain class
 *   field hides the decorator (the message names the tsconfig setting to change).
 */
export function stateOf<T extends StateValue = tf.Tensor>(module: object, key: string): State<T> {
  const declared = declaredFields(module);
  assertNoHiddenFields(module, 'stateOf', declared);
  const decorated = decoratedStatesIfAny(module)?.get(key);
  if (decorated !== undefined) return decorated as State<T>;
  const direct = (module as Record<string, unknown>)[key];
  if (direct instanceof State) return direct as State<T>;
  const declaredKeys = declared.map((d) => d.key);
  const explicit = Object.keys(module).filter((k) => (module as Record<string, unknown>)[k] instanceof State);
  const known = [...declaredKeys, ...explicit];
  const isDeclared = declaredKeys.includes(key);
  throw new DecoratorError(`stateOf: ${module.constructor.name}.${key} ` +
    (isDeclared ? 'is declared but has not been assigned a value yet' : 'is not a state field') +
    `; state fields of ${module.constructor.name}: ${known.length > 0 ? known.join(', ') : '(none)'}.`);
}

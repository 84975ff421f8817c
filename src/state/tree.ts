/**
 * Values a state may hold: a tensor, or an array / plain object of them (as BrainState's
 * `Linear.weight`, whose value is `{ weight, bias }`).
 */
import * as tf from '@tensorflow/tfjs';

/** A tensor or a tree (array / plain object) of tensors. */
export type StateValue = tf.Tensor | readonly StateValue[] | { readonly [key: string]: StateValue };

export { isPlainObject } from '../util/plain-object';
import { isPlainObject } from '../util/plain-object';
import { typeString } from '../util/type-string';

/** Duck-typed tensor check: bundles can carry two copies of the Tensor class. */
export function isTensor(x: unknown): x is tf.Tensor {
  return x instanceof tf.Tensor || (x != null && typeof x === 'object' &&
    typeof (x as tf.Tensor).dataId === 'object' && Array.isArray((x as tf.Tensor).shape) &&
    typeof (x as tf.Tensor).dtype === 'string' && typeof (x as tf.Tensor).dataSync === 'function');
}

/**
 * Why `value` is not a valid state value, or null when it is. Describes the first
 * offending leaf by its position (`.weight`, `[0]`).
 */
export function stateValueProblem(value: unknown, where = ''): string | null {
  if (isTensor(value)) {
    return value.isDisposed ? `the tensor at value${where} is disposed` : null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = stateValueProblem(value[i], `${where}[${i}]`);
      if (p != null) return p;
    }
    return null;
  }
  if (isPlainObject(value)) {
    for (const k of Object.keys(value)) {
      const p = stateValueProblem(value[k], `${where}.${k}`);
      if (p != null) return p;
    }
    return null;
  }
  return `value${where} is ${describeNonTensor(value)}, not a tf.Tensor`;
}

/** Short description of a non-tensor value for error messages. */
export function describeNonTensor(x: unknown): string {
  if (x === null) return 'null';
  if (x === undefined) return 'undefined';
  if (typeof x === 'object') return `an instance of ${(x as object).constructor?.name ?? 'Object'}`;
  if (typeof x === 'string') return `the string ${JSON.stringify(x.length > 20 ? x.slice(0, 20) + '…' : x)}`;
  return `the ${typeof x} ${String(x)}`;
}

/** Every tensor leaf of a state value, depth first, object keys in insertion order. */
export function tensorLeaves(value: StateValue, out: tf.Tensor[] = []): tf.Tensor[] {
  if (isTensor(value)) out.push(value);
  else if (Array.isArray(value)) for (const v of value) tensorLeaves(v, out);
  else for (const k of Object.keys(value)) tensorLeaves((value as Record<string, StateValue>)[k], out);
  return out;
}

/** `Tensor[2,3] float32`, or the tree with each leaf so described. */
export function describeValue(value: StateValue): string {
  if (isTensor(value)) return `Tensor[${value.shape.join(',')}] ${value.dtype}`;
  if (Array.isArray(value)) return `[${value.map(describeValue).join(', ')}]`;
  const obj = value as Record<string, StateValue>;
  return `{${Object.keys(obj).map((k) => `${k}: ${describeValue(obj[k])}`).join(', ')}}`;
}

/** Shapes and dtypes of a value as a compact string: equal strings mean compatible values. */
export function valueSignature(value: StateValue): string {
  if (isTensor(value)) return `${typeString(value)}`;
  if (Array.isArray(value)) return `[${value.map(valueSignature).join(',')}]`;
  const obj = value as Record<string, StateValue>;
  return `{${Object.keys(obj).map((k) => `${k}:${valueSignature(obj[k])}`).join(',')}}`;
}

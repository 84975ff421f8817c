/**
 * `transform.cond`: run one of two functions depending on a boolean scalar. Eagerly the
 * predicate is read and one branch runs; under jit both branches are traced and the
 * compiled program picks one at run time (see `branches.ts`); a gradient taken inside
 * jit flows through the branch taken, as in JAX.
 */
import * as tf from '@tensorflow/tfjs';
import { TraceError } from '../errors';
import { isTensor } from '../state/tree';
import { tracedBranches } from './branches';
import { isTracing } from './trace';

/**
 * `trueFn(...operands)` if `pred` is true, else `falseFn(...operands)`. Both must
 * return the same structure of tensors (same shapes and dtypes), or both nothing
 * (`undefined`, then so is the result); either may write states.
 *
 * @example
 * ```ts
 * const y = bst.transform.cond(tf.scalar(true, 'bool'), (x: tf.Tensor) => tf.neg(x), (x: tf.Tensor) => x, tf.scalar(2));
 * // y = -2
 * ```
 */
export function cond<R>(pred: tf.Tensor | boolean, trueFn: (...ops: tf.Tensor[]) => R, falseFn: (...ops: tf.Tensor[]) => R,
  ...operands: tf.Tensor[]): R {
  if (typeof pred === 'boolean') return (pred ? trueFn : falseFn)(...operands);
  if (!isTensor(pred) || pred.size !== 1) {
    throw new TraceError(`cond: pred must be a boolean scalar tensor (or a boolean); got ${isTensor(pred) ? `shape [${pred.shape}]` : typeof pred}.`);
  }
  if (!isTracing()) return (pred.dataSync()[0] ? trueFn : falseFn)(...operands);
  // A number is true when non-zero (as BrainState); the branch node clamps its index.
  const index = pred.dtype === 'bool' ? pred : tf.notEqual(pred, 0);
  return tracedBranches('cond', 'Cond', index, [falseFn, trueFn], ['false branch', 'true branch'], operands, 1);
}

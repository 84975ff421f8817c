/**
 * Discrete distributions drawn from one key: `bernoulli`, `randint` and `categorical`,
 * with JAX's exact numbers for a key.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import type { KeyOptions } from './continuous';
import { checkShape, drawWith, KeySource } from './key';
import { RANDOM_INT, runRandomKernel } from './kernels';
import { checkParam, drawShape, F32, Scalarish, uniformBits } from './params';

/** Options of `categorical`. */
export interface CategoricalOptions extends KeyOptions {
  /** The axis of `logits` that holds the categories (default -1). */
  axis?: number;
  /** The output shape; it must end with `logits`' shape without `axis` (default: that shape). */
  shape?: readonly number[];
}

/** `uniform(shape) < p`, as `jax.random.bernoulli`. */
export function bernoulli(src: KeySource, p: Scalarish = 0.5, shape?: readonly number[],
  options: KeyOptions = {}): tf.Tensor {
  const where = 'random.bernoulli';
  checkParam(p, 'p', where, { atLeast: 0, atMost: 1 });
  const s = drawShape(shape, [p], where);
  return drawWith(src, 'bernoulli', options.key, (key) => tf.less(uniformBits(key, s), p));
}

/** int32 in `[low, high)`, as `jax.random.randint`. */
export function randint(src: KeySource, low: number, high: number, shape: readonly number[],
  options: KeyOptions = {}): tf.Tensor {
  const where = 'random.randint';
  for (const [name, v] of [['low', low], ['high', high]] as const) {
    if (!Number.isSafeInteger(v)) {
      throw new BrainStateError(`${where}: expected ${name} to be an integer, got ${v}; ` +
        'round it first (e.g. Math.floor).');
    }
  }
  const s = checkShape(shape, where);
  return drawWith(src, 'randint', options.key, (key) =>
    runRandomKernel(RANDOM_INT, { key }, { shape: s, minval: low, maxval: high }));
}

/** Standard Gumbel `-log(-log(u))`, `u` uniform in `[tiny, 1)`, as `jax.random.gumbel` (mode 'low'). */
export function gumbelFrom(key: tf.Tensor, shape: readonly number[]): tf.Tensor {
  return tf.neg(tf.log(tf.neg(tf.log(uniformBits(key, shape, F32.tiny, 1)))));
}

/**
 * Category indices (int32) drawn with the Gumbel-max trick, as `jax.random.categorical`:
 * `argmax(gumbel(key, shape with the category axis) + logits)`.
 */
export function categorical(src: KeySource, logits: tf.Tensor, options: CategoricalOptions = {}): tf.Tensor {
  const where = 'random.categorical';
  checkParam(logits, 'logits', where);
  if (logits.rank === 0) {
    throw new BrainStateError(`${where}: expected logits with at least one axis (the categories), got a scalar.`);
  }
  const rank = logits.rank;
  const axisIn = options.axis ?? -1;
  if (!Number.isInteger(axisIn) || axisIn < -rank || axisIn >= rank) {
    throw new BrainStateError(`${where}: expected axis to be an integer in [${-rank}, ${rank - 1}] for logits of ` +
      `shape [${logits.shape.join(',')}], got ${axisIn}.`);
  }
  const axis = axisIn < 0 ? axisIn + rank : axisIn;
  const batch = logits.shape.filter((_d, i) => i !== axis);
  const shape = options.shape === undefined ? batch : checkShape(options.shape, where);
  const tail = shape.slice(shape.length - batch.length);
  if (shape.length < batch.length || !tail.every((d, i) => d === batch[i] || batch[i] === 1)) {
    throw new BrainStateError(`${where}: expected shape to end with the batch shape [${batch.join(',')}] (logits ` +
      `[${logits.shape.join(',')}] without axis ${axis}), got [${shape.join(',')}].`);
  }
  const prefix = shape.slice(0, shape.length - batch.length);
  const gShape = [...prefix, ...tail];
  gShape.splice(prefix.length + axis, 0, logits.shape[axis]);
  return drawWith(src, 'categorical', options.key, (key) => {
    const expanded = tf.reshape(logits, [...prefix.map(() => 1), ...logits.shape]);
    return tf.argMax(tf.add(gumbelFrom(key, gShape), expanded), prefix.length + axis);
  });
}

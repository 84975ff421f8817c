/**
 * `Dropout`, as BrainState's `nn.Dropout`: active only while `environ.get('fit')` is true.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import * as environ from '../environ';
import * as random from '../random';
import { Module } from './module';

/**
 * Keeps each input with probability `prob` (BrainState's convention: `prob` is the KEEP
 * probability, default 0.5) and scales the kept ones by `1 / prob`, so the expected output
 * equals the input. Active only in fit mode (`environ.get('fit')` true); otherwise the
 * identity. Reading `fit` when it was never set is an error, as in BrainState. The mask is
 * drawn with `random.bernoulli`, so every call (also jitted) draws a new one.
 *
 * @example
 * ```ts
 * const drop = new bst.nn.Dropout(0.8);
 * const y = bst.environ.context({ fit: true }, () => drop.call(tf.ones([4, 5])));   // 0 or 1.25
 * bst.environ.context({ fit: false }, () => drop.call(tf.ones([4, 5])));          // unchanged
 * ```
 */
export class Dropout extends Module {
  constructor(readonly prob = 0.5, readonly broadcastDims: readonly number[] = []) {
    super();
    if (typeof prob !== 'number' || !(prob >= 0 && prob <= 1)) {
      throw new BrainStateError(`Dropout: expected prob (the keep probability) in [0, 1], got ${prob}.`);
    }
  }

  override call(x: tf.Tensor): tf.Tensor {
    const fit = environ.get('fit');
    if (fit !== true || this.prob >= 1) return x;
    const maskShape = x.shape.slice();
    for (const d of this.broadcastDims) {
      const axis = d < 0 ? d + x.rank : d;
      if (axis < 0 || axis >= x.rank) {
        throw new BrainStateError(`Dropout.call: broadcastDims has axis ${d}, but the input has rank ${x.rank}.`);
      }
      maskShape[axis] = 1;
    }
    const keep = random.bernoulli(this.prob, maskShape);
    try {
      return tf.tidy(() => tf.where(tf.broadcastTo(keep, x.shape), tf.div(x, this.prob), tf.zerosLike(x)));
    } finally {
      keep.dispose();
    }
  }

  override update(x: tf.Tensor): tf.Tensor {
    return this.call(x);
  }
}

/**
 * The dropout variants of BrainState's `nn`: channel-wise `Dropout1d/2d/3d`, the
 * self-normalising `AlphaDropout` / `FeatureAlphaDropout` (for SELU networks), and
 * `DropoutFixed` (one mask per trial, kept in a state). All of them take `prob` as the
 * KEEP probability (BrainState's convention) and act only while `environ.get('fit')` is true.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import * as environ from '../environ';
import * as random from '../random';
import { ShortTermState } from '../state';
import { Module, Size, toSize } from './module';

function checkProb(prob: number, where: string): void {
  if (typeof prob !== 'number' || !(prob >= 0 && prob <= 1)) {
    throw new BrainStateError(`${where}: expected prob (the keep probability) in [0, 1], got ${prob}.`);
  }
}

/** `where(keep, x / prob, 0)` with a mask of `maskShape` broadcast over `x`. */
function dropWithMask(x: tf.Tensor, prob: number, maskShape: number[]): tf.Tensor {
  const keep = random.bernoulli(prob, maskShape);
  try {
    return tf.tidy(() => tf.where(tf.broadcastTo(keep, x.shape), tf.div(x, prob), tf.zerosLike(x)));
  } finally {
    keep.dispose();
  }
}

/** SELU's negative saturation value. */
const SELU_ALPHA = -1.7580993408473766;

abstract class DropoutNd extends Module {
  protected abstract readonly minimalDim: number;

  constructor(readonly prob = 0.5, readonly channelAxis = -1, name?: string) {
    super(name);
    checkProb(prob, new.target.name);
  }

  override call(x: tf.Tensor): tf.Tensor {
    const where = `${this.constructor.name}.call`;
    if (x.rank !== this.minimalDim && x.rank !== this.minimalDim + 1) {
      throw new BrainStateError(`${where}: expected a ${this.minimalDim}-D input (no batch axis) or ` +
        `${this.minimalDim + 1}-D (with one), got shape [${x.shape.join(',')}].`);
    }
    const batched = x.rank === this.minimalDim + 1;
    const ch = this.channelAxis >= 0 ? this.channelAxis + (batched ? 1 : 0) : x.rank + this.channelAxis;
    if (batched && ch === 0) throw new BrainStateError(`${where}: the channel axis cannot be the batch axis.`);
    const maskShape = x.shape.map((d, i) => (i === ch || (batched && i === 0) ? d : 1));
    if (environ.get('fit') !== true || this.prob >= 1) return x;
    return dropWithMask(x, this.prob, maskShape);
  }

  override update(x: tf.Tensor): tf.Tensor {
    return this.call(x);
  }
}

/**
 * Drops whole channels of `[B, L, C]` (or `[L, C]`) inputs (BrainState's `nn.Dropout1d`).
 * @example
 * ```ts
 * const drop = new bst.nn.Dropout1d(0.8);
 * bst.environ.context({ fit: true }, () => drop.call(tf.ones([20, 32, 16])));   // whole channels 0 or 1.25
 * ```
 */
export class Dropout1d extends DropoutNd {
  protected readonly minimalDim = 2;
}

/**
 * Drops whole channels of `[B, H, W, C]` (or `[H, W, C]`) inputs (BrainState's `nn.Dropout2d`).
 * @example
 * ```ts
 * bst.environ.context({ fit: true }, () => new bst.nn.Dropout2d(0.8).call(tf.ones([2, 8, 8, 4])));
 * ```
 */
export class Dropout2d extends DropoutNd {
  protected readonly minimalDim = 3;
}

/**
 * Drops whole channels of `[B, D, H, W, C]` (or unbatched) inputs (BrainState's `nn.Dropout3d`).
 * @example
 * ```ts
 * bst.environ.context({ fit: true }, () => new bst.nn.Dropout3d(0.8).call(tf.ones([2, 4, 4, 4, 3])));
 * ```
 */
export class Dropout3d extends DropoutNd {
  protected readonly minimalDim = 4;
}

/** `(where(keep, x, alpha')) * a + b` with SELU's alpha', keeping mean 0 and variance 1. */
function alphaDrop(x: tf.Tensor, prob: number, maskShape: number[]): tf.Tensor {
  const q = 1 - prob;
  const a = (prob * (1 + q * SELU_ALPHA ** 2)) ** -0.5;
  const b = -a * q * SELU_ALPHA;
  const keep = random.bernoulli(prob, maskShape);
  try {
    return tf.tidy(() => tf.add(tf.mul(tf.where(tf.broadcastTo(keep, x.shape), x, tf.fill(x.shape, SELU_ALPHA)), a), b));
  } finally {
    keep.dispose();
  }
}

/**
 * Alpha dropout for self-normalising (SELU) networks (BrainState's `nn.AlphaDropout`):
 * dropped elements become SELU's saturation value, then an affine map restores mean
 * and variance.
 * @example
 * ```ts
 * bst.environ.context({ fit: true }, () => new bst.nn.AlphaDropout(0.9).call(tf.randomNormal([64, 32])));
 * ```
 */
export class AlphaDropout extends Module {
  constructor(readonly prob = 0.5, name?: string) {
    super(name);
    checkProb(prob, 'AlphaDropout');
  }

  override call(x: tf.Tensor): tf.Tensor {
    if (environ.get('fit') !== true || this.prob >= 1) return x;
    return alphaDrop(x, this.prob, x.shape);
  }

  override update(x: tf.Tensor): tf.Tensor {
    return this.call(x);
  }
}

/**
 * Alpha dropout of whole channels (BrainState's `nn.FeatureAlphaDropout`): one draw per
 * example and channel.
 * @example
 * ```ts
 * bst.environ.context({ fit: true }, () => new bst.nn.FeatureAlphaDropout(0.9).call(tf.ones([8, 10, 4])));
 * ```
 */
export class FeatureAlphaDropout extends Module {
  constructor(readonly prob = 0.5, readonly channelAxis = -1, name?: string) {
    super(name);
    checkProb(prob, 'FeatureAlphaDropout');
  }

  override call(x: tf.Tensor): tf.Tensor {
    if (environ.get('fit') !== true || this.prob >= 1) return x;
    const ch = this.channelAxis >= 0 ? this.channelAxis : x.rank + this.channelAxis;
    return alphaDrop(x, this.prob, x.shape.map((d, i) => (i === 0 || i === ch ? d : 1)));
  }

  override update(x: tf.Tensor): tf.Tensor {
    return this.call(x);
  }
}

/**
 * Dropout with a mask drawn once per trial by `initState(batchSize?)` and kept in a
 * `ShortTermState` (BrainState's `nn.DropoutFixed`), so every time step of a recurrent
 * or spiking network drops the same units.
 * @example
 * ```ts
 * const drop = new bst.nn.DropoutFixed(100, 0.8);
 * drop.initState(16);                                       // mask [16, 100]
 * bst.environ.context({ fit: true }, () => drop.call(tf.ones([16, 100])));
 * ```
 */
export class DropoutFixed extends Module {
  declare inSize: Size;
  declare outSize: Size;
  /** The mask (bool), after `initState`. */
  mask: ShortTermState | undefined;

  constructor(inSize: number | readonly number[], readonly prob = 0.5, name?: string) {
    super(name);
    checkProb(prob, 'DropoutFixed');
    this.inSize = toSize(inSize, 'DropoutFixed(inSize)');
    this.outSize = this.inSize;
  }

  /** Draws the mask, `[batchSize, ...inSize]` (or `inSize` without a batch size). */
  override initState(batchSize?: unknown): void {
    if (this.prob >= 1) return;
    const shape = typeof batchSize === 'number' ? [batchSize, ...this.inSize] : [...this.inSize];
    const m = random.bernoulli(this.prob, shape);
    if (this.mask === undefined) this.mask = new ShortTermState(m, { name: 'mask' });
    else this.mask.value = m;
  }

  override call(x: tf.Tensor): tf.Tensor {
    if (environ.get('fit') !== true || this.prob >= 1) return x;
    if (this.mask === undefined) {
      throw new BrainStateError('DropoutFixed.call: no mask yet; call initState(batchSize) (or ' +
        'nn.initAllStates(model, batchSize)) before fitting.');
    }
    const mask = this.mask.value;
    if (mask.shape.join(',') !== x.shape.join(',')) {
      throw new BrainStateError(`DropoutFixed.call: the input shape [${x.shape.join(',')}] does not match the mask ` +
        `[${mask.shape.join(',')}]; call initState(batchSize) with this batch size first.`);
    }
    return tf.tidy(() => tf.where(mask, tf.div(x, this.prob), tf.zerosLike(x)));
  }

  override update(x: tf.Tensor): tf.Tensor {
    return this.call(x);
  }
}

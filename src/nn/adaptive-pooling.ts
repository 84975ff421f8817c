/**
 * Adaptive pooling, as BrainState's `nn.AdaptiveAvgPool1d/2d/3d` and
 * `nn.AdaptiveMaxPool1d/2d/3d`: each pooled axis is cut into `target` blocks and each
 * block reduced. BrainState's split (not PyTorch's): with `n = len % target` and
 * `b = floor(len / target)`, the first `n` blocks have `b + 1` elements, the rest `b`.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import { toPoolLayout } from './pooling';
import { Module } from './module';

/** Options of the adaptive pooling layers. */
export interface AdaptivePoolOptions {
  /** The channel axis, not pooled (default -1); `null` when the input has none. */
  channelAxis?: number | null;
  /** A name for the module. */
  name?: string;
  /** The input shape without the batch axis, to fill `inSize` / `outSize`. */
  inSize?: readonly number[];
}

/** Reduces `axis` of `x` into `target` blocks (BrainState's `_adaptive_pool1d` along one axis). */
export function adaptivePoolAxis(x: tf.Tensor, axis: number, target: number, reduce: 'mean' | 'max'): tf.Tensor {
  const len = x.shape[axis];
  if (target > len) {
    throw new BrainStateError(`Adaptive pooling: target size ${target} is larger than the input's ${len} along axis ` +
      `${axis}; upsampling is not supported.`);
  }
  const heads = len % target;
  const block = Math.floor(len / target);
  const red = (t: tf.Tensor): tf.Tensor => (reduce === 'mean' ? tf.mean(t, axis + 1) : tf.max(t, axis + 1));
  const blocks = (part: tf.Tensor, n: number, size: number): tf.Tensor => {
    const shape = part.shape.slice();
    shape.splice(axis, 1, n, size);
    return red(tf.reshape(part, shape));
  };
  return tf.tidy(() => {
    if (heads === 0) return blocks(x, target, block);
    const cut = heads * (block + 1);
    const [h, t] = tf.split(x, [cut, len - cut], axis);
    return tf.concat([blocks(h, heads, block + 1), blocks(t, target - heads, block)], axis);
  });
}

abstract class AdaptivePool extends Module {
  /** Output length per pooled axis (`null`: that axis is left as it is). */
  readonly targetShape: (number | null)[];
  readonly channelAxis: number | null;

  constructor(readonly reduce: 'mean' | 'max', readonly numSpatialDims: number,
    targetSize: number | readonly (number | null)[], options: AdaptivePoolOptions) {
    super(options.name);
    const where = new.target.name;
    const t = typeof targetSize === 'number' ? new Array(numSpatialDims).fill(targetSize) : Array.isArray(targetSize)
      ? [...targetSize] : [];
    if (t.length !== numSpatialDims || !t.every((d) => d === null || (Number.isInteger(d) && d > 0))) {
      throw new BrainStateError(`${where}: expected targetSize to be a positive integer or ${numSpatialDims} of them ` +
        `(null leaves an axis alone), got ${JSON.stringify(targetSize)}.`);
    }
    this.targetShape = t;
    this.channelAxis = options.channelAxis === undefined ? -1 : options.channelAxis;
    if (options.inSize !== undefined) {
      this.inSize = Object.freeze([...options.inSize]);
      const out = [...options.inSize];
      let ch = this.channelAxis;
      if (ch !== null && ch < 0) ch += out.length;
      const axes = out.map((_, i) => i).filter((i) => i !== ch).slice(-numSpatialDims);
      axes.forEach((a, d) => { if (t[d] !== null) out[a] = t[d] as number; });
      this.outSize = Object.freeze(out);
    }
  }

  /** Pools the last `numSpatialDims` non-channel axes of `x` to the target shape. */
  override update(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const { x: xs, restore } = toPoolLayout(x, this.numSpatialDims, this.channelAxis, `${this.constructor.name}.call`);
      let y = xs;
      this.targetShape.forEach((t, d) => { if (t !== null) y = adaptivePoolAxis(y, 1 + d, t, this.reduce); });
      return restore(y);
    });
  }

  override call(x: tf.Tensor): tf.Tensor {
    return this.update(x);
  }
}

/**
 * Adaptive 1-D average pooling (BrainState's `nn.AdaptiveAvgPool1d`).
 * @example
 * ```ts
 * new bst.nn.AdaptiveAvgPool1d(5).call(tf.ones([2, 12, 3])).shape;   // [2, 5, 3]
 * ```
 */
export class AdaptiveAvgPool1d extends AdaptivePool {
  constructor(targetSize: number | readonly (number | null)[], options: AdaptivePoolOptions = {}) {
    super('mean', 1, targetSize, options);
  }
}

/**
 * Adaptive 2-D average pooling (BrainState's `nn.AdaptiveAvgPool2d`); `1` is global average pooling.
 * @example
 * ```ts
 * new bst.nn.AdaptiveAvgPool2d(1).call(tf.ones([2, 7, 7, 16])).shape;   // [2, 1, 1, 16]
 * ```
 */
export class AdaptiveAvgPool2d extends AdaptivePool {
  constructor(targetSize: number | readonly (number | null)[], options: AdaptivePoolOptions = {}) {
    super('mean', 2, targetSize, options);
  }
}

/**
 * Adaptive 3-D average pooling (BrainState's `nn.AdaptiveAvgPool3d`).
 * @example
 * ```ts
 * new bst.nn.AdaptiveAvgPool3d([2, 2, 2]).call(tf.ones([1, 5, 6, 7, 3])).shape;   // [1, 2, 2, 2, 3]
 * ```
 */
export class AdaptiveAvgPool3d extends AdaptivePool {
  constructor(targetSize: number | readonly (number | null)[], options: AdaptivePoolOptions = {}) {
    super('mean', 3, targetSize, options);
  }
}

/**
 * Adaptive 1-D max pooling (BrainState's `nn.AdaptiveMaxPool1d`).
 * @example
 * ```ts
 * new bst.nn.AdaptiveMaxPool1d(4).call(tf.ones([2, 10, 3])).shape;   // [2, 4, 3]
 * ```
 */
export class AdaptiveMaxPool1d extends AdaptivePool {
  constructor(targetSize: number | readonly (number | null)[], options: AdaptivePoolOptions = {}) {
    super('max', 1, targetSize, options);
  }
}

/**
 * Adaptive 2-D max pooling (BrainState's `nn.AdaptiveMaxPool2d`).
 * @example
 * ```ts
 * new bst.nn.AdaptiveMaxPool2d([3, 3]).call(tf.ones([2, 8, 8, 4])).shape;   // [2, 3, 3, 4]
 * ```
 */
export class AdaptiveMaxPool2d extends AdaptivePool {
  constructor(targetSize: number | readonly (number | null)[], options: AdaptivePoolOptions = {}) {
    super('max', 2, targetSize, options);
  }
}

/**
 * Adaptive 3-D max pooling (BrainState's `nn.AdaptiveMaxPool3d`).
 * @example
 * ```ts
 * new bst.nn.AdaptiveMaxPool3d(2).call(tf.ones([1, 4, 4, 4, 2])).shape;   // [1, 2, 2, 2, 2]
 * ```
 */
export class AdaptiveMaxPool3d extends AdaptivePool {
  constructor(targetSize: number | readonly (number | null)[], options: AdaptivePoolOptions = {}) {
    super('max', 3, targetSize, options);
  }
}

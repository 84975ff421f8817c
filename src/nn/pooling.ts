/**
 * Max and average pooling, as BrainState's `nn.MaxPool1d/2d/3d` and `nn.AvgPool1d/2d/3d`:
 * windows over the last `n` non-channel axes of an input with any leading axes, the
 * channel axis (default -1, `null` for none) left alone. BrainState's defaults: padding
 * `'VALID'`; the stride is the window for max pooling and 1 for average pooling.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import { convOutLength, padAxis, parsePadding, Padding, PaddingSpec, replicate } from './conv-ops';
import { Module, Size } from './module';

/** Options of the pooling layers. */
export interface PoolOptions {
  /** Window strides (default: the window for max pooling, 1 for average pooling, as BrainState). */
  stride?: number | readonly number[];
  /** `'VALID'` (default), `'SAME'`, an integer, `[lo, hi]`, or one per pooled axis. */
  padding?: PaddingSpec;
  /** The channel axis, not pooled (default -1); `null` when the input has none. */
  channelAxis?: number | null;
  /** A name for the module. */
  name?: string;
  /** The input shape without the batch axis, to fill `inSize` / `outSize`. */
  inSize?: readonly number[];
}

/**
 * `x` arranged as `[N, ...pooled, C]`, and how to put the pooled result back: the
 * leading axes folded into `N`, the channel axis moved last (or a unit one added).
 */
export function toPoolLayout(x: tf.Tensor, nd: number, channelAxis: number | null, where: string):
  { x: tf.Tensor; restore: (y: tf.Tensor) => tf.Tensor } {
  const need = nd + (channelAxis === null ? 0 : 1);
  if (x.rank < need) {
    throw new BrainStateError(`${where}: expected an input with at least ${need} axes (${nd} pooled` +
      `${channelAxis === null ? '' : ' and a channel axis'}), got shape [${x.shape.join(',')}].`);
  }
  let ch = channelAxis;
  if (ch !== null) {
    if (!Number.isInteger(ch) || ch < -x.rank || ch >= x.rank) {
      throw new BrainStateError(`${where}: channelAxis ${ch} is not an axis of an input of rank ${x.rank}.`);
    }
    if (ch < 0) ch += x.rank;
  }
  const perm = Array.from({ length: x.rank }, (_, i) => i).filter((i) => i !== ch);
  if (ch !== null) perm.push(ch);
  const moved = ch === null ? tf.expandDims(x, -1) : ch === x.rank - 1 ? x : tf.transpose(x, perm);
  const shape = moved.shape;
  const pooledShape = shape.slice(shape.length - 1 - nd, shape.length - 1);
  const lead = shape.slice(0, shape.length - 1 - nd);
  const c = shape[shape.length - 1];
  const folded = tf.reshape(moved, [tf.util.sizeFromShape(lead as number[]), ...pooledShape, c]);
  const restore = (y: tf.Tensor): tf.Tensor => {
    const out = tf.reshape(y, [...lead, ...y.shape.slice(1)]);
    if (ch === null) return tf.squeeze(out, [out.rank - 1]);
    if (ch === x.rank - 1) return out;
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => { inv[p] = i; });
    return tf.transpose(out, inv);
  };
  return { x: folded, restore };
}

/** Which reduction a pooling layer applies. */
export type PoolKind = 'max' | 'avg';

/** One tfjs pooling call on `[N, ...spatial, C]` with a mode padding. */
function poolOnce(x: tf.Tensor, kind: PoolKind, k: number[], s: number[], pad: 'same' | 'valid'): tf.Tensor {
  const nd = k.length;
  if (nd === 1) {
    const x4 = tf.expandDims(x, 1) as tf.Tensor4D;
    const y = kind === 'max' ? tf.maxPool(x4, [1, k[0]], [1, s[0]], pad) : tf.avgPool(x4, [1, k[0]], [1, s[0]], pad);
    return tf.squeeze(y, [1]);
  }
  if (nd === 2) {
    return kind === 'max' ? tf.maxPool(x as tf.Tensor4D, k as [number, number], s as [number, number], pad)
      : tf.avgPool(x as tf.Tensor4D, k as [number, number], s as [number, number], pad);
  }
  const k3 = k as [number, number, number];
  const s3 = s as [number, number, number];
  return kind === 'max' ? tf.maxPool3d(x as tf.Tensor5D, k3, s3, pad) : tf.avgPool3d(x as tf.Tensor5D, k3, s3, pad);
}

/** JAX's `padtype_to_pads` for `'SAME'`: the low side gets the smaller half. */
export function samePads(shape: readonly number[], k: number[], s: number[]): [number, number][] {
  return k.map((kk, d) => {
    const n = shape[d];
    const total = Math.max((Math.ceil(n / s[d]) - 1) * s[d] + kk - n, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  });
}

/**
 * Pools `[N, ...spatial, C]`. Padding (also `'SAME'`, turned into explicit pads) pads
 * with -inf (max) or zeros (average), and the average then divides by the number of
 * real elements in each window, as BrainState does. tfjs's own `'same'` modes are not
 * used: in tfjs 4.22 the `AvgPoolGrad` / `AvgPool3DGrad` of a `'same'` pooling are wrong
 * on every backend, and tfjs-wasm's `MaxPool3D` pads `'same'` windows with zeros.
 */
export function pool(x: tf.Tensor, kind: PoolKind, k: number[], s: number[], padding: Padding): tf.Tensor {
  if (padding === 'SAME') padding = samePads(x.shape.slice(1, -1), k, s);
  if (padding === 'VALID' || !padding.some(([a, b]) => a > 0 || b > 0)) return poolOnce(x, kind, k, s, 'valid');
  const explicit = padding;
  return tf.tidy(() => {
    // One spatial axis at a time (padAxis: tfjs-webgpu's Pad takes at most rank 4).
    const pad = (t: tf.Tensor, value: number) => explicit.reduce((acc, pair, d) => padAxis(acc, 1 + d, pair, value), t);
    if (kind === 'max') return poolOnce(pad(x, -Infinity), 'max', k, s, 'valid');
    const sums = poolOnce(pad(x, 0), 'avg', k, s, 'valid');
    const ones = tf.ones([1, ...x.shape.slice(1, -1), 1]);
    const counts = poolOnce(pad(ones, 0), 'avg', k, s, 'valid');
    return tf.div(sums, counts);
  });
}

/** Max or average pooling over `nd` axes. */
export abstract class Pool extends Module {
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: Padding;
  readonly channelAxis: number | null;

  constructor(readonly kind: PoolKind, readonly numSpatialDims: number, kernelSize: number | readonly number[],
    options: PoolOptions) {
    super(options.name);
    const where = new.target.name;
    this.kernelSize = replicate(kernelSize, numSpatialDims, 'kernelSize', where);
    this.stride = options.stride === undefined ? (kind === 'max' ? this.kernelSize.slice() : new Array(numSpatialDims).fill(1))
      : replicate(options.stride, numSpatialDims, 'stride', where);
    this.padding = parsePadding(options.padding ?? 'VALID', numSpatialDims, where);
    this.channelAxis = options.channelAxis === undefined ? -1 : options.channelAxis;
    if (options.inSize !== undefined) {
      this.inSize = Object.freeze([...options.inSize]);
      this.outSize = this.shapeOut([1, ...options.inSize]).slice(1);
    }
  }

  /** The output shape for an input shape (no tensors made). */
  private shapeOut(shape: number[]): Size {
    const nd = this.numSpatialDims;
    let ch = this.channelAxis;
    if (ch !== null && ch < 0) ch += shape.length;
    const axes = shape.map((_, i) => i).filter((i) => i !== ch).slice(-nd);
    const out = shape.slice();
    axes.forEach((a, d) => {
      const p = this.padding;
      out[a] = convOutLength(shape[a], this.kernelSize[d], this.stride[d], p === 'SAME' || p === 'VALID' ? p : p[d]);
    });
    return Object.freeze(out);
  }

  /** Pools the last `numSpatialDims` non-channel axes of `x` (any leading axes). */
  override update(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const { x: xs, restore } = toPoolLayout(x, this.numSpatialDims, this.channelAxis, `${this.constructor.name}.call`);
      return restore(pool(xs, this.kind, this.kernelSize, this.stride, this.padding));
    });
  }

  override call(x: tf.Tensor): tf.Tensor {
    return this.update(x);
  }
}

/**
 * 1-D max pooling (BrainState's `nn.MaxPool1d`; stride defaults to the window).
 * @example
 * ```ts
 * new bst.nn.MaxPool1d(2).call(tf.ones([4, 10, 3])).shape;   // [4, 5, 3]
 * ```
 */
export class MaxPool1d extends Pool {
  constructor(kernelSize: number | readonly number[], options: PoolOptions = {}) { super('max', 1, kernelSize, options); }
}

/**
 * 2-D max pooling (BrainState's `nn.MaxPool2d`; stride defaults to the window).
 * @example
 * ```ts
 * new bst.nn.MaxPool2d(2).call(tf.ones([4, 28, 28, 8])).shape;   // [4, 14, 14, 8]
 * ```
 */
export class MaxPool2d extends Pool {
  constructor(kernelSize: number | readonly number[], options: PoolOptions = {}) { super('max', 2, kernelSize, options); }
}

/**
 * 3-D max pooling (BrainState's `nn.MaxPool3d`; stride defaults to the window).
 * @example
 * ```ts
 * new bst.nn.MaxPool3d(2).call(tf.ones([1, 8, 8, 8, 2])).shape;   // [1, 4, 4, 4, 2]
 * ```
 */
export class MaxPool3d extends Pool {
  constructor(kernelSize: number | readonly number[], options: PoolOptions = {}) { super('max', 3, kernelSize, options); }
}

/**
 * 1-D average pooling (BrainState's `nn.AvgPool1d`; stride defaults to 1).
 * @example
 * ```ts
 * new bst.nn.AvgPool1d(2, { stride: 2 }).call(tf.ones([4, 10, 3])).shape;   // [4, 5, 3]
 * ```
 */
export class AvgPool1d extends Pool {
  constructor(kernelSize: number | readonly number[], options: PoolOptions = {}) { super('avg', 1, kernelSize, options); }
}

/**
 * 2-D average pooling (BrainState's `nn.AvgPool2d`; stride defaults to 1).
 * @example
 * ```ts
 * new bst.nn.AvgPool2d(2, { stride: 2 }).call(tf.ones([4, 28, 28, 8])).shape;   // [4, 14, 14, 8]
 * ```
 */
export class AvgPool2d extends Pool {
  constructor(kernelSize: number | readonly number[], options: PoolOptions = {}) { super('avg', 2, kernelSize, options); }
}

/**
 * 3-D average pooling (BrainState's `nn.AvgPool3d`; stride defaults to 1).
 * @example
 * ```ts
 * new bst.nn.AvgPool3d(2, { stride: 2 }).call(tf.ones([1, 8, 8, 8, 2])).shape;   // [1, 4, 4, 4, 2]
 * ```
 */
export class AvgPool3d extends Pool {
  constructor(kernelSize: number | readonly number[], options: PoolOptions = {}) { super('avg', 3, kernelSize, options); }
}

/**
 * The convolution arithmetic shared by `Conv*`, `ConvTranspose*` and pooling: argument
 * normalisation (BrainState's `replicate` and padding forms), and one general
 * convolution, `convGeneral`, that is JAX's `conv_general_dilated` for channels-last
 * inputs built from tfjs ops that every backend can differentiate.
 *
 * Why not pass dilations and groups to tfjs directly: tfjs's conv gradients reject
 * dilation rates above 1, `conv3dTranspose` has no gradient at all, and tfjs has no
 * grouped convolution. Dilating the kernel (and, for transposed convolutions, the
 * input) with zeros, and splitting groups, keeps every case trainable on every backend.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';

/** Padding as BrainState takes it: a mode, one number, `[lo, hi]`, or one entry per spatial axis. */
export type PaddingSpec = 'SAME' | 'VALID' | number | readonly [number, number] | readonly (number | readonly [number, number])[];

/** Padding after normalisation: a mode, or `[lo, hi]` per spatial axis. */
export type Padding = 'SAME' | 'VALID' | [number, number][];

/** `v` repeated `n` times when it is a number, else checked to have `n` positive integers. */
export function replicate(v: number | readonly number[], n: number, name: string, where: string, min = 1): number[] {
  const out = typeof v === 'number' ? new Array<number>(n).fill(v) : Array.isArray(v) ? [...v] : [];
  if (out.length !== n || !out.every((d) => Number.isInteger(d) && d >= min)) {
    throw new BrainStateError(`${where}: expected ${name} to be an integer >= ${min} or ${n} of them, got ` +
      `${JSON.stringify(v)}.`);
  }
  return out;
}

/** Normalises BrainState's padding forms for `nd` spatial axes. */
export function parsePadding(padding: PaddingSpec, nd: number, where: string): Padding {
  const bad = (): never => {
    throw new BrainStateError(`${where}: expected padding 'SAME', 'VALID', an integer, [lo, hi], or one integer or ` +
      `[lo, hi] per spatial axis (${nd}), got ${JSON.stringify(padding)}.`);
  };
  const pair = (p: unknown): [number, number] => {
    if (typeof p === 'number' && Number.isInteger(p) && p >= 0) return [p, p];
    if (Array.isArray(p) && p.length === 2 && p.every((q) => Number.isInteger(q) && q >= 0)) return [p[0], p[1]];
    return bad();
  };
  if (padding === 'SAME' || padding === 'VALID') return padding;
  if (typeof padding === 'string') return bad();
  if (typeof padding === 'number') return new Array(nd).fill(0).map(() => pair(padding));
  if (!Array.isArray(padding) || padding.length === 0) return bad();
  if (typeof padding[0] === 'number') {
    if (nd === 1 && padding.length === 2) return [pair(padding)];
    if (padding.length === nd) return padding.map(pair);
    return bad();
  }
  if (padding.length === 1) return new Array(nd).fill(0).map(() => pair(padding[0]));
  if (padding.length !== nd) return bad();
  return padding.map(pair);
}

/** The output length of one spatial axis (JAX's rule; `lhsDil` dilates the input). */
export function convOutLength(len: number, k: number, stride: number, pad: 'SAME' | 'VALID' | [number, number],
  lhsDil = 1, rhsDil = 1): number {
  const n = (len - 1) * lhsDil + 1;
  const kEff = (k - 1) * rhsDil + 1;
  if (pad === 'SAME') return Math.ceil(n / stride);
  const total = pad === 'VALID' ? n : n + pad[0] + pad[1];
  return Math.max(0, Math.floor((total - kEff) / stride) + 1);
}

/**
 * `x` with `factor - 1` zeros inserted between neighbours along `axis` (an input or
 * kernel dilation); differentiable (expandDims, pad, reshape, slice).
 */
export function dilateAxis(x: tf.Tensor, axis: number, factor: number): tf.Tensor {
  const len = x.shape[axis];
  if (factor === 1 || len <= 1) return x;
  return tf.tidy(() => {
    // As [before, len, 1, after], rank 4 whatever x's rank: tfjs-webgpu's Pad program does not
    // compile for rank 5 ("cannot index type 'vec5'"), which a 2-d kernel's dilation made
    // (backend/webgpu/coordinate-kernels.ts now pads there; at rank 4 tfjs's own program serves).
    const before = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const after = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const e = tf.reshape(x, [before, len, 1, after]);
    const merged = x.shape.slice();
    merged[axis] = len * factor;
    const flat = tf.reshape(tf.pad(e, [[0, 0], [0, 0], [0, factor - 1], [0, 0]]), merged);
    const size = merged.slice();
    size[axis] = (len - 1) * factor + 1;
    return tf.slice(flat, new Array(merged.length).fill(0), size);
  });
}

/**
 * `x` with `value` before and after along `axis`, padded as a rank-3 tensor: tfjs-webgpu's
 * Pad program does not compile for rank 5 (a 3-d convolution's or pooling's input: "cannot
 * index type 'vec5'"; the failed submit also lost the kernels batched with it). The
 * coordinate program of backend/webgpu/coordinate-kernels.ts now pads there; at rank 3
 * tfjs's own program serves.
 */
export function padAxis(x: tf.Tensor, axis: number, [lo, hi]: readonly [number, number], value = 0): tf.Tensor {
  if (lo === 0 && hi === 0) return x;
  const before = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const after = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const shape = x.shape.slice();
  shape[axis] += lo + hi;
  return tf.reshape(tf.pad(tf.reshape(x, [before, x.shape[axis], after]), [[0, 0], [lo, hi], [0, 0]], value), shape);
}

/** Options of {@link convGeneral}. */
export interface ConvGeneralOptions {
  strides: number[];
  padding: Padding;
  lhsDilation: number[];
  rhsDilation: number[];
  groups: number;
}

/**
 * `conv_general_dilated` for channels-last `x` `[B, ...spatial, Cin]` and a kernel
 * `[...k, Cin / groups, Cout]` (1, 2 or 3 spatial axes).
 */
export function convGeneral(x: tf.Tensor, w: tf.Tensor, o: ConvGeneralOptions): tf.Tensor {
  const nd = x.rank - 2;
  return tf.tidy(() => {
    let xi = x;
    let wi = w;
    for (let d = 0; d < nd; d++) {
      xi = dilateAxis(xi, 1 + d, o.lhsDilation[d]);
      wi = dilateAxis(wi, d, o.rhsDilation[d]);
    }
    let pad: 'same' | 'valid' = o.padding === 'SAME' ? 'same' : 'valid';
    if (Array.isArray(o.padding)) {
      const pairs = o.padding;
      pairs.forEach((pair, d) => { xi = padAxis(xi, 1 + d, pair); });
      pad = 'valid';
    }
    const one = (xs: tf.Tensor, ws: tf.Tensor): tf.Tensor => {
      if (nd === 1) {
        const y = tf.conv2d(tf.expandDims(xs, 1) as tf.Tensor4D, tf.expandDims(ws, 0) as tf.Tensor4D,
          [1, o.strides[0]], pad);
        return tf.squeeze(y, [1]);
      }
      if (nd === 2) return tf.conv2d(xs as tf.Tensor4D, ws as tf.Tensor4D, o.strides as [number, number], pad);
      return tf.conv3d(xs as tf.Tensor5D, ws as tf.Tensor5D, o.strides as [number, number, number], pad);
    };
    if (o.groups === 1) return one(xi, wi);
    const xs = tf.split(xi, o.groups, xi.rank - 1);
    const ws = tf.split(wi, o.groups, wi.rank - 1);
    return tf.concat(xs.map((xg, g) => one(xg, ws[g])), xi.rank - 1);
  });
}

/**
 * Moves a channels-first `x` (`[B, C, ...spatial]`) to channels-last, or back
 * (`toFirst`); identity when `channelFirst` is false.
 */
export function channelsLast(x: tf.Tensor, channelFirst: boolean, toFirst = false): tf.Tensor {
  if (!channelFirst) return x;
  const r = x.rank;
  const perm = toFirst ? [0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)]
    : [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1];
  return tf.transpose(x, perm);
}

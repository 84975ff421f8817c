/**
 * Transposed convolutions, as BrainState's `nn.ConvTranspose1d/2d/3d`: the kernel is
 * `[...kernelSize, outChannels, inChannels / groups]`, and the layer computes
 * `conv_general_dilated(x, flip(kernel), lhs_dilation=stride)` with the padding of
 * `jax.lax.conv_transpose` (so `'SAME'` gives `in * stride`, `'VALID'` gives
 * `(in - 1) * stride + max(k, stride)`), exactly as BrainState does.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import { convGeneral, convOutLength } from './conv-ops';
import { ConvBase, ConvOptions } from './conv';

/** Options of the transposed convolutions (no `lhsDilation`: the stride is the input dilation). */
export type ConvTransposeOptions = Omit<ConvOptions, 'lhsDilation'>;

/** BrainState's `_conv_transpose_padding`: the (before, after) padding of one axis. */
export function convTransposePadding(k: number, s: number, padding: 'SAME' | 'VALID'): [number, number] {
  let padLen: number;
  let a: number;
  if (padding === 'SAME') {
    padLen = k + s - 2;
    a = s > k - 1 ? k - 1 : Math.ceil(padLen / 2);
  } else {
    padLen = k + s - 2 + Math.max(k - s, 0);
    a = k - 1;
  }
  return [a, padLen - a];
}

abstract class ConvTranspose extends ConvBase {
  /** The explicit padding of the dilated correlation, per spatial axis. */
  readonly resolvedPadding: [number, number][];

  constructor(nd: number, inSize: readonly number[], outChannels: number, kernelSize: number | readonly number[],
    options: ConvTransposeOptions) {
    if ((options as ConvOptions).lhsDilation !== undefined) {
      throw new BrainStateError(`${new.target.name}: lhsDilation is not an option of a transposed convolution; the ` +
        'stride is its input dilation.');
    }
    super(nd, inSize, outChannels, kernelSize, options, true);
    const pad = this.padding;
    this.resolvedPadding = this.kernelSize.map((k, d) => (pad === 'SAME' || pad === 'VALID'
      ? convTransposePadding((k - 1) * this.rhsDilation[d] + 1, this.stride[d], pad) : pad[d]));
    const spatial = this.spatialIn().map((len, d) => convOutLength(len, this.kernelSize[d], 1,
      this.resolvedPadding[d], this.stride[d], this.rhsDilation[d]));
    if (spatial.some((s) => s < 1)) {
      throw new BrainStateError(`${new.target.name}: the output would be empty (spatial [${spatial.join(', ')}]) for ` +
        `inSize [${inSize.join(', ')}]; use smaller padding.`);
    }
    this.outSize = this.sizeFrom(spatial);
  }

  protected convOp(x: tf.Tensor, w: tf.Tensor): tf.Tensor {
    const nd = this.numSpatialDims;
    return tf.tidy(() => {
      // [...k, out, in/g] -> flipped spatially, as [...k, in/g, out] for the forward correlation.
      const perm = [...Array.from({ length: nd }, (_, i) => i), nd + 1, nd];
      const wt = tf.transpose(w, perm);
      // The two channel axes as one: tfjs-webgpu's Reverse takes at most rank 4 (a 3-d kernel is rank 5;
      // backend/webgpu/exact-int32.ts now flips above it too, but here tfjs's own program serves).
      const merged = tf.reshape(wt, [...wt.shape.slice(0, nd), wt.shape[nd] * wt.shape[nd + 1]]);
      const wf = tf.reshape(tf.reverse(merged, Array.from({ length: nd }, (_, i) => i)), wt.shape);
      return convGeneral(x, wf, { strides: new Array(nd).fill(1), padding: this.resolvedPadding,
        lhsDilation: this.stride, rhsDilation: this.rhsDilation, groups: this.groups });
    });
  }
}

/**
 * 1-D transposed convolution (BrainState's `nn.ConvTranspose1d`), for upsampling `[B, L, C]`.
 *
 * @example
 * ```ts
 * const up = new bst.nn.ConvTranspose1d([10, 4], 2, 3, { stride: 2 });
 * up.outSize;   // [20, 2]
 * ```
 * @see Conv1d
 */
export class ConvTranspose1d extends ConvTranspose {
  /**
   * @param inSize - `[L, C]` (or `[C, L]` with `channelFirst`).
   * @param outChannels - output channels.
   * @param kernelSize - window length.
   * @param options - stride, padding, `rhsDilation`, groups, initialisers, `wMask`, `channelFirst`.
   */
  constructor(inSize: readonly number[], outChannels: number, kernelSize: number | readonly number[],
    options: ConvTransposeOptions = {}) {
    super(1, inSize, outChannels, kernelSize, options);
  }
}

/**
 * 2-D transposed convolution (BrainState's `nn.ConvTranspose2d`), for upsampling `[B, H, W, C]`.
 *
 * @example
 * ```ts
 * const up = new bst.nn.ConvTranspose2d([7, 7, 8], 4, 4, { stride: 2, padding: 'VALID' });
 * up.outSize;   // [16, 16, 4]
 * ```
 * @see Conv2d
 */
export class ConvTranspose2d extends ConvTranspose {
  /**
   * @param inSize - `[H, W, C]` (or `[C, H, W]` with `channelFirst`).
   * @param outChannels - output channels.
   * @param kernelSize - window size.
   * @param options - stride, padding, `rhsDilation`, groups, initialisers, `wMask`, `channelFirst`.
   */
  constructor(inSize: readonly number[], outChannels: number, kernelSize: number | readonly number[],
    options: ConvTransposeOptions = {}) {
    super(2, inSize, outChannels, kernelSize, options);
  }
}

/**
 * 3-D transposed convolution (BrainState's `nn.ConvTranspose3d`); trainable on every
 * backend (tfjs's own `conv3dTranspose` has no gradient).
 *
 * @example
 * ```ts
 * const up = new bst.nn.ConvTranspose3d([4, 4, 4, 2], 1, 2, { stride: 2 });
 * up.outSize;   // [8, 8, 8, 1]
 * ```
 * @see Conv3d
 */
export class ConvTranspose3d extends ConvTranspose {
  /**
   * @param inSize - `[D, H, W, C]` (or `[C, D, H, W]` with `channelFirst`).
   * @param outChannels - output channels.
   * @param kernelSize - window size.
   * @param options - stride, padding, `rhsDilation`, groups, initialisers, `wMask`, `channelFirst`.
   */
  constructor(inSize: readonly number[], outChannels: number, kernelSize: number | readonly number[],
    options: ConvTransposeOptions = {}) {
    super(3, inSize, outChannels, kernelSize, options);
  }
}

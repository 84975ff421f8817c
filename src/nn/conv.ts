/**
 * Convolutions, as BrainState's `nn.Conv1d/2d/3d`: channels last by default, the kernel
 * `[...kernelSize, inChannels / groups, outChannels]` and the optional bias in one
 * `ParamState` `weight` holding `{ weight, bias? }`.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import { ParamState } from '../state';
import { channelsLast, convGeneral, convOutLength, parsePadding, Padding, PaddingSpec, replicate } from './conv-ops';
import { InitSpec, param, XavierNormal } from './init';
import { Module, Size, toSize } from './module';

/** The value of a convolution's `weight` state. */
export type ConvParams = { weight: tf.Tensor } | { weight: tf.Tensor; bias: tf.Tensor };

/** Options of {@link Conv1d}, {@link Conv2d}, {@link Conv3d} (BrainState's names and defaults). */
export interface ConvOptions {
  /** Window strides (default 1). */
  stride?: number | readonly number[];
  /** `'SAME'` (default), `'VALID'`, an integer, `[lo, hi]`, or one per spatial axis. */
  padding?: PaddingSpec;
  /** Input dilation (default 1): zeros between input elements. */
  lhsDilation?: number | readonly number[];
  /** Kernel dilation, a.k.a. atrous rate (default 1). */
  rhsDilation?: number | readonly number[];
  /** Feature groups: in and out channels are split into this many independent convolutions (default 1). */
  groups?: number;
  /** Kernel initialiser (default `XavierNormal()`, as BrainState). */
  wInit?: InitSpec;
  /** Bias initialiser; default none (BrainState's `b_init=None`): pass e.g. `0` for a bias. */
  bInit?: InitSpec | null;
  /** A fixed mask multiplied into the kernel (BrainState's `w_mask`), of the kernel's shape. */
  wMask?: InitSpec;
  /** Inputs are `[B, C, ...spatial]` instead of `[B, ...spatial, C]` (default false). */
  channelFirst?: boolean;
  /** A name for the module. */
  name?: string;
}

/** What both convolutions and transposed convolutions share: sizes, checks, channel layout. */
export abstract class ConvBase extends Module {
  /** The number of spatial axes (1, 2 or 3). */
  readonly numSpatialDims: number;
  declare inSize: Size;
  declare outSize: Size;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly rhsDilation: number[];
  readonly groups: number;
  readonly channelFirst: boolean;
  readonly padding: Padding;
  /** The kernel's shape. */
  readonly kernelShape: number[];
  /** The parameters `{ weight, bias? }`. */
  readonly weight: ParamState<ConvParams>;
  readonly wMask: tf.Tensor | undefined;

  constructor(nd: number, inSize: readonly number[], outChannels: number, kernelSize: number | readonly number[],
    options: ConvOptions, transposed: boolean) {
    super(options.name);
    this.numSpatialDims = nd;
    const where = new.target.name;
    if (!Array.isArray(inSize) || inSize.length !== nd + 1) {
      throw new BrainStateError(`${where}: expected inSize to have ${nd + 1} entries (${nd} spatial axes and the ` +
        `channels, without the batch axis), got ${JSON.stringify(inSize)}.`);
    }
    this.inSize = toSize(inSize, `${where}(inSize)`);
    this.channelFirst = options.channelFirst === true;
    this.inChannels = this.channelFirst ? inSize[0] : inSize[nd];
    if (!Number.isInteger(outChannels) || outChannels < 1) {
      throw new BrainStateError(`${where}: expected outChannels to be a positive integer, got ${outChannels}.`);
    }
    this.outChannels = outChannels;
    this.kernelSize = replicate(kernelSize, nd, 'kernelSize', where);
    this.stride = replicate(options.stride ?? 1, nd, 'stride', where);
    this.rhsDilation = replicate(options.rhsDilation ?? 1, nd, 'rhsDilation', where);
    this.groups = options.groups ?? 1;
    if (!Number.isInteger(this.groups) || this.groups < 1 || outChannels % this.groups !== 0 ||
      this.inChannels % this.groups !== 0) {
      throw new BrainStateError(`${where}: expected groups to divide both inChannels (${this.inChannels}) and ` +
        `outChannels (${outChannels}), got ${options.groups}.`);
    }
    this.padding = parsePadding(options.padding ?? 'SAME', nd, where);
    const gIn = this.inChannels / this.groups;
    this.kernelShape = transposed ? [...this.kernelSize, outChannels, gIn] : [...this.kernelSize, gIn, outChannels];
    const weight = param(options.wInit ?? new XavierNormal(), this.kernelShape, `${where}(wInit)`);
    const biasShape = this.channelFirst ? [outChannels, ...new Array(nd).fill(1)] : [...new Array(nd).fill(1), outChannels];
    const params: ConvParams = options.bInit == null ? { weight }
      : { weight, bias: param(options.bInit, biasShape, `${where}(bInit)`) };
    this.weight = new ParamState<ConvParams>(params, { name: 'weight' });
    this.wMask = options.wMask === undefined ? undefined
      : tf.keep(param(options.wMask, this.kernelShape, `${where}(wMask)`));
  }

  /** The spatial input lengths, in channels-last order. */
  protected spatialIn(): number[] {
    const nd = this.numSpatialDims;
    return this.channelFirst ? this.inSize.slice(1) : this.inSize.slice(0, nd);
  }

  /** `outSize` from spatial output lengths. */
  protected sizeFrom(spatial: number[]): Size {
    return Object.freeze(this.channelFirst ? [this.outChannels, ...spatial] : [...spatial, this.outChannels]);
  }

  /** The channels-last convolution on a batched input. */
  protected abstract convOp(x: tf.Tensor, w: tf.Tensor): tf.Tensor;

  /**
   * Convolves `x`: `[B, ...inSize]`, or `[...inSize]` without a batch axis (the output
   * then has none either).
   */
  override update(x: tf.Tensor): tf.Tensor {
    const nd = this.numSpatialDims;
    const where = `${this.constructor.name}.call`;
    const batched = x.rank === nd + 2;
    if (!batched && x.rank !== nd + 1) {
      throw new BrainStateError(`${where}: expected a ${nd + 2}-D input [batch, ...${JSON.stringify(this.inSize)}] ` +
        `or a ${nd + 1}-D one without the batch axis, got shape [${x.shape.join(',')}].`);
    }
    const own = batched ? x.shape.slice(1) : x.shape;
    if (own.some((d, i) => d !== this.inSize[i])) {
      throw new BrainStateError(`${where}: expected an input of shape [batch, ${this.inSize.join(', ')}], got ` +
        `[${x.shape.join(',')}]; the layer was made for inSize [${this.inSize.join(', ')}].`);
    }
    const params = this.weight.value;
    return tf.tidy(() => {
      const xb = batched ? x : tf.expandDims(x, 0);
      const w = this.wMask === undefined ? params.weight : tf.mul(params.weight, this.wMask);
      let y = channelsLast(this.convOp(channelsLast(xb, this.channelFirst), w), this.channelFirst, true);
      if ('bias' in params) y = tf.add(y, params.bias);
      return batched ? y : tf.squeeze(y, [0]);
    });
  }

  override call(x: tf.Tensor): tf.Tensor {
    return this.update(x);
  }
}

/** A forward convolution with `nd` spatial axes. */
abstract class Conv extends ConvBase {
  readonly lhsDilation: number[];

  constructor(nd: number, inSize: readonly number[], outChannels: number, kernelSize: number | readonly number[],
    options: ConvOptions) {
    super(nd, inSize, outChannels, kernelSize, options, false);
    this.lhsDilation = replicate(options.lhsDilation ?? 1, nd, 'lhsDilation', new.target.name);
    const spatial = this.spatialIn().map((len, d) => convOutLength(len, this.kernelSize[d], this.stride[d],
      this.padding === 'SAME' || this.padding === 'VALID' ? this.padding : this.padding[d],
      this.lhsDilation[d], this.rhsDilation[d]));
    if (spatial.some((s) => s < 1)) {
      throw new BrainStateError(`${new.target.name}: the output would be empty (spatial [${spatial.join(', ')}]) for ` +
        `inSize [${inSize.join(', ')}] and kernelSize [${this.kernelSize.join(', ')}]; use padding 'SAME' or a ` +
        'smaller kernel.');
    }
    this.outSize = this.sizeFrom(spatial);
  }

  protected convOp(x: tf.Tensor, w: tf.Tensor): tf.Tensor {
    return convGeneral(x, w, { strides: this.stride, padding: this.padding, lhsDilation: this.lhsDilation,
      rhsDilation: this.rhsDilation, groups: this.groups });
  }
}

/**
 * 1-D convolution over `[B, L, C]` inputs (BrainState's `nn.Conv1d`).
 *
 * @example
 * ```ts
 * const conv = new bst.nn.Conv1d([100, 3], 16, 5, { stride: 2, bInit: 0 });
 * conv.call(tf.ones([8, 100, 3])).shape;   // [8, 50, 16]
 * conv.outSize;                             // [50, 16]
 * ```
 * @see Conv2d
 */
export class Conv1d extends Conv {
  /**
   * @param inSize - `[L, C]` (or `[C, L]` with `channelFirst`).
   * @param outChannels - output channels.
   * @param kernelSize - window length.
   * @param options - stride, padding, dilations, groups, initialisers, `wMask`, `channelFirst`.
   */
  constructor(inSize: readonly number[], outChannels: number, kernelSize: number | readonly number[],
    options: ConvOptions = {}) {
    super(1, inSize, outChannels, kernelSize, options);
  }
}

/**
 * 2-D convolution over `[B, H, W, C]` images (BrainState's `nn.Conv2d`).
 *
 * @example
 * ```ts
 * const conv = new bst.nn.Conv2d([28, 28, 1], 8, 3, { bInit: 0 });
 * conv.call(tf.zeros([4, 28, 28, 1])).shape;   // [4, 28, 28, 8]
 * ```
 * @see Conv1d
 * @see ConvTranspose2d
 */
export class Conv2d extends Conv {
  /**
   * @param inSize - `[H, W, C]` (or `[C, H, W]` with `channelFirst`).
   * @param outChannels - output channels.
   * @param kernelSize - window size, one number or `[kh, kw]`.
   * @param options - stride, padding, dilations, groups, initialisers, `wMask`, `channelFirst`.
   */
  constructor(inSize: readonly number[], outChannels: number, kernelSize: number | readonly number[],
    options: ConvOptions = {}) {
    super(2, inSize, outChannels, kernelSize, options);
  }
}

/**
 * 3-D convolution over `[B, D, H, W, C]` volumes (BrainState's `nn.Conv3d`).
 *
 * @example
 * ```ts
 * const conv = new bst.nn.Conv3d([8, 8, 8, 2], 4, 3, { padding: 'VALID' });
 * conv.outSize;   // [6, 6, 6, 4]
 * ```
 * @see Conv2d
 */
export class Conv3d extends Conv {
  /**
   * @param inSize - `[D, H, W, C]` (or `[C, D, H, W]` with `channelFirst`).
   * @param outChannels - output channels.
   * @param kernelSize - window size, one number or three.
   * @param options - stride, padding, dilations, groups, initialisers, `wMask`, `channelFirst`.
   */
  constructor(inSize: readonly number[], outChannels: number, kernelSize: number | readonly number[],
    options: ConvOptions = {}) {
    super(3, inSize, outChannels, kernelSize, options);
  }
}

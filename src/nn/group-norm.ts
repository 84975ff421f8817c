/**
 * `GroupNorm`, as BrainState's: the channels (last axis) are split into groups, and each
 * group of each example is normalised over its channels and every non-batch axis.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import { ParamState } from '../state';
import { InitSpec, param } from './init';
import { Module, Size, toSize } from './module';
import { canonicalAxes, computeStats, normalize, NormParams } from './norm-stats';

/** Options of {@link GroupNorm} (BrainState's names and defaults). */
export interface GroupNormOptions {
  /** The number of groups (default 32); pass `null` with `groupSize` instead. */
  numGroups?: number | null;
  /** Channels per group (give this or `numGroups`). */
  groupSize?: number;
  /** Added to the variance (default 1e-6). */
  epsilon?: number;
  /** Learn a bias (default true). */
  useBias?: boolean;
  /** Learn a scale (default true). */
  useScale?: boolean;
  biasInit?: InitSpec;
  scaleInit?: InitSpec;
  /** Input axes the statistics also span, besides the group's channels (default: all but the first). */
  reductionAxes?: readonly number[];
  /** `E[x²] - E[x]²` for the variance (default true). */
  useFastVariance?: boolean;
  /** A name for the module. */
  name?: string;
}

/**
 * Group normalisation (BrainState's `nn.GroupNorm`) over channels-last inputs `[B, ..., C]`.
 *
 * @example
 * ```ts
 * const gn = new bst.nn.GroupNorm([8, 8, 32], { numGroups: 4 });
 * gn.call(tf.randomNormal([2, 8, 8, 32])).shape;   // [2, 8, 8, 32]
 * ```
 */
export class GroupNorm extends Module {
  declare inSize: Size;
  declare outSize: Size;
  readonly numGroups: number;
  readonly groupSize: number;
  readonly epsilon: number;
  readonly useFastVariance: boolean;
  readonly reductionAxes: readonly number[] | undefined;
  /** `{ scale?, bias? }` of shape `[1, ..., C]`, or undefined. */
  readonly weight: ParamState<NormParams> | undefined;

  constructor(inSize: number | readonly number[], options: GroupNormOptions = {}) {
    super(options.name);
    this.inSize = toSize(inSize, 'GroupNorm(inSize)');
    this.outSize = this.inSize;
    const c = this.inSize[this.inSize.length - 1];
    const ng = options.numGroups === undefined ? (options.groupSize === undefined ? 32 : null) : options.numGroups;
    if ((ng === null) === (options.groupSize === undefined)) {
      throw new BrainStateError('GroupNorm: give either numGroups or groupSize (to give groupSize, pass numGroups: null ' +
        'or leave it out), not both and not neither.');
    }
    if (ng !== null) {
      if (!Number.isInteger(ng) || ng <= 0 || c % ng !== 0) {
        throw new BrainStateError(`GroupNorm: numGroups ${ng} does not divide the number of channels (${c}).`);
      }
      this.numGroups = ng;
      this.groupSize = c / ng;
    } else {
      const gs = options.groupSize as number;
      if (!Number.isInteger(gs) || gs <= 0 || c % gs !== 0) {
        throw new BrainStateError(`GroupNorm: the number of channels (${c}) is not a multiple of groupSize ${gs}.`);
      }
      this.groupSize = gs;
      this.numGroups = c / gs;
    }
    this.epsilon = options.epsilon ?? 1e-6;
    this.useFastVariance = options.useFastVariance ?? true;
    this.reductionAxes = options.reductionAxes;
    const fs = this.inSize.map((d, i) => (i === this.inSize.length - 1 ? d : 1));
    const w: Record<string, tf.Tensor> = {};
    if (options.useScale ?? true) w.scale = param(options.scaleInit ?? 1, fs, 'GroupNorm(scaleInit)');
    if (options.useBias ?? true) w.bias = param(options.biasInit ?? 0, fs, 'GroupNorm(biasInit)');
    this.weight = Object.keys(w).length > 0 ? new ParamState<NormParams>(w, { name: 'weight' }) : undefined;
  }

  /** Normalises `x` (`[B, ..., C]`). */
  override update(x: tf.Tensor): tf.Tensor {
    const c = this.numGroups * this.groupSize;
    if (x.rank < 2 || x.shape[x.rank - 1] !== c) {
      throw new BrainStateError(`GroupNorm.call: expected an input [batch, ..., ${c}], got [${x.shape.join(',')}].`);
    }
    const params = this.weight?.value;
    return tf.tidy(() => {
      const red = this.reductionAxes === undefined ? Array.from({ length: x.rank - 2 }, (_, i) => i + 1)
        : canonicalAxes(x.rank, this.reductionAxes, 'GroupNorm.call').filter((a) => a !== x.rank - 1);
      const g = tf.reshape(x, [...x.shape.slice(0, -1), this.numGroups, this.groupSize]);
      const [mean, variance] = computeStats(g, [...red, g.rank - 1], this.useFastVariance);
      let y = tf.reshape(normalize(g, mean, variance, this.epsilon), x.shape);
      if (params?.scale !== undefined) y = tf.mul(y, params.scale);
      if (params?.bias !== undefined) y = tf.add(y, params.bias);
      return y;
    });
  }

  override call(x: tf.Tensor): tf.Tensor {
    return this.update(x);
  }
}

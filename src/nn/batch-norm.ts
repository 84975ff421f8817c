/**
 * Batch normalisation, as BrainState's `nn.BatchNorm0d/1d/2d/3d`: statistics over every
 * axis but the feature axes while fitting (`environ.get('fit')` true), with running
 * mean and variance kept in `BatchState`s; the running statistics otherwise.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import * as environ from '../environ';
import { BatchState, ParamState } from '../state';
import { InitSpec, param } from './init';
import { Module, Size, toSize } from './module';
import { canonicalAxes, computeStats, normalize, NormParams } from './norm-stats';

/** Options of the batch-normalisation layers (BrainState's names and defaults). */
export interface BatchNormOptions {
  /** The feature axes of `inSize` (default -1: the channels). */
  featureAxis?: number | readonly number[];
  /** Keep running statistics (default true); without them, batch statistics are always used. */
  trackRunningStats?: boolean;
  /** Added to the variance (default 1e-5). */
  epsilon?: number;
  /** Running statistics decay: `running = momentum * running + (1 - momentum) * batch` (default 0.99). */
  momentum?: number;
  /** Learn a scale and a bias (default true). */
  affine?: boolean;
  /** Bias initialiser (default 0). */
  biasInitializer?: InitSpec;
  /** Scale initialiser (default 1). */
  scaleInitializer?: InitSpec;
  /** `E[x²] - E[x]²` for the variance (default true, as BrainState), else two passes. */
  useFastVariance?: boolean;
  /** A name for the module. */
  name?: string;
}

abstract class BatchNorm extends Module {
  declare inSize: Size;
  declare outSize: Size;
  readonly featureAxes: number[];
  readonly epsilon: number;
  readonly momentum: number;
  readonly useFastVariance: boolean;
  /** Running mean (`BatchState`, shape `inSize` with 1 on non-feature axes), if tracked. */
  readonly runningMean: BatchState | undefined;
  /** Running variance, if tracked. */
  readonly runningVar: BatchState | undefined;
  /** `{ scale, bias }`, if affine. */
  readonly weight: ParamState<NormParams> | undefined;

  constructor(readonly numSpatialDims: number, inSize: number | readonly number[], options: BatchNormOptions) {
    super(options.name);
    const where = new.target.name;
    this.inSize = toSize(inSize, `${where}(inSize)`);
    if (this.inSize.length !== numSpatialDims + 1) {
      throw new BrainStateError(`${where}: expected inSize to have ${numSpatialDims + 1} entries (without the batch ` +
        `axis), got ${JSON.stringify(inSize)}.`);
    }
    this.outSize = this.inSize;
    this.featureAxes = canonicalAxes(this.inSize.length, options.featureAxis ?? -1, where);
    this.epsilon = options.epsilon ?? 1e-5;
    this.momentum = options.momentum ?? 0.99;
    this.useFastVariance = options.useFastVariance ?? true;
    const featureShape = this.inSize.map((d, i) => (this.featureAxes.includes(i) ? d : 1));
    const track = options.trackRunningStats ?? true;
    const affine = options.affine ?? true;
    if (affine && !track) {
      throw new BrainStateError(`${where}: affine parameters need trackRunningStats (as BrainState); pass ` +
        'affine: false with trackRunningStats: false.');
    }
    this.runningMean = track ? new BatchState(tf.zeros(featureShape), { name: 'runningMean' }) : undefined;
    this.runningVar = track ? new BatchState(tf.ones(featureShape), { name: 'runningVar' }) : undefined;
    this.weight = affine ? new ParamState<NormParams>({
      bias: param(options.biasInitializer ?? 0, featureShape, `${where}(biasInitializer)`),
      scale: param(options.scaleInitializer ?? 1, featureShape, `${where}(scaleInitializer)`),
    }, { name: 'weight' }) : undefined;
  }

  /**
   * Normalises `x` (`[B, ...inSize]`, or `[...inSize]` without a batch axis). While
   * fitting, uses the batch statistics and updates the running ones; otherwise uses the
   * running ones. Reading `fit` when it was never set is an error, as in BrainState.
   */
  override update(x: tf.Tensor): tf.Tensor {
    const where = `${this.constructor.name}.call`;
    const nd = this.numSpatialDims;
    const batched = x.rank === nd + 2;
    if (!batched && x.rank !== nd + 1) {
      throw new BrainStateError(`${where}: expected a ${nd + 2}-D input (with the batch axis) or ${nd + 1}-D (without), ` +
        `got shape [${x.shape.join(',')}].`);
    }
    const own = batched ? x.shape.slice(1) : x.shape;
    if (own.some((d, i) => d !== this.inSize[i])) {
      throw new BrainStateError(`${where}: expected an input of shape [batch, ${this.inSize.join(', ')}], got ` +
        `[${x.shape.join(',')}].`);
    }
    const off = batched ? 1 : 0;
    const axes = Array.from({ length: x.rank }, (_, i) => i).filter((i) => !this.featureAxes.includes(i - off));
    const fit = environ.get('fit') === true;
    const params = this.weight?.value;
    if (this.runningMean === undefined || this.runningVar === undefined || fit) {
      const [mean, variance] = computeStats(x, axes, this.useFastVariance);
      if (this.runningMean !== undefined && this.runningVar !== undefined) {
        const m = this.momentum;
        const rm = this.runningMean.value;
        const rv = this.runningVar.value;
        const [nm, nv] = tf.tidy(() => [
          tf.add(tf.mul(rm, m), tf.mul(tf.reshape(mean, rm.shape), 1 - m)),
          tf.add(tf.mul(rv, m), tf.mul(tf.reshape(variance, rv.shape), 1 - m)),
        ]);
        this.runningMean.value = nm;
        this.runningVar.value = nv;
      }
      try {
        return normalize(x, mean, variance, this.epsilon, params);
      } finally {
        mean.dispose();
        variance.dispose();
      }
    }
    const rm = this.runningMean.value;
    const rv = this.runningVar.value;
    return tf.tidy(() => {
      const statsShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      return normalize(x, tf.reshape(rm, statsShape), tf.reshape(rv, statsShape), this.epsilon, params);
    });
  }

  override call(x: tf.Tensor): tf.Tensor {
    return this.update(x);
  }
}

/**
 * Batch normalisation of `[B, C]` features (BrainState's `nn.BatchNorm0d`).
 * @example
 * ```ts
 * const bn = new bst.nn.BatchNorm0d([16]);
 * bst.environ.context({ fit: true }, () => bn.call(tf.randomNormal([32, 16])));   // updates the running stats
 * ```
 */
export class BatchNorm0d extends BatchNorm {
  constructor(inSize: number | readonly number[], options: BatchNormOptions = {}) { super(0, inSize, options); }
}

/**
 * Batch normalisation of `[B, L, C]` sequences (BrainState's `nn.BatchNorm1d`): statistics per channel.
 * @example
 * ```ts
 * const bn = new bst.nn.BatchNorm1d([100, 8]);
 * bst.environ.context({ fit: false }, () => bn.call(tf.ones([4, 100, 8])));   // running statistics
 * ```
 */
export class BatchNorm1d extends BatchNorm {
  constructor(inSize: readonly number[], options: BatchNormOptions = {}) { super(1, inSize, options); }
}

/**
 * Batch normalisation of `[B, H, W, C]` images (BrainState's `nn.BatchNorm2d`).
 * @example
 * ```ts
 * const bn = new bst.nn.BatchNorm2d([28, 28, 8]);
 * bn.runningMean!.value.shape;   // [1, 1, 8]
 * ```
 */
export class BatchNorm2d extends BatchNorm {
  constructor(inSize: readonly number[], options: BatchNormOptions = {}) { super(2, inSize, options); }
}

/**
 * Batch normalisation of `[B, D, H, W, C]` volumes (BrainState's `nn.BatchNorm3d`).
 * @example
 * ```ts
 * new bst.nn.BatchNorm3d([8, 8, 8, 4]).outSize;   // [8, 8, 8, 4]
 * ```
 */
export class BatchNorm3d extends BatchNorm {
  constructor(inSize: readonly number[], options: BatchNormOptions = {}) { super(3, inSize, options); }
}

/**
 * `LayerNorm` and `RMSNorm`, as BrainState's: statistics over `reductionAxes` of each
 * input (default the last axis), a learned scale (and, for LayerNorm, bias) shaped like
 * `inSize` with 1 on the non-feature axes.
 */
import * as tf from '@tensorflow/tfjs';
import { ParamState } from '../state';
import { InitSpec, param } from './init';
import { Module, Size, toSize } from './module';
import { canonicalAxes, computeStats, normalize, NormParams } from './norm-stats';

/** Options of {@link LayerNorm} and {@link RMSNorm} (BrainState's names and defaults). */
export interface LayerNormOptions {
  /** Axes of the input the statistics are taken over (default -1). Negative axes count from the end. */
  reductionAxes?: number | readonly number[];
  /** Axes of `inSize` the scale and bias vary along (default -1). */
  featureAxes?: number | readonly number[];
  /** Added to the variance (default 1e-6). */
  epsilon?: number;
  /** Learn a bias (default true; LayerNorm only). */
  useBias?: boolean;
  /** Learn a scale (default true). */
  useScale?: boolean;
  /** Bias initialiser (default 0). */
  biasInit?: InitSpec;
  /** Scale initialiser (default 1). */
  scaleInit?: InitSpec;
  /** `E[x²] - E[x]²` for the variance (default true), else two passes (LayerNorm only). */
  useFastVariance?: boolean;
  /** A name for the module. */
  name?: string;
}

abstract class Norm extends Module {
  declare inSize: Size;
  declare outSize: Size;
  readonly reductionAxes: number[];
  readonly featureAxes: number[];
  readonly epsilon: number;
  readonly useFastVariance: boolean;

  constructor(inSize: number | readonly number[], options: LayerNormOptions) {
    super(options.name);
    this.inSize = toSize(inSize, `${new.target.name}(inSize)`);
    this.outSize = this.inSize;
    const r = options.reductionAxes ?? -1;
    this.reductionAxes = typeof r === 'number' ? [r] : [...r];
    this.featureAxes = canonicalAxes(this.inSize.length, options.featureAxes ?? -1, new.target.name);
    this.epsilon = options.epsilon ?? 1e-6;
    this.useFastVariance = options.useFastVariance ?? true;
  }

  protected featureShape(): number[] {
    return this.inSize.map((d, i) => (this.featureAxes.includes(i) ? d : 1));
  }

  protected axesFor(x: tf.Tensor): number[] {
    return canonicalAxes(x.rank, this.reductionAxes, `${this.constructor.name}.call`);
  }

  override call(x: tf.Tensor): tf.Tensor {
    return this.update(x) as tf.Tensor;
  }
}

/**
 * Layer normalisation (BrainState's `nn.LayerNorm`): `(x - mean) / sqrt(var + eps) * scale + bias`
 * over the reduction axes of each input.
 *
 * @example
 * ```ts
 * const ln = new bst.nn.LayerNorm([16]);
 * ln.call(tf.randomNormal([4, 16]));   // each row: mean 0, variance 1 (before scale and bias)
 * ```
 * @see RMSNorm
 */
export class LayerNorm extends Norm {
  /** `{ scale?, bias? }`, or undefined when neither is learned. */
  readonly weight: ParamState<NormParams> | undefined;

  constructor(inSize: number | readonly number[], options: LayerNormOptions = {}) {
    super(inSize, options);
    const fs = this.featureShape();
    const w: Record<string, tf.Tensor> = {};
    if (options.useScale ?? true) w.scale = param(options.scaleInit ?? 1, fs, 'LayerNorm(scaleInit)');
    if (options.useBias ?? true) w.bias = param(options.biasInit ?? 0, fs, 'LayerNorm(biasInit)');
    this.weight = Object.keys(w).length > 0 ? new ParamState<NormParams>(w, { name: 'weight' }) : undefined;
  }

  /** Normalises `x`. */
  override update(x: tf.Tensor): tf.Tensor {
    const params = this.weight?.value;
    return tf.tidy(() => {
      const [mean, variance] = computeStats(x, this.axesFor(x), this.useFastVariance);
      return normalize(x, mean, variance, this.epsilon, params);
    });
  }
}

/**
 * Root-mean-square normalisation (BrainState's `nn.RMSNorm`): `x / sqrt(mean(x²) + eps) * scale`.
 *
 * @example
 * ```ts
 * const rms = new bst.nn.RMSNorm([16]);
 * rms.call(tf.randomNormal([4, 16]));
 * ```
 * @see LayerNorm
 */
export class RMSNorm extends Norm {
  /** `{ scale }`, or undefined without a scale. */
  readonly scale: ParamState<NormParams> | undefined;

  constructor(inSize: number | readonly number[], options: Omit<LayerNormOptions, 'useBias' | 'biasInit'> = {}) {
    super(inSize, options);
    this.scale = (options.useScale ?? true)
      ? new ParamState<NormParams>({ scale: param(options.scaleInit ?? 1, this.featureShape(), 'RMSNorm(scaleInit)') },
        { name: 'scale' }) : undefined;
  }

  /** Normalises `x`. */
  override update(x: tf.Tensor): tf.Tensor {
    const params = this.scale?.value;
    return tf.tidy(() => {
      const [mean, variance] = computeStats(x, this.axesFor(x), this.useFastVariance, false);
      return normalize(x, mean, variance, this.epsilon, params);
    });
  }
}

/**
 * RAdam (rectified Adam), as braintools' `RAdam` (optax's `scale_by_radam`).
 */
import * as tf from '@tensorflow/tfjs';
import { LeafUpdate, Optimizer, OptimizerOptions, StepContext } from './base';
import { checkBetas, checkRange } from './check';
import type { LearningRate } from './schedule';

/** Options of {@link RAdam} (braintools' names and defaults). */
export interface RAdamOptions extends OptimizerOptions {
  betas?: readonly [number, number];
  eps?: number;
  /** Below this approximate SMA length the update is un-adapted momentum (default 5, optax's). */
  threshold?: number;
}

/**
 * RAdam: with `ρ∞ = 2/(1 − β2) − 1` and `ρₜ = ρ∞ − 2tβ2ᵗ/(1 − β2ᵗ)`, the update is
 * `r · m̂ / (√v̂ + eps)` (`r` the variance rectification) once `ρₜ ≥ 5`, else `m̂`.
 *
 * @example
 * ```ts
 * const opt = new bst.optim.RAdam(1e-3);
 * opt.registerTrainableWeights(model.states(bst.ParamState));
 * ```
 */
export class RAdam extends Optimizer {
  protected readonly slotNames: readonly string[] = ['m', 'v'];
  readonly betas: [number, number];
  readonly eps: number;
  readonly threshold: number;

  /**
   * @param lr - learning rate or schedule (default 1e-3).
   * @param options - `betas`, `eps`, `threshold`, `weightDecay`, clipping.
   */
  constructor(lr: LearningRate = 1e-3, options: RAdamOptions = {}) {
    super(lr, options);
    this.betas = checkBetas(new.target.name, options.betas ?? [0.9, 0.999]);
    this.eps = checkRange(new.target.name, 'eps', options.eps ?? 1e-8, 0, Infinity);
    this.threshold = options.threshold ?? 5;
  }

  protected override beginStep(step: tf.Scalar, lr: tf.Scalar, extra: tf.Tensor[]): { context: StepContext; extra: tf.Tensor[] } {
    const [b1, b2] = this.betas;
    const t = tf.add(step, 1);
    const b2t = tf.pow(tf.scalar(b2), t);
    const roInf = 2 / (1 - b2) - 1;
    const ro = tf.sub(roInf, tf.div(tf.mul(tf.mul(2, t), b2t), tf.sub(1, b2t)));
    const r = tf.sqrt(tf.div(tf.mul(tf.mul(tf.sub(ro, 4), tf.sub(ro, 2)), roInf), tf.mul((roInf - 4) * (roInf - 2), ro)));
    const bc1 = tf.sub(1, tf.pow(tf.scalar(b1), t));
    const bc2 = tf.sub(1, b2t);
    return { context: { step, lr, values: [ro, r, bc1, bc2] }, extra };
  }

  protected updateLeaf(param: tf.Tensor, grad: tf.Tensor, slots: tf.Tensor[], ctx: StepContext): LeafUpdate {
    const [b1, b2] = this.betas;
    const [ro, r, bc1, bc2] = ctx.values;
    const m = tf.add(tf.mul(b1, slots[0]), tf.mul(1 - b1, grad));
    const v = tf.add(tf.mul(b2, slots[1]), tf.mul(1 - b2, tf.square(grad)));
    const mHat = tf.div(m, bc1);
    const adapted = tf.div(tf.mul(r, mHat), tf.add(tf.sqrt(tf.div(v, bc2)), this.eps));
    const u = tf.where(tf.greaterEqual(ro, this.threshold), adapted, mHat);
    return { param: tf.sub(param, tf.mul(ctx.lr, u)), slots: [m, v] };
  }
}

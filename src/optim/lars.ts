/**
 * LARS, as braintools' `Lars` (optax: weight decay, `scale_by_trust_ratio`, `trace`).
 */
import * as tf from '@tensorflow/tfjs';
import { LeafUpdate, Optimizer, OptimizerOptions, StepContext } from './base';
import { checkRange } from './check';
import { scaleByTrustRatio } from './trust-ratio';
import type { LearningRate } from './schedule';

/** Options of {@link Lars} (braintools' names and defaults). */
export interface LarsOptions extends OptimizerOptions {
  /** Momentum of the trace (default 0.9). */
  momentum?: number;
  /** The trust coefficient (default 0.001). */
  trustCoefficient?: number;
  /** Added to the update's norm (default 1e-8). */
  eps?: number;
}

/**
 * LARS: `u = (g + wd·p) · c‖p‖ / (‖g + wd·p‖ + eps)` per tensor, then momentum
 * `b ← momentum · b + u`, `p ← p − lr · b` (lr 1 by default, as braintools).
 *
 * @example
 * ```ts
 * const opt = new bst.optim.Lars(1.0, { momentum: 0.9, weightDecay: 1e-4 });
 * opt.registerTrainableWeights(model.states(bst.ParamState));
 * ```
 */
export class Lars extends Optimizer {
  protected readonly slotNames: readonly string[] = ['buf'];
  readonly momentum: number;
  readonly trustCoefficient: number;
  readonly eps: number;

  /**
   * @param lr - learning rate or schedule (default 1).
   * @param options - `momentum`, `trustCoefficient`, `eps`, `weightDecay`, clipping.
   */
  constructor(lr: LearningRate = 1.0, options: LarsOptions = {}) {
    super(lr, options);
    this.momentum = checkRange(new.target.name, 'momentum', options.momentum ?? 0.9, 0, 1);
    this.trustCoefficient = checkRange(new.target.name, 'trustCoefficient', options.trustCoefficient ?? 0.001, 0, Infinity);
    this.eps = checkRange(new.target.name, 'eps', options.eps ?? 1e-8, 0, Infinity);
  }

  protected updateLeaf(param: tf.Tensor, grad: tf.Tensor, slots: tf.Tensor[], ctx: StepContext): LeafUpdate {
    const u = scaleByTrustRatio(grad, param, this.trustCoefficient, this.eps);
    const b = tf.add(tf.mul(this.momentum, slots[0]), u);
    return { param: tf.sub(param, tf.mul(ctx.lr, b)), slots: [b] };
  }
}

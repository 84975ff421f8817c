/**
 * LAMB, as braintools' `Lamb` (optax: `scale_by_adam`, decoupled weight decay,
 * `scale_by_trust_ratio`).
 */
import * as tf from '@tensorflow/tfjs';
import { LeafUpdate, OptimizerOptions, StepContext } from './base';
import { Adam } from './adam';
import { scaleByTrustRatio } from './trust-ratio';
import type { LearningRate } from './schedule';

/** Options of {@link Lamb} (braintools' names and defaults). */
export interface LambOptions extends OptimizerOptions {
  betas?: readonly [number, number];
  /** Added to the root of the second moment (default 1e-6). */
  eps?: number;
}

/**
 * LAMB: the Adam direction plus `weightDecay · p`, scaled per tensor by the trust
 * ratio `‖p‖ / ‖u‖`; `p ← p − lr · ratio · u`.
 *
 * @example
 * ```ts
 * const opt = new bst.optim.Lamb(1e-3, { weightDecay: 1e-2 });
 * opt.registerTrainableWeights(model.states(bst.ParamState));
 * ```
 */
export class Lamb extends Adam {
  /**
   * @param lr - learning rate or schedule (default 1e-3).
   * @param options - `betas`, `eps` (default 1e-6), `weightDecay` (decoupled), clipping.
   */
  constructor(lr: LearningRate = 1e-3, options: LambOptions = {}) {
    super(lr, { ...options, eps: options.eps ?? 1e-6 });
  }

  protected override couplesWeightDecay(): boolean {
    return false;
  }

  protected override updateLeaf(param: tf.Tensor, grad: tf.Tensor, slots: tf.Tensor[], ctx: StepContext): LeafUpdate {
    const { dir, m, v } = this.direction(grad, slots, ctx);
    const wd = ctx.weightDecay ?? this.weightDecay;
    const u = wd > 0 ? tf.add(dir, tf.mul(wd, param)) : dir;
    return { param: tf.sub(param, tf.mul(ctx.lr, scaleByTrustRatio(u, param))), slots: [m, v] };
  }
}

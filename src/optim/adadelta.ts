/**
 * Adadelta, as braintools' `Adadelta` (optax's `scale_by_adadelta`).
 */
import * as tf from '@tensorflow/tfjs';
import { LeafUpdate, Optimizer, OptimizerOptions, StepContext } from './base';
import { checkRange } from './check';
import type { LearningRate } from './schedule';

/** Options of {@link Adadelta} (braintools' names and defaults). */
export interface AdadeltaOptions extends OptimizerOptions {
  /** Decay of both running averages (default 0.9). */
  rho?: number;
  /** Added inside both square roots (default 1e-6). */
  eps?: number;
}

/**
 * Adadelta: `E[g²] ← ρ E[g²] + (1 − ρ) g²`, `u = √(E[Δ²] + eps) / √(E[g²] + eps) · g`,
 * `E[Δ²] ← ρ E[Δ²] + (1 − ρ) u²`, `p ← p − lr · u` (lr 1 by default, as braintools).
 *
 * @example
 * ```ts
 * const opt = new bst.optim.Adadelta();
 * opt.registerTrainableWeights(model.states(bst.ParamState));
 * ```
 */
export class Adadelta extends Optimizer {
  protected readonly slotNames: readonly string[] = ['eG', 'eX'];
  readonly rho: number;
  readonly eps: number;

  /**
   * @param lr - learning rate or schedule (default 1).
   * @param options - `rho`, `eps`, `weightDecay`, clipping.
   */
  constructor(lr: LearningRate = 1.0, options: AdadeltaOptions = {}) {
    super(lr, options);
    this.rho = checkRange(new.target.name, 'rho', options.rho ?? 0.9, 0, 1);
    this.eps = checkRange(new.target.name, 'eps', options.eps ?? 1e-6, 0, Infinity);
  }

  protected updateLeaf(param: tf.Tensor, grad: tf.Tensor, slots: tf.Tensor[], ctx: StepContext): LeafUpdate {
    const r = this.rho;
    const eG = tf.add(tf.mul(r, slots[0]), tf.mul(1 - r, tf.square(grad)));
    const u = tf.mul(tf.div(tf.sqrt(tf.add(slots[1], this.eps)), tf.sqrt(tf.add(eG, this.eps))), grad);
    const eX = tf.add(tf.mul(r, slots[1]), tf.mul(1 - r, tf.square(u)));
    return { param: tf.sub(param, tf.mul(ctx.lr, u)), slots: [eG, eX] };
  }
}

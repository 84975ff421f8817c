/**
 * Adamax, as braintools' `Adamax` (optax's `scale_by_adamax`).
 */
import * as tf from '@tensorflow/tfjs';
import { LeafUpdate, Optimizer, OptimizerOptions, StepContext } from './base';
import { checkBetas, checkRange } from './check';
import type { LearningRate } from './schedule';

/** Options of {@link Adamax} (braintools' names and defaults). */
export interface AdamaxOptions extends OptimizerOptions {
  /** Decays of the first moment and of the infinity norm (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to `|g|` in the infinity norm (default 1e-8). */
  eps?: number;
}

/**
 * Adamax (Adam with the infinity norm): `m ← β1 m + (1 − β1) g`,
 * `u ← max(β2 u, |g| + eps)`, `p ← p − lr · m / ((1 − β1ᵗ) u)`.
 *
 * @example
 * ```ts
 * const opt = new bst.optim.Adamax(2e-3);
 * opt.registerTrainableWeights(model.states(bst.ParamState));
 * ```
 */
export class Adamax extends Optimizer {
  protected readonly slotNames: readonly string[] = ['m', 'u'];
  readonly betas: [number, number];
  readonly eps: number;

  /**
   * @param lr - learning rate or schedule (default 2e-3).
   * @param options - `betas`, `eps`, `weightDecay`, clipping.
   */
  constructor(lr: LearningRate = 2e-3, options: AdamaxOptions = {}) {
    super(lr, options);
    this.betas = checkBetas(new.target.name, options.betas ?? [0.9, 0.999]);
    this.eps = checkRange(new.target.name, 'eps', options.eps ?? 1e-8, 0, Infinity);
  }

  protected updateLeaf(param: tf.Tensor, grad: tf.Tensor, slots: tf.Tensor[], ctx: StepContext): LeafUpdate {
    const [b1, b2] = this.betas;
    const m = tf.add(tf.mul(b1, slots[0]), tf.mul(1 - b1, grad));
    const u = tf.maximum(tf.mul(b2, slots[1]), tf.add(tf.abs(grad), this.eps));
    const bc = tf.sub(1, tf.pow(tf.scalar(b1), tf.add(ctx.step, 1)));
    return { param: tf.sub(param, tf.mul(ctx.lr, tf.div(tf.div(m, bc), u))), slots: [m, u] };
  }
}

/**
 * RMSProp, as braintools' `RMSprop` (optax's `scale_by_rms` / `scale_by_stddev`, then
 * `trace` for momentum).
 */
import * as tf from '@tensorflow/tfjs';
import { LeafUpdate, Optimizer, OptimizerOptions, StepContext } from './base';
import { checkRange } from './check';
import type { LearningRate } from './schedule';

/** Options of {@link RMSProp} (braintools' names and defaults). */
export interface RMSPropOptions extends OptimizerOptions {
  /** Decay of the squared-gradient average (default 0.99). */
  alpha?: number;
  /** Added inside the square root (default 1e-8). */
  eps?: number;
  /** Heavy-ball momentum on the scaled gradient (default 0: none). */
  momentum?: number;
  /** Divide by the standard deviation instead of the root mean square (default false). */
  centered?: boolean;
}

/**
 * RMSProp: `ν ← α ν + (1 − α) g²`, `u = g / √(ν + eps)` (centered: `√(ν − μ² + eps)`
 * with `μ ← α μ + (1 − α) g`), momentum `b ← momentum · b + u`; `p ← p − lr · u`.
 * Every moment is a state.
 *
 * @example
 * ```ts
 * const opt = new bst.optim.RMSProp(1e-2, { alpha: 0.9, momentum: 0.9, centered: true });
 * opt.registerTrainableWeights(model.states(bst.ParamState));
 * ```
 */
export class RMSProp extends Optimizer {
  protected readonly slotNames: readonly string[];
  readonly alpha: number;
  readonly eps: number;
  readonly momentum: number;
  readonly centered: boolean;

  /**
   * @param lr - learning rate or schedule (default 1e-2).
   * @param options - `alpha`, `eps`, `momentum`, `centered`, `weightDecay`, clipping.
   */
  constructor(lr: LearningRate = 1e-2, options: RMSPropOptions = {}) {
    super(lr, options);
    const where = new.target.name;
    this.alpha = checkRange(where, 'alpha', options.alpha ?? 0.99, 0, 1);
    this.eps = checkRange(where, 'eps', options.eps ?? 1e-8, 0, Infinity);
    this.momentum = checkRange(where, 'momentum', options.momentum ?? 0, 0, 1);
    this.centered = options.centered === true;
    this.slotNames = ['nu', ...(this.centered ? ['mu'] : []), ...(this.momentum > 0 ? ['buf'] : [])];
  }

  protected updateLeaf(param: tf.Tensor, grad: tf.Tensor, slots: tf.Tensor[], ctx: StepContext): LeafUpdate {
    const a = this.alpha;
    const nu = tf.add(tf.mul(a, slots[0]), tf.mul(1 - a, tf.square(grad)));
    const out = [nu];
    let denom = nu;
    if (this.centered) {
      const mu = tf.add(tf.mul(a, slots[1]), tf.mul(1 - a, grad));
      out.push(mu);
      denom = tf.sub(nu, tf.square(mu));
    }
    let u = tf.mul(grad, tf.rsqrt(tf.add(denom, this.eps)));
    if (this.momentum > 0) {
      u = tf.add(u, tf.mul(this.momentum, slots[out.length]));
      out.push(u);
    }
    return { param: tf.sub(param, tf.mul(ctx.lr, u)), slots: out };
  }
}

/**
 * Yogi, as braintools' `Yogi` (optax's `scale_by_yogi`).
 */
import * as tf from '@tensorflow/tfjs';
import { StateValue } from '../state/state';
import { LeafUpdate, Optimizer, OptimizerOptions, StepContext } from './base';
import { checkBetas, checkRange } from './check';
import type { LearningRate } from './schedule';

/** Options of {@link Yogi} (braintools' names and defaults). */
export interface YogiOptions extends OptimizerOptions {
  betas?: readonly [number, number];
  /** Added to the root of the second moment (default 1e-3). */
  eps?: number;
  /** The moments' starting value (default 1e-6, optax's). */
  initialAccumulatorValue?: number;
}

/**
 * Yogi: Adam with an additive second-moment update, `v ← v − (1 − β2) sign(v − g²) g²`;
 * `p ← p − lr · m̂ / (√v̂ + eps)`.
 *
 * @example
 * ```ts
 * const opt = new bst.optim.Yogi(1e-2);
 * opt.registerTrainableWeights(model.states(bst.ParamState));
 * ```
 */
export class Yogi extends Optimizer {
  protected readonly slotNames: readonly string[] = ['m', 'v'];
  readonly betas: [number, number];
  readonly eps: number;
  readonly initialAccumulatorValue: number;

  /**
   * @param lr - learning rate or schedule (default 1e-3).
   * @param options - `betas`, `eps`, `initialAccumulatorValue`, `weightDecay`, clipping.
   */
  constructor(lr: LearningRate = 1e-3, options: YogiOptions = {}) {
    super(lr, options);
    this.betas = checkBetas(new.target.name, options.betas ?? [0.9, 0.999]);
    this.eps = checkRange(new.target.name, 'eps', options.eps ?? 1e-3, 0, Infinity);
    this.initialAccumulatorValue = options.initialAccumulatorValue ?? 1e-6;
  }

  protected override initialSlot(_name: string, shape: number[]): StateValue {
    return tf.fill(shape, this.initialAccumulatorValue);
  }

  protected updateLeaf(param: tf.Tensor, grad: tf.Tensor, slots: tf.Tensor[], ctx: StepContext): LeafUpdate {
    const [b1, b2] = this.betas;
    const t = tf.add(ctx.step, 1);
    const g2 = tf.square(grad);
    const m = tf.add(tf.mul(b1, slots[0]), tf.mul(1 - b1, grad));
    const v = tf.sub(slots[1], tf.mul(tf.mul(1 - b2, tf.sign(tf.sub(slots[1], g2))), g2));
    const mHat = tf.div(m, tf.sub(1, tf.pow(tf.scalar(b1), t)));
    const vHat = tf.div(v, tf.sub(1, tf.pow(tf.scalar(b2), t)));
    return { param: tf.sub(param, tf.mul(ctx.lr, tf.div(mHat, tf.add(tf.sqrt(vHat), this.eps)))), slots: [m, v] };
  }
}

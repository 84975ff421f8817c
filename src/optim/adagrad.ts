/**
 * Adagrad, as braintools' `Adagrad` (optax's `scale_by_rss`).
 */
import * as tf from '@tensorflow/tfjs';
import { StateValue } from '../state/state';
import { LeafUpdate, Optimizer, OptimizerOptions, StepContext } from './base';
import { checkRange } from './check';
import type { LearningRate } from './schedule';

/** Options of {@link Adagrad} (braintools' names and defaults). */
export interface AdagradOptions extends OptimizerOptions {
  /** The learning rate is divided by `1 + step · lrDecay` (default 0). */
  lrDecay?: number;
  /** The accumulator's starting value (default 0). */
  initialAccumulatorValue?: number;
  /** Added inside the square root (default 1e-10). */
  eps?: number;
}

/**
 * Adagrad: `s ← s + g²`, `p ← p − lr / (1 + t·lrDecay) · g / √(s + eps)` (0 where
 * `s` is 0). The accumulator is a state.
 *
 * @example
 * ```ts
 * const opt = new bst.optim.Adagrad(0.1, { initialAccumulatorValue: 0.1 });
 * opt.registerTrainableWeights(model.states(bst.ParamState));
 * ```
 */
export class Adagrad extends Optimizer {
  protected readonly slotNames: readonly string[] = ['sumOfSquares'];
  readonly lrDecay: number;
  readonly initialAccumulatorValue: number;
  readonly eps: number;

  /**
   * @param lr - learning rate or schedule (default 1e-2).
   * @param options - `lrDecay`, `initialAccumulatorValue`, `eps`, `weightDecay`, clipping.
   */
  constructor(lr: LearningRate = 1e-2, options: AdagradOptions = {}) {
    super(lr, options);
    const where = new.target.name;
    this.lrDecay = checkRange(where, 'lrDecay', options.lrDecay ?? 0, 0, Infinity);
    this.initialAccumulatorValue = checkRange(where, 'initialAccumulatorValue', options.initialAccumulatorValue ?? 0, 0,
      Infinity);
    this.eps = checkRange(where, 'eps', options.eps ?? 1e-10, 0, Infinity);
  }

  protected override initialSlot(name: string, shape: number[]): StateValue {
    return name === 'sumOfSquares' ? tf.fill(shape, this.initialAccumulatorValue) : tf.zeros(shape);
  }

  protected updateLeaf(param: tf.Tensor, grad: tf.Tensor, slots: tf.Tensor[], ctx: StepContext): LeafUpdate {
    const s = tf.add(slots[0], tf.square(grad));
    const inv = tf.where(tf.greater(s, 0), tf.rsqrt(tf.add(s, this.eps)), tf.zerosLike(s));
    const lr = this.lrDecay === 0 ? ctx.lr : tf.div(ctx.lr, tf.add(1, tf.mul(ctx.step, this.lrDecay)));
    return { param: tf.sub(param, tf.mul(lr, tf.mul(grad, inv))), slots: [s] };
  }
}

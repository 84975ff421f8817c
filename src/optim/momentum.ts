/**
 * SGD with (heavy-ball or Nesterov) momentum.
 */
import * as tf from '@tensorflow/tfjs';
import { OptimizerError } from '../errors';
import { LeafUpdate, Optimizer, OptimizerOptions, StepContext } from './base';
import type { LearningRate } from './schedule';

/** Options of {@link Momentum}. */
export interface MomentumOptions extends OptimizerOptions {
  /** Nesterov's look-ahead form (braintools' `MomentumNesterov`). Default false. */
  nesterov?: boolean;
}

/**
 * Momentum SGD (braintools' `Momentum`, optax's `sgd(momentum=...)`):
 * `v ← momentum · v + g`, `p ← p − lr · v` (Nesterov: `p ← p − lr · (g + momentum · v)`).
 * The velocity `v` is a slot state per weight.
 *
 * @example
 * ```ts
 * const w = new bst.ParamState(tf.scalar(1));
 * const opt = new bst.optim.Momentum(0.1, 0.9);
 * opt.registerTrainableWeights(w);
 * opt.update(tf.scalar(1));   // v = 1,   w = 0.9
 * opt.update(tf.scalar(1));   // v = 1.9, w = 0.71
 * ```
 * @see SGD
 */
export class Momentum extends Optimizer {
  protected readonly slotNames: readonly string[] = ['v'];
  readonly momentum: number;
  readonly nesterov: boolean;

  /**
   * @param lr - the learning rate: a number or a schedule (default 1e-3).
   * @param momentum - the decay of the velocity (default 0.9).
   * @param options - `nesterov`, `weightDecay`, `gradClipNorm`.
   */
  constructor(lr: LearningRate = 1e-3, momentum = 0.9, options: MomentumOptions = {}) {
    super(lr, options);
    if (typeof momentum !== 'number' || !(momentum >= 0 && momentum < 1)) {
      throw new OptimizerError(`Momentum: expected momentum in [0, 1), got ${String(momentum)}; e.g. 0.9.`);
    }
    this.momentum = momentum;
    this.nesterov = options.nesterov === true;
  }

  protected updateLeaf(param: tf.Tensor, grad: tf.Tensor, slots: tf.Tensor[], ctx: StepContext): LeafUpdate {
    const v = tf.add(tf.mul(this.momentum, slots[0]), grad);
    const dir = this.nesterov ? tf.add(grad, tf.mul(this.momentum, v)) : v;
    return { param: tf.sub(param, tf.mul(ctx.lr, dir)), slots: [v] };
  }
}

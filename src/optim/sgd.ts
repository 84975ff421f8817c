/**
 * Plain stochastic gradient descent: `p -= lr * g`.
 */
import * as tf from '@tensorflow/tfjs';
import { LeafUpdate, Optimizer, OptimizerOptions, StepContext } from './base';
import type { LearningRate } from './schedule';

/**
 * Stochastic gradient descent (braintools' `SGD`): `p ← p − lr · (g + weightDecay · p)`.
 * It keeps no slots; its only state is the step count (for schedules).
 *
 * @example
 * ```ts
 * const w = new bst.ParamState(tf.tensor1d([1, 2]));
 * const opt = new bst.optim.SGD(0.1);
 * opt.registerTrainableWeights([w]);
 * opt.update([tf.tensor1d([1, 1])]);
 * w.value.print();   // [0.9, 1.9]
 * ```
 * @see Momentum
 * @see Adam
 */
export class SGD extends Optimizer {
  protected readonly slotNames: readonly string[] = [];

  /**
   * @param lr - the learning rate: a number or a schedule (default 1e-3, as braintools).
   * @param options - `weightDecay`, `gradClipNorm`.
   */
  constructor(lr: LearningRate = 1e-3, options: OptimizerOptions = {}) {
    super(lr, options);
  }

  protected updateLeaf(param: tf.Tensor, grad: tf.Tensor, _slots: tf.Tensor[], ctx: StepContext): LeafUpdate {
    return { param: tf.sub(param, tf.mul(ctx.lr, grad)), slots: [] };
  }
}

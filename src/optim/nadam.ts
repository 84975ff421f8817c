/**
 * NAdam with scheduled momentum (Dozat 2016), as braintools' `Nadam` and PyTorch's `NAdam`.
 */
import * as tf from '@tensorflow/tfjs';
import { LeafUpdate, Optimizer, OptimizerOptions, OptimState, StepContext } from './base';
import { checkBetas, checkRange } from './check';
import type { LearningRate } from './schedule';

/** Options of {@link NAdam} (braintools' names and defaults). */
export interface NAdamOptions extends OptimizerOptions {
  betas?: readonly [number, number];
  eps?: number;
  /** ψ of the momentum schedule `μₜ = β1 (1 − ½·0.96^(tψ))` (default 4e-3). */
  momentumDecay?: number;
}

/**
 * NAdam: Adam's moments with the scheduled momentum `μₜ = β1 (1 − ½·0.96^(tψ))`;
 * `p ← p − lr · ((1 − μₜ) / (1 − Πμ) · g + μₜ₊₁ / (1 − Πμ·μₜ₊₁) · m) / (√(v / (1 − β2ᵗ)) + eps)`.
 * The running product `Πμ` is a state.
 *
 * @example
 * ```ts
 * const opt = new bst.optim.NAdam(2e-3);
 * opt.registerTrainableWeights(model.states(bst.ParamState));
 * ```
 */
export class NAdam extends Optimizer {
  protected readonly slotNames: readonly string[] = ['m', 'v'];
  readonly betas: [number, number];
  readonly eps: number;
  readonly momentumDecay: number;
  /** The running product of the scheduled momenta. */
  muProduct!: OptimState<tf.Scalar>;

  /**
   * @param lr - learning rate or schedule (default 2e-3).
   * @param options - `betas`, `eps`, `momentumDecay`, `weightDecay`, clipping.
   */
  constructor(lr: LearningRate = 2e-3, options: NAdamOptions = {}) {
    super(lr, options);
    this.betas = checkBetas(new.target.name, options.betas ?? [0.9, 0.999]);
    this.eps = checkRange(new.target.name, 'eps', options.eps ?? 1e-8, 0, Infinity);
    this.momentumDecay = checkRange(new.target.name, 'momentumDecay', options.momentumDecay ?? 4e-3, 0, Infinity);
  }

  protected override initExtraStates(): void {
    this.muProduct = new OptimState(tf.scalar(1), { name: 'muProduct' });
  }

  protected override extraStates(): OptimState[] {
    return this.muProduct === undefined ? [] : [this.muProduct];
  }

  protected override beginStep(step: tf.Scalar, lr: tf.Scalar, extra: tf.Tensor[]): { context: StepContext; extra: tf.Tensor[] } {
    const [b1, b2] = this.betas;
    const t = tf.add(step, 1);
    const muT = tf.mul(b1, tf.sub(1, tf.mul(0.5, tf.pow(tf.scalar(0.96), tf.mul(t, this.momentumDecay)))));
    const muNext = tf.mul(b1, tf.sub(1, tf.mul(0.5, tf.pow(tf.scalar(0.96), tf.mul(tf.add(t, 1), this.momentumDecay)))));
    const prod = tf.mul(extra[0], muT);
    const bc2 = tf.sub(1, tf.pow(tf.scalar(b2), t));
    return { context: { step, lr, values: [muT, muNext, prod, bc2] }, extra: [prod] };
  }

  protected updateLeaf(param: tf.Tensor, grad: tf.Tensor, slots: tf.Tensor[], ctx: StepContext): LeafUpdate {
    const [b1, b2] = this.betas;
    const [muT, muNext, prod, bc2] = ctx.values;
    const m = tf.add(tf.mul(b1, slots[0]), tf.mul(1 - b1, grad));
    const v = tf.add(tf.mul(b2, slots[1]), tf.mul(1 - b2, tf.square(grad)));
    const denom = tf.add(tf.sqrt(tf.div(v, bc2)), this.eps);
    const termGrad = tf.div(tf.mul(tf.div(tf.sub(1, muT), tf.sub(1, prod)), grad), denom);
    const termMom = tf.div(tf.mul(tf.div(muNext, tf.sub(1, tf.mul(prod, muNext))), m), denom);
    return { param: tf.sub(param, tf.mul(ctx.lr, tf.add(termGrad, termMom))), slots: [m, v] };
  }
}

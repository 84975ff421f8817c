/**
 * Adam and AdamW, with their bias-correction powers held in states.
 */
import * as tf from '@tensorflow/tfjs';
import { OptimizerError } from '../errors';
import { LeafUpdate, Optimizer, OptimizerOptions, OptimState, StepContext } from './base';
import type { LearningRate } from './schedule';

/**
 * Options of {@link Adam} and {@link AdamW} (braintools' names).
 *
 * @example
 * ```ts
 * new bst.optim.Adam(1e-3, { betas: [0.9, 0.98], eps: 1e-6, weightDecay: 1e-4, gradClipNorm: 1 });
 * ```
 */
export interface AdamOptions extends OptimizerOptions {
  /** Decay rates of the first and second moments (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the root of the second moment (default 1e-8). */
  eps?: number;
}

/**
 * Adam (braintools' `Adam`, as PyTorch's and optax's):
 * `m ← β1·m + (1−β1)·g`, `v ← β2·v + (1−β2)·g²`,
 * `p ← p − lr · (m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + eps)`.
 * `weightDecay` is an L2 term added to the gradient (use {@link AdamW} to decay the
 * weights directly). `m`, `v` and the powers `β1ᵗ`, `β2ᵗ` are states, so a jitted step
 * applies the same bias correction as an eager one at every step.
 *
 * @example
 * ```ts
 * const model = new bst.nn.Linear(3, 1);
 * const opt = new bst.optim.Adam(1e-3, { betas: [0.9, 0.999], eps: 1e-8 });
 * opt.registerTrainableWeights(model.states(bst.ParamState));
 * const step = bst.transform.jit((x: tf.Tensor, y: tf.Tensor) => {
 *   const params = model.states(bst.ParamState);
 *   const [grads, loss] = bst.transform.grad(
 *     () => tf.losses.meanSquaredError(y, model.call(x) as tf.Tensor) as tf.Scalar,
 *     { gradStates: params, returnValue: true })();
 *   opt.update(grads);
 *   return loss;
 * });
 * ```
 * @see AdamW
 */
export class Adam extends Optimizer {
  protected readonly slotNames: readonly string[] = ['m', 'v'];
  readonly betas: readonly [number, number];
  readonly eps: number;
  /** β1 to the power of the number of updates applied (float32 scalar state). */
  beta1Power!: OptimState<tf.Scalar>;
  /** β2 to the power of the number of updates applied. */
  beta2Power!: OptimState<tf.Scalar>;

  /**
   * @param lr - the learning rate: a number or a schedule (default 1e-3).
   * @param options - `betas`, `eps`, `weightDecay`, `gradClipNorm`.
   */
  constructor(lr: LearningRate = 1e-3, options: AdamOptions = {}) {
    super(lr, options);
    const name = new.target.name;
    const betas = options.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2 || !betas.every((b) => typeof b === 'number' && b >= 0 && b < 1)) {
      throw new OptimizerError(`${name}: expected betas to be two numbers in [0, 1), got ${JSON.stringify(betas)}; ` +
        'e.g. betas: [0.9, 0.999].');
    }
    const eps = options.eps ?? 1e-8;
    if (typeof eps !== 'number' || !(eps >= 0)) {
      throw new OptimizerError(`${name}: expected eps to be a non-negative number, got ${String(eps)}.`);
    }
    this.betas = [betas[0], betas[1]];
    this.eps = eps;
  }

  protected override initExtraStates(): void {
    this.beta1Power = new OptimState(tf.scalar(1), { name: 'beta1Power' });
    this.beta2Power = new OptimState(tf.scalar(1), { name: 'beta2Power' });
  }

  protected override extraStates(): OptimState[] {
    return this.beta1Power === undefined ? [] : [this.beta1Power, this.beta2Power];
  }

  protected override beginStep(step: tf.Scalar, lr: tf.Scalar, extra: tf.Tensor[]):
    { context: StepContext; extra: tf.Tensor[] } {
    const b1p = tf.mul(extra[0], this.betas[0]);
    const b2p = tf.mul(extra[1], this.betas[1]);
    const bc1 = tf.sub(1, b1p);
    const bc2 = tf.sub(1, b2p);
    return { context: { step, lr, values: [bc1, bc2] }, extra: [b1p, b2p] };
  }

  /** The Adam direction `m̂ / (√v̂ + eps)` and the new moments. */
  protected direction(grad: tf.Tensor, slots: tf.Tensor[], ctx: StepContext): { dir: tf.Tensor; m: tf.Tensor; v: tf.Tensor } {
    const [b1, b2] = this.betas;
    const m = tf.add(tf.mul(b1, slots[0]), tf.mul(1 - b1, grad));
    const v = tf.add(tf.mul(b2, slots[1]), tf.mul(1 - b2, tf.square(grad)));
    const mHat = tf.div(m, ctx.values[0]);
    const vHat = tf.div(v, ctx.values[1]);
    return { dir: tf.div(mHat, tf.add(tf.sqrt(vHat), this.eps)), m, v };
  }

  protected updateLeaf(param: tf.Tensor, grad: tf.Tensor, slots: tf.Tensor[], ctx: StepContext): LeafUpdate {
    const { dir, m, v } = this.direction(grad, slots, ctx);
    return { param: tf.sub(param, tf.mul(ctx.lr, dir)), slots: [m, v] };
  }
}

/**
 * AdamW (braintools' and PyTorch's `AdamW`): Adam with decoupled weight decay,
 * `p ← p − lr · (m̂ / (√v̂ + eps) + weightDecay · p)`; `weightDecay` defaults to 1e-2.
 *
 * @example
 * ```ts
 * const opt = new bst.optim.AdamW(1e-3, { weightDecay: 1e-2 });
 * opt.registerTrainableWeights(model.states(bst.ParamState));
 * ```
 * @see Adam
 */
export class AdamW extends Adam {
  /**
   * @param lr - the learning rate: a number or a schedule (default 1e-3).
   * @param options - `betas`, `eps`, `weightDecay` (default 1e-2), `gradClipNorm`.
   */
  constructor(lr: LearningRate = 1e-3, options: AdamOptions = {}) {
    super(lr, { ...options, weightDecay: options.weightDecay ?? 1e-2 });
  }

  protected override couplesWeightDecay(): boolean {
    return false;
  }

  protected override updateLeaf(param: tf.Tensor, grad: tf.Tensor, slots: tf.Tensor[], ctx: StepContext): LeafUpdate {
    const { dir, m, v } = this.direction(grad, slots, ctx);
    const step = this.weightDecay > 0 ? tf.add(dir, tf.mul(this.weightDecay, param)) : dir;
    return { param: tf.sub(param, tf.mul(ctx.lr, step)), slots: [m, v] };
  }
}

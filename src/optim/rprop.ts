/**
 * Rprop, as braintools' `Rprop` (optax's `rprop`).
 */
import * as tf from '@tensorflow/tfjs';
import { OptimizerError } from '../errors';
import { StateValue } from '../state/state';
import { LeafUpdate, Optimizer, OptimizerOptions, StepContext } from './base';

/** Options of {@link Rprop} (braintools' names and defaults). */
export interface RpropOptions extends OptimizerOptions {
  /** Step-size factors on a sign change and on the same sign (default [0.5, 1.2]). */
  etas?: readonly [number, number];
  /** Smallest and largest step size (default [1e-6, 50]). */
  stepSizes?: readonly [number, number];
}

/**
 * Rprop: per element, the step size grows by `etas[1]` while the gradient keeps its
 * sign and shrinks by `etas[0]` when it flips (skipping that step), clipped to
 * `stepSizes`; the step `step · sign(g)` is applied one update later, as optax's
 * `rprop` (which braintools uses) does. `lr` is the initial step size, and (as in
 * braintools) no schedule is applied on top. Step sizes and the previous step are states.
 *
 * @example
 * ```ts
 * const opt = new bst.optim.Rprop(1e-2, { etas: [0.5, 1.2], stepSizes: [1e-6, 50] });
 * opt.registerTrainableWeights(model.states(bst.ParamState));
 * ```
 */
export class Rprop extends Optimizer {
  protected readonly slotNames: readonly string[] = ['stepSize', 'prevUpdate'];
  readonly etas: [number, number];
  readonly stepSizes: [number, number];
  readonly initialStep: number;

  /**
   * @param lr - the initial step size (a number; default 1e-2).
   * @param options - `etas`, `stepSizes`, clipping.
   */
  constructor(lr = 1e-2, options: RpropOptions = {}) {
    super(lr, options);
    const where = new.target.name;
    if (typeof lr !== 'number') throw new OptimizerError(`${where}: expected lr (the initial step size) to be a number.`);
    const e = options.etas ?? [0.5, 1.2];
    const s = options.stepSizes ?? [1e-6, 50];
    if (!(e[0] > 0 && e[0] < 1 && e[1] > 1)) {
      throw new OptimizerError(`${where}: expected etas [down, up] with 0 < down < 1 < up, got ${JSON.stringify(e)}.`);
    }
    if (!(s[0] >= 0 && s[1] > s[0])) {
      throw new OptimizerError(`${where}: expected stepSizes [min, max] with 0 <= min < max, got ${JSON.stringify(s)}.`);
    }
    this.etas = [e[0], e[1]];
    this.stepSizes = [s[0], s[1]];
    this.initialStep = lr;
  }

  protected override initialSlot(name: string, shape: number[]): StateValue {
    return name === 'stepSize' ? tf.fill(shape, this.initialStep) : tf.zeros(shape);
  }

  protected updateLeaf(param: tf.Tensor, grad: tf.Tensor, slots: tf.Tensor[], _ctx: StepContext): LeafUpdate {
    const [down, up] = this.etas;
    const s = tf.mul(grad, slots[1]);
    const grown = tf.clipByValue(tf.mul(slots[0], tf.where(tf.greater(s, 0), tf.fill(s.shape, up), tf.fill(s.shape, down))),
      this.stepSizes[0], this.stepSizes[1]);
    const step = tf.where(tf.equal(s, 0), slots[0], grown);
    const prev = tf.where(tf.less(s, 0), tf.zerosLike(grad), tf.mul(step, tf.sign(grad)));
    // optax applies the step of the previous update (zero where the sign just flipped):
    // a one-update lag that braintools, and so BrainState users, get too.
    const applied = tf.where(tf.less(s, 0), tf.zerosLike(grad), slots[1]);
    return { param: tf.sub(param, applied), slots: [step, prev] };
  }
}

/**
 * Learning-rate schedules: plain functions of the optimiser's step count (a float32
 * scalar tensor: the number of updates already applied), evaluated with tf ops so a
 * jitted training step computes the rate from the step *state* at every replay.
 */
import * as tf from '@tensorflow/tfjs';
import { OptimizerError } from '../errors';

/** A learning rate as a function of the step count (float32 scalar, 0 at the first update). */
export type Schedule = (step: tf.Scalar) => tf.Scalar;

/** A fixed learning rate, or a {@link Schedule}. */
export type LearningRate = number | Schedule;

function checkPositive(fnName: string, name: string, v: number, allowZero = false): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new OptimizerError(`${fnName}: expected ${name} to be a ${allowZero ? 'non-negative' : 'positive'} ` +
      `finite number, got ${String(v)}.`);
  }
}

/**
 * The learning rate `lr` at every step.
 *
 * @example
 * ```ts
 * const opt = new bst.optim.SGD(bst.optim.constant(0.1));   // same as new bst.optim.SGD(0.1)
 * ```
 * @param lr - the rate.
 * @returns the schedule.
 */
export function constant(lr: number): Schedule {
  checkPositive('optim.constant', 'lr', lr, true);
  return () => tf.scalar(lr);
}

/** Options of {@link exponentialDecay} (as optax's `exponential_decay`). */
export interface ExponentialDecayOptions {
  /** Decay in whole periods only: `rate ** floor(step / decaySteps)`. Default false. */
  staircase?: boolean;
  /** Steps before the decay starts (the rate is `initLr` until then). Default 0. */
  transitionBegin?: number;
  /** A floor (for rates < 1) or ceiling (> 1) the rate does not pass. */
  endValue?: number;
}

/**
 * `initLr * decayRate ** ((step - transitionBegin) / decaySteps)` (braintools'
 * `ExponentialDecayLR`, optax's `exponential_decay`).
 *
 * @example
 * ```ts
 * const opt = new bst.optim.Adam(bst.optim.exponentialDecay(1e-2, 100, 0.5));   // halves every 100 updates
 * ```
 * @param initLr - the rate at step 0.
 * @param decaySteps - steps per factor of `decayRate`.
 * @param decayRate - the factor.
 * @param options - `staircase`, `transitionBegin`, `endValue`.
 * @returns the schedule.
 */
export function exponentialDecay(initLr: number, decaySteps: number, decayRate: number,
  options: ExponentialDecayOptions = {}): Schedule {
  checkPositive('optim.exponentialDecay', 'initLr', initLr, true);
  checkPositive('optim.exponentialDecay', 'decaySteps', decaySteps);
  checkPositive('optim.exponentialDecay', 'decayRate', decayRate);
  const begin = options.transitionBegin ?? 0;
  checkPositive('optim.exponentialDecay', 'transitionBegin', begin, true);
  return (step) => tf.tidy(() => {
    let p = tf.div(tf.maximum(tf.sub(step, begin), 0), decaySteps);
    if (options.staircase === true) p = tf.floor(p);
    let lr = tf.mul(initLr, tf.pow(tf.scalar(decayRate), p));
    if (options.endValue !== undefined) {
      lr = decayRate < 1 ? tf.maximum(lr, options.endValue) : tf.minimum(lr, options.endValue);
    }
    return lr as tf.Scalar;
  });
}

/**
 * `lr * gamma ** floor(step / stepSize)` (PyTorch's and braintools' `StepLR`, counted in
 * optimiser updates).
 *
 * @example
 * ```ts
 * const opt = new bst.optim.SGD(bst.optim.stepLR(0.1, 30, 0.1));   // 0.1, then 0.01 from update 30, ...
 * ```
 * @param lr - the initial rate.
 * @param stepSize - updates per decay.
 * @param gamma - the factor (default 0.1).
 * @returns the schedule.
 */
export function stepLR(lr: number, stepSize: number, gamma = 0.1): Schedule {
  checkPositive('optim.stepLR', 'lr', lr, true);
  checkPositive('optim.stepLR', 'stepSize', stepSize);
  checkPositive('optim.stepLR', 'gamma', gamma, true);
  return (step) => tf.tidy(() => tf.mul(lr, tf.pow(tf.scalar(gamma), tf.floor(tf.div(step, stepSize)))) as tf.Scalar);
}

/**
 * Cosine decay from `initLr` to `alpha * initLr` over `decaySteps` updates, then flat
 * (optax's `cosine_decay_schedule`, braintools' `CosineAnnealingLR` without restarts).
 *
 * @example
 * ```ts
 * const opt = new bst.optim.Adam(bst.optim.cosineDecay(1e-3, 1000));
 * ```
 * @param initLr - the rate at step 0.
 * @param decaySteps - steps to reach the end value.
 * @param alpha - the end value as a fraction of `initLr` (default 0).
 * @returns the schedule.
 */
export function cosineDecay(initLr: number, decaySteps: number, alpha = 0): Schedule {
  checkPositive('optim.cosineDecay', 'initLr', initLr, true);
  checkPositive('optim.cosineDecay', 'decaySteps', decaySteps);
  checkPositive('optim.cosineDecay', 'alpha', alpha, true);
  return (step) => tf.tidy(() => {
    const t = tf.div(tf.minimum(step, decaySteps), decaySteps);
    const cos = tf.mul(0.5, tf.add(1, tf.cos(tf.mul(Math.PI, t))));
    return tf.mul(initLr, tf.add(tf.mul(1 - alpha, cos), alpha)) as tf.Scalar;
  });
}

/**
 * A {@link LearningRate} as a schedule (numbers become {@link constant}).
 *
 * @example
 * ```ts
 * bst.optim.toSchedule(0.1)(tf.scalar(5)).print();   // 0.1
 * ```
 * @param lr - a number or a schedule.
 * @param where - the caller, for messages.
 * @returns the schedule.
 */
export function toSchedule(lr: LearningRate, where = 'optim'): Schedule {
  if (typeof lr === 'function') return lr;
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
    throw new OptimizerError(`${where}: expected the learning rate to be a non-negative number or a schedule ` +
      `(step) => tf.Scalar, got ${String(lr)}; e.g. 1e-3 or bst.optim.exponentialDecay(1e-2, 100, 0.5).`);
  }
  return constant(lr);
}

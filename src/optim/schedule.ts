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

/**
 * `lr * gamma ** (number of milestones <= step)` (braintools' and PyTorch's
 * `MultiStepLR`, counted in optimiser updates).
 *
 * @example
 * ```ts
 * const opt = new bst.optim.SGD(bst.optim.multiStepLR(0.1, [30, 80]));   // 0.1, 0.01 from 30, 0.001 from 80
 * ```
 * @param lr - the initial rate.
 * @param milestones - increasing update counts at which the rate is multiplied by `gamma`.
 * @param gamma - the factor (default 0.1).
 * @returns the schedule.
 */
export function multiStepLR(lr: number, milestones: readonly number[], gamma = 0.1): Schedule {
  checkPositive('optim.multiStepLR', 'lr', lr, true);
  checkPositive('optim.multiStepLR', 'gamma', gamma, true);
  checkIncreasing('optim.multiStepLR', 'milestones', milestones);
  return (step) => tf.tidy(() => {
    const passed = tf.sum(tf.cast(tf.greaterEqual(step, tf.tensor1d(milestones.slice())), 'float32'));
    return tf.mul(lr, tf.pow(tf.scalar(gamma), passed)) as tf.Scalar;
  });
}

/**
 * `values[i]` for `boundaries[i-1] <= step < boundaries[i]` (braintools'
 * `PiecewiseConstantSchedule`: `values` has one more entry than `boundaries`).
 *
 * @example
 * ```ts
 * const lr = bst.optim.piecewiseConstant([100, 200], [1e-2, 1e-3, 1e-4]);
 * ```
 * @param boundaries - increasing update counts.
 * @param values - the rates, `boundaries.length + 1` of them.
 * @returns the schedule.
 */
export function piecewiseConstant(boundaries: readonly number[], values: readonly number[]): Schedule {
  checkIncreasing('optim.piecewiseConstant', 'boundaries', boundaries);
  if (!Array.isArray(values) || values.length !== boundaries.length + 1) {
    throw new OptimizerError(`optim.piecewiseConstant: expected ${boundaries.length + 1} values (one more than ` +
      `boundaries), got ${JSON.stringify(values)}.`);
  }
  values.forEach((v, i) => checkPositive('optim.piecewiseConstant', `values[${i}]`, v, true));
  return (step) => tf.tidy(() => {
    const idx = tf.cast(tf.sum(tf.cast(tf.greaterEqual(step, tf.tensor1d(boundaries.slice())), 'float32')), 'int32');
    return tf.reshape(tf.gather(tf.tensor1d(values.slice()), tf.reshape(idx, [1])), []) as tf.Scalar;
  });
}

/**
 * Linear warm-up from `warmupStartLr` to `lr` over `warmupSteps` updates, then cosine
 * decay to `etaMin` at `totalSteps` (braintools' `WarmupCosineSchedule`).
 *
 * @example
 * ```ts
 * const opt = new bst.optim.AdamW(bst.optim.warmupCosine(1e-3, 100, 1000));
 * ```
 * @param lr - the peak rate.
 * @param warmupSteps - updates of the warm-up.
 * @param totalSteps - the update at which the decay ends.
 * @param options - `warmupStartLr` (default 0), `etaMin` (default 0).
 * @returns the schedule.
 */
export function warmupCosine(lr: number, warmupSteps: number, totalSteps: number,
  options: { warmupStartLr?: number; etaMin?: number } = {}): Schedule {
  checkPositive('optim.warmupCosine', 'lr', lr, true);
  checkPositive('optim.warmupCosine', 'warmupSteps', warmupSteps, true);
  checkPositive('optim.warmupCosine', 'totalSteps', totalSteps);
  const start = options.warmupStartLr ?? 0;
  const etaMin = options.etaMin ?? 0;
  return (step) => tf.tidy(() => {
    const alpha = tf.clipByValue(tf.div(step, Math.max(warmupSteps, 1)), 0, 1);
    const progress = tf.clipByValue(tf.div(tf.sub(step, warmupSteps), Math.max(totalSteps - warmupSteps, 1)), 0, 1);
    const cos = tf.div(tf.add(1, tf.cos(tf.mul(Math.PI, progress))), 2);
    const warm = tf.add(start, tf.mul(lr - start, alpha));
    const decay = tf.add(etaMin, tf.mul(lr - etaMin, cos));
    return tf.where(tf.less(step, warmupSteps), warm, decay) as tf.Scalar;
  });
}

/**
 * The one-cycle policy (braintools' `OneCycleLR`): from `maxLr / divFactor` up to
 * `maxLr` over the first `pctStart` of `totalSteps`, then down to
 * `maxLr / finalDivFactor` (cosine or linear).
 *
 * @example
 * ```ts
 * const opt = new bst.optim.SGD(bst.optim.oneCycle(0.1, 1000));
 * ```
 * @param maxLr - the peak rate.
 * @param totalSteps - updates in the cycle.
 * @param options - `pctStart` (0.3), `annealStrategy` ('cos' or 'linear'), `divFactor` (25), `finalDivFactor` (1e4).
 * @returns the schedule.
 */
export function oneCycle(maxLr: number, totalSteps: number, options: { pctStart?: number;
  annealStrategy?: 'cos' | 'linear'; divFactor?: number; finalDivFactor?: number } = {}): Schedule {
  checkPositive('optim.oneCycle', 'maxLr', maxLr, true);
  checkPositive('optim.oneCycle', 'totalSteps', totalSteps);
  const pct = options.pctStart ?? 0.3;
  if (!(pct > 0 && pct < 1)) throw new OptimizerError(`optim.oneCycle: expected pctStart in (0, 1), got ${pct}.`);
  const strategy = options.annealStrategy ?? 'cos';
  if (strategy !== 'cos' && strategy !== 'linear') {
    throw new OptimizerError(`optim.oneCycle: expected annealStrategy 'cos' or 'linear', got '${String(strategy)}'.`);
  }
  const base = maxLr / (options.divFactor ?? 25);
  const min = maxLr / (options.finalDivFactor ?? 1e4);
  const warmupSteps = pct * totalSteps;
  return (step) => tf.tidy(() => {
    const wp = tf.minimum(tf.div(step, warmupSteps), 1);
    const warm = tf.add(base, tf.mul(wp, maxLr - base));
    const ap = tf.clipByValue(tf.div(tf.sub(step, warmupSteps), (1 - pct) * totalSteps), 0, 1);
    const factor = strategy === 'cos' ? tf.div(tf.add(1, tf.cos(tf.mul(Math.PI, ap))), 2) : tf.sub(1, ap);
    const anneal = tf.add(min, tf.mul(factor, maxLr - min));
    return tf.where(tf.lessEqual(step, warmupSteps), warm, anneal) as tf.Scalar;
  });
}

/** BrainState's / braintools' name for {@link multiStepLR}. */
export const MultiStepLR = multiStepLR;
/** The API name for {@link piecewiseConstant} (braintools' `PiecewiseConstantSchedule`). */
export const PiecewiseConstant = piecewiseConstant;
/** The API name for {@link warmupCosine} (braintools' `WarmupCosineSchedule`). */
export const WarmupCosine = warmupCosine;
/** The API name for {@link oneCycle} (braintools' `OneCycleLR`). */
export const OneCycle = oneCycle;

function checkIncreasing(fnName: string, name: string, xs: readonly number[]): void {
  if (!Array.isArray(xs) || !xs.every((x, i) => Number.isFinite(x) && x >= 0 && (i === 0 || x > xs[i - 1]))) {
    throw new OptimizerError(`${fnName}: expected ${name} to be increasing non-negative numbers, got ${JSON.stringify(xs)}.`);
  }
}

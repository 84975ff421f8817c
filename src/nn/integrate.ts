/**
 * One-step integrators shared by the neuron and synapse models, and the rule that turns
 * a duration (refractory period, transmitter pulse) into a whole number of steps.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import type { DynParam } from './dynamics';

/** How a model advances one step: forward Euler, or exponential Euler (brainpy.state's default). */
export type Method = 'euler' | 'expEuler';

/** Throws unless `method` is one of {@link Method}. */
export function checkMethod(method: string, where: string): Method {
  if (method !== 'euler' && method !== 'expEuler') {
    throw new BrainStateError(`${where}: expected method 'euler' or 'expEuler', got '${method}'.`);
  }
  return method;
}

/** Throws unless `reset` is `'soft'` or `'hard'`. */
export function checkReset(reset: string, where: string): 'soft' | 'hard' {
  if (reset !== 'soft' && reset !== 'hard') {
    throw new BrainStateError(`${where}: expected spkReset 'soft' or 'hard', got '${reset}'.`);
  }
  return reset;
}

type Num = tf.Tensor | number;

/**
 * `(exp(a dt) - 1) / a`, and `dt` where `a` is 0: the factor of the exponential Euler
 * step `x + f(x) (exp(a dt) - 1) / a` for `dx/dt = f(x)` linearised as `a = df/dx`.
 * Safe for gradients too (no 0/0 in the branch `where` discards).
 */
export function phi1(a: Num, dt: number): Num {
  if (typeof a === 'number') return Math.abs(a) < 1e-12 ? dt : Math.expm1(a * dt) / a;
  return tf.tidy(() => {
    const small = tf.less(tf.abs(a), 1e-6);
    const safe = tf.where(small, tf.onesLike(a), a);
    return tf.where(small, tf.add(tf.mul(a, 0.5 * dt * dt), dt), tf.div(tf.expm1(tf.mul(safe, dt)), safe));
  });
}

/**
 * One step of `dx/dt = f`: forward Euler `x + f dt`, or exponential Euler
 * `x + f (exp(a dt) - 1) / a` with `a = df/dx` (exact when `f` is linear in `x`).
 */
export function stepOf(method: Method, x: tf.Tensor, f: Num, dfdx: Num, dt: number): tf.Tensor {
  return tf.tidy(() => (method === 'euler' ? tf.add(x, tf.mul(f, dt)) : tf.add(x, tf.mul(f, phi1(dfdx, dt)))));
}

/**
 * The exact step of the linear decay `dx/dt = (target - x) / tau` over `dt`:
 * `target + (x - target) exp(-dt / tau)`; with `'euler'`, `x + (target - x) dt / tau`.
 */
export function relax(method: Method, x: tf.Tensor, target: Num, tau: DynParam, dt: number): tf.Tensor {
  return tf.tidy(() => {
    const factor = method === 'euler' ? div(dt, tau) : oneMinusExp(tau, dt);
    return tf.add(x, tf.mul(tf.sub(target, x), factor));
  });
}

/** `1 - exp(-dt / tau)`. */
function oneMinusExp(tau: DynParam, dt: number): Num {
  return typeof tau === 'number' ? -Math.expm1(-dt / tau) : tf.neg(tf.expm1(tf.div(-dt, tau)));
}

function div(a: number, b: DynParam): Num {
  return typeof b === 'number' ? a / b : tf.div(a, b);
}

/**
 * `exp(-dt / tau)`, a number when `tau` is one.
 */
export function decayFactor(tau: DynParam, dt: number): Num {
  return typeof tau === 'number' ? Math.exp(-dt / tau) : tf.exp(tf.div(-dt, tau));
}

/**
 * The number of steps `k >= 0` with `k dt < duration`: `ceil(duration / dt)`, robust to
 * the rounding of ratios such as 0.5 / 0.1 (so a 5 ms refractory period at dt = 0.1 ms
 * is 50 steps, as Brian2 counts it).
 */
export function stepsWithin(duration: DynParam, dt: number): Num {
  if (typeof duration === 'number') return duration <= 0 ? 0 : Math.ceil(duration / dt - 1e-6);
  return tf.tidy(() => tf.relu(tf.ceil(tf.sub(tf.div(duration, dt), 1e-6))));
}

/** `-1 / tau`, a number when `tau` is one: the linear coefficient of a leak. */
export function negInv(tau: DynParam): Num {
  return typeof tau === 'number' ? -1 / tau : tf.div(-1, tau);
}

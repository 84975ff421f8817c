/**
 * Arguments of the distributions: parameters that are numbers or tensors (checked where
 * their values are known), the output shape they imply, and subkeys for draws that need
 * several independent streams.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import { checkShape } from './key';
import { RANDOM_NORMAL, RANDOM_SPLIT, RANDOM_UNIFORM, runRandomKernel } from './kernels';

/** A number or a tensor that broadcasts against the drawn shape. */
export type Scalarish = number | tf.Tensor;

/** What a number parameter must satisfy. */
export interface ParamRule {
  /** Exclusive lower bound. */
  above?: number;
  /** Inclusive lower bound. */
  atLeast?: number;
  /** Inclusive upper bound. */
  atMost?: number;
  /** Must be an integer. */
  integer?: boolean;
}

function ruleText(r: ParamRule): string {
  const kind = r.integer === true ? 'an integer' : 'a number';
  const lo = r.above !== undefined ? `(${r.above}` : r.atLeast !== undefined ? `[${r.atLeast}` : undefined;
  const hi = r.atMost !== undefined ? `${r.atMost}]` : undefined;
  if (lo !== undefined && hi !== undefined) return `${kind} in ${lo}, ${hi}`;
  if (lo !== undefined) return `${kind} ${r.above !== undefined ? `> ${r.above}` : `>= ${r.atLeast}`}`;
  if (hi !== undefined) return `${kind} <= ${r.atMost}`;
  return r.integer === true ? 'an integer' : 'a finite number';
}

/**
 * Checks a parameter: a number against `rule` (a tensor's values are not known while a
 * jit traces, so they are not checked: out-of-range tensor values give NaN or a
 * meaningless sample, as in JAX), or a tensor of a numeric dtype.
 */
export function checkParam(x: unknown, name: string, where: string, rule: ParamRule = {}): void {
  if (typeof x === 'number') {
    const ok = Number.isFinite(x) && (rule.integer !== true || Number.isInteger(x)) &&
      (rule.above === undefined || x > rule.above) && (rule.atLeast === undefined || x >= rule.atLeast) &&
      (rule.atMost === undefined || x <= rule.atMost);
    if (!ok) throw new BrainStateError(`${where}: expected ${name} to be ${ruleText(rule)}, got ${x}.`);
    return;
  }
  if (!(x instanceof tf.Tensor)) {
    throw new BrainStateError(`${where}: expected ${name} to be a number or a tf.Tensor, got ` +
      `${x === null ? 'null' : typeof x}.`);
  }
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new BrainStateError(`${where}: expected ${name} to be a float32 or int32 tensor, got dtype ${x.dtype}; ` +
      "cast it with tf.cast(x, 'float32').");
  }
}

/** The shape of a draw: `shape` when given, else the broadcast shape of the tensor parameters. */
export function drawShape(shape: readonly number[] | undefined, params: readonly unknown[], where: string): number[] {
  if (shape !== undefined) return checkShape(shape, where);
  let out: number[] = [];
  for (const p of params) {
    if (!(p instanceof tf.Tensor)) continue;
    try {
      out = tf.backend_util.assertAndGetBroadcastShape(out, p.shape);
    } catch {
      throw new BrainStateError(`${where}: expected the parameters' shapes to broadcast, but [${out.join(',')}] and ` +
        `[${p.shape.join(',')}] do not; pass a shape, or parameters of compatible shapes.`);
    }
  }
  return out;
}

/** `n` independent keys from `key`, as `jax.random.split(key, n)` unstacked. */
export function subkeys(key: tf.Tensor, n: number): tf.Tensor[] {
  return tf.unstack(runRandomKernel(RANDOM_SPLIT, { key }, { num: n }));
}

/** Uniform float32 in `[minval, maxval)`, JAX's numbers for the key. */
export function uniformBits(key: tf.Tensor, shape: readonly number[], minval = 0, maxval = 1): tf.Tensor {
  return runRandomKernel(RANDOM_UNIFORM, { key }, { shape: [...shape], minval, maxval });
}

/** Standard normal float32, JAX's numbers for the key. */
export function normalBits(key: tf.Tensor, shape: readonly number[]): tf.Tensor {
  return runRandomKernel(RANDOM_NORMAL, { key }, { shape: [...shape] });
}

/** float32 constants JAX's samplers use. */
export const F32 = {
  /** Smallest normal float32 (`finfo(float32).tiny`). */
  tiny: 1.1754943508222875e-38,
  /** `finfo(float32).eps`. */
  eps: 1.1920928955078125e-7,
  /** `finfo(float32).epsneg`. */
  epsneg: 5.960464477539063e-8,
} as const;

/** `loc + scale * x`, skipping the identity parts. */
export function locScale(x: tf.Tensor, loc: Scalarish | undefined, scale: Scalarish | undefined): tf.Tensor {
  let out = x;
  if (scale !== undefined && scale !== 1) out = tf.mul(out, scale);
  if (loc !== undefined && loc !== 0) out = tf.add(out, loc);
  return out;
}

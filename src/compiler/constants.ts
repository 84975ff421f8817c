/**
 * Reading constants at compile time (never while tracing).
 */
import type * as tf from '@tensorflow/tfjs';
import { canReadSync, hostConstant, storedValues, unrecorded } from '../backend/tfjs-engine';
import type { Program, ValueId } from './ir';

/**
 * The value of a tensor whose elements are all equal (a "splat"), else undefined. Known
 * from the JS values it was made from during the trace where possible (on webgpu the data
 * may be on the GPU by now); else read once, where a synchronous read is possible. The
 * value is the one kernels read (as stored), which on cpu can lie outside the dtype's range.
 */
export function splatValue(t: tf.Tensor): number | undefined {
  if (t.dtype === 'string' || t.dtype === 'complex64') return undefined;
  const known = hostConstant(t);
  if (known !== undefined) return known.splat;
  if (!canReadSync(t)) return undefined; // unknown: treated as not a splat
  const v = unrecorded(() => storedValues(t));
  const first = v[0];
  for (let i = 1; i < v.length; i++) if (!Object.is(v[i], first)) return undefined;
  return Number(first);
}

/** The splat value of program value `v` if it is such a constant. */
export function constantSplat(p: Program, v: ValueId): number | undefined {
  const c = p.constants.find((k) => k.value === v);
  return c === undefined ? undefined : splatValue(c.tensor);
}

/** The values of a small constant for printing, or undefined when unknown without a GPU read. */
export function smallConstantValues(t: tf.Tensor): ArrayLike<number> | undefined {
  const known = hostConstant(t);
  if (known !== undefined) return known.values;
  return canReadSync(t) ? t.dataSync() : undefined;
}

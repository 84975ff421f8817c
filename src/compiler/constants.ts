/**
 * Reading constants at compile time (never while tracing).
 */
import type * as tf from '@tensorflow/tfjs';
import { storedValues, unrecorded } from '../backend/tfjs-engine';
import type { Program, ValueId } from './ir';

/**
 * The value of a tensor whose elements are all equal (a "splat"), else undefined. The
 * value is the one kernels read (as stored), which on cpu can lie outside the dtype's range.
 */
export function splatValue(t: tf.Tensor): number | undefined {
  if (t.dtype === 'string' || t.dtype === 'complex64') return undefined;
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

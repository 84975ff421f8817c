/**
 * Reading constants at compile time (never while tracing).
 */
import type * as tf from '@tensorflow/tfjs';
import type { Program, ValueId } from './ir';

/** The value of a tensor whose elements are all equal (a "splat"), else undefined. */
export function splatValue(t: tf.Tensor): number | undefined {
  if (t.dtype === 'string' || t.dtype === 'complex64') return undefined;
  const v = t.dataSync();
  const first = v[0];
  for (let i = 1; i < v.length; i++) if (!Object.is(v[i], first)) return undefined;
  return Number(first);
}

/** The splat value of program value `v` if it is such a constant. */
export function constantSplat(p: Program, v: ValueId): number | undefined {
  const c = p.constants.find((k) => k.value === v);
  return c === undefined ? undefined : splatValue(c.tensor);
}

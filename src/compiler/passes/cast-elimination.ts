/**
 * Cast elimination: a bool cast to int32 or float32 is exactly 0 or 1, so casting it
 * back to bool gives the bool itself, and casting it on to another type needs one cast
 * from the bool. (A cast to the same dtype is removed by identity elision.) Other cast
 * chains are kept: int32 -> float32 -> int32 is not exact beyond 2^24.
 */
import type { Pass } from './pass';
import { rewritePass } from './rewrite';

export const eliminateCasts: Pass = rewritePass('cast-elimination', (p, n, producer) => {
  if (n.kernel !== 'Cast' || n.inputs.length !== 1) return undefined;
  const src = producer(n.inputs[0]);
  if (src?.kernel !== 'Cast' || p.values[src.inputs[0]]?.dtype !== 'bool') return undefined;
  if (n.attrs.dtype === 'bool') return { alias: src.inputs[0] };
  return { node: { ...n, inputs: [src.inputs[0]] } };
});

/**
 * Cast elimination: a bool cast on to int32 or float32 through another cast needs one
 * cast from the bool (bool -> int32 and bool -> float32 keep the stored value, so the two
 * paths give the same numbers). A bool cast to a number and back to bool is the bool
 * itself only when the bool is a comparison's result, 0 or 1: a bool's stored value can
 * be another (tfjs-wasm's cast stores the truncated byte; `tf.fill(s, 2, 'bool')` stores 2
 * on cpu and webgpu; a Uint8Array passed to `tf.tensor`), and the cast back to bool gives
 * 0 / 1 on cpu and webgpu. (A cast to the same dtype is removed by identity elision.)
 * Other cast chains are kept: int32 -> float32 -> int32 is not exact beyond 2^24.
 */
import type { Pass } from './pass';
import { rewritePass } from './rewrite';

/** Kernels whose bool result is stored as exactly 0 or 1 on every backend. */
const ZERO_ONE = new Set(['Equal', 'NotEqual', 'Greater', 'GreaterEqual', 'Less', 'LessEqual']);

export const eliminateCasts: Pass = rewritePass('cast-elimination', (p, n, producer) => {
  if (n.kernel !== 'Cast' || n.inputs.length !== 1) return undefined;
  const src = producer(n.inputs[0]);
  if (src?.kernel !== 'Cast' || p.values[src.inputs[0]]?.dtype !== 'bool') return undefined;
  if (n.attrs.dtype === 'bool') {
    return ZERO_ONE.has(producer(src.inputs[0])?.kernel ?? '') ? { alias: src.inputs[0] } : undefined;
  }
  return { node: { ...n, inputs: [src.inputs[0]] } };
});

/**
 * Cast elimination: a bool cast on to int32 or float32 through another cast needs one
 * cast from the bool (bool -> int32 and bool -> float32 keep the stored value, so the two
 * paths give the same numbers). A bool cast to a number and back to bool is the bool
 * itself only when the bool is a comparison's result, 0 or 1: a bool's stored value can
 * be another (tfjs-wasm's cast stores the truncated byte; `tf.fill(s, 2, 'bool')` stores 2
 * on cpu and webgpu; a Uint8Array passed to `tf.tensor`), and the cast back to bool gives
 * 0 / 1 on cpu and webgpu. (A cast to the same dtype is removed by identity elision.)
 * Other cast chains are kept: int32 -> float32 -> int32 is not exact beyond 2^24.
 *
 * On tfjs-webgpu, where small host data runs kernels on its CPU forms and a GPU kernel
 * uploads its inputs for good (docs/sharp-bits.md 24), the rewrite must also keep which
 * data the result is. Both one-cast forms return the bool's own data (a lossless cast, or
 * the bool itself), as eager's chain does only when its second cast is lossless too
 * (bool -> int32 -> float32). A lossy second cast (float32 -> int32, or to bool) makes new
 * data, on the host while the bool is there, which a later upload of the bool leaves on the
 * host (fuzz seed 1101924: `tanh(cast(c, 'float32'))` uploaded the bool c after
 * `cast(cast(c, 'float32'), 'int32')` had copied it, so eager's `mul(x, thatCast)` ran on
 * the CPU forms, exact; the jit's `cast(c, 'int32')` was c's data, so its `mul` ran on the
 * GPU through f32). There such chains of small values are kept.
 */
import type { Pass } from './pass';
import type { Rule } from './rewrite';
import { rewritePass } from './rewrite';
import { sharedInputOf } from './upload-order';
import { targetNamed } from '../../backend/targets';

/** Kernels whose bool result is stored as exactly 0 or 1 on every backend. */
const ZERO_ONE = new Set(['Equal', 'NotEqual', 'Greater', 'GreaterEqual', 'Less', 'LessEqual']);

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * The rule; `threshold` is the element count below which data may stay on the host and keep
 * kernels on their CPU forms (0: placement never depends on data, as on cpu and wasm).
 */
function rule(threshold: number): Rule {
  return (p, n, producer) => {
    if (n.kernel !== 'Cast' || n.inputs.length !== 1) return undefined;
    const src = producer(n.inputs[0]);
    if (src?.kernel !== 'Cast' || p.values[src.inputs[0]]?.dtype !== 'bool') return undefined;
    // Eager's result is new data here, the rewritten one the bool's: see the module comment.
    if (sizeOf(p.values[n.outputs[0]].shape) < threshold && sharedInputOf(p, n) < 0) return undefined;
    if (n.attrs.dtype === 'bool') {
      return ZERO_ONE.has(producer(src.inputs[0])?.kernel ?? '') ? { alias: src.inputs[0] } : undefined;
    }
    return { node: { ...n, inputs: [src.inputs[0]] } };
  };
}

/** Cast elimination where placement never depends on data (cpu, wasm). */
export const eliminateCasts: Pass = rewritePass('cast-elimination', rule(0));

/** Cast elimination for a program that runs on `backendName` (see the module comment). */
export function eliminateCastsFor(backendName: string): Pass {
  const gpu = targetNamed(backendName)?.gpuFusion;
  if (gpu === undefined) return eliminateCasts;
  return { name: 'cast-elimination', run: (p) => rewritePass('cast-elimination', rule(gpu.cpuForwardThreshold())).run(p) };
}

/**
 * Turning the jit off: `disableJit(fn)` for a scope, `BRAINSTATE_DISABLE_JIT=1` for the
 * whole process (JAX's `disable_jit`). Jitted functions then call their original function.
 */

import { config } from '../config';

/** `BRAINSTATE_DISABLE_JIT`, read at the first jitted call (undefined until then). */
let disabledByEnv: boolean | undefined;
let disabledDepth = 0;

/** True when jitted functions must run their original function. */
export function isJitDisabled(): boolean {
  return disabledDepth > 0 || (disabledByEnv ??= config().disableJit);
}

/**
 * Runs `fn` with every jitted function calling its `originFun` (no tracing, no replay).
 *
 * @example
 * ```ts
 * const f = bst.transform.jit((x: tf.Tensor) => tf.mul(x, 2));
 * bst.transform.disableJit(() => f(tf.scalar(1)));   // runs eagerly
 * f.traceCount;                                      // 0
 * ```
 */
export function disableJit<R>(fn: () => R): R {
  disabledDepth++;
  try {
    return fn();
  } finally {
    disabledDepth--;
  }
}

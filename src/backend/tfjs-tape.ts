/**
 * The gradient tape's private members, for `transform.grad` (part of the adapter; see
 * ./tfjs-engine.ts): `engine.gradients(f, xs, dy, allowNoGradients)` (tfjs's `tf.grads`
 * without its checks, so a loss that ignores an input gets zeros) and `engine.state
 * .activeTape` / `gradientDepth`, to free what an abandoned tape saved.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';

interface TapeEngine {
  gradients(f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor, allowNoGradients?: boolean):
    { value: tf.Tensor; grads: (tf.Tensor | null | undefined)[] };
  state: { gradientDepth: number; activeTape: { saved?: tf.Tensor[] }[] | null };
}

let checked = false;

function tapeEngine(): TapeEngine {
  const e = tf.engine() as unknown as TapeEngine;
  if (!checked) {
    // activeTape is set only once a tape ran (null or an array then); gradientDepth always.
    const tape = (e.state as { activeTape?: unknown } | undefined)?.activeTape;
    if (typeof e.gradients !== 'function' || e.state == null || typeof e.state.gradientDepth !== 'number' ||
      (tape !== undefined && tape !== null && !Array.isArray(tape))) {
      throw new BrainStateError(`brainstate-ts: this version of @tensorflow/tfjs (${tf.version_core}) lacks ` +
        'engine.gradients() / engine.state.activeTape, which transform.grad needs. brainstate-ts supports ' +
        '@tensorflow/tfjs 4.x (tested with 4.22.0); install that version.');
    }
    checked = true;
  }
  return e;
}

/** Checks the members used here (the adapter's self-test calls it). */
export function selfTestTape(): void {
  tapeEngine();
}

/**
 * The value of `f()` and its gradients with respect to `xs`, under tfjs's tape;
 * `undefined` / null gradients where the value does not depend on an input.
 */
export function tapeGradients(f: () => tf.Tensor, xs: tf.Tensor[]): { value: tf.Tensor; grads: (tf.Tensor | null | undefined)[] } {
  return tapeEngine().gradients(f, xs, undefined, true);
}

/** After a throw inside the taped forward pass tfjs keeps the tape's saved tensors: free them. */
export function dropAbandonedTape(): void {
  const state = tapeEngine().state;
  if (state.gradientDepth !== 0 || state.activeTape == null) return;
  for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
  state.activeTape = null;
}

/**
 * `tapeGradients` called from inside a backward pass (a custom gradient that recomputes
 * its forward, as gradient checkpointing does). tfjs keeps one `activeTape` for every
 * nested `gradients` call and frees it when the outermost one ends; a call made while the
 * outer backward pass runs (depth 0) would start a new tape over the outer one and free
 * it, so the outer tape is set aside and put back.
 */
export function nestedTapeGradients(f: () => tf.Tensor, xs: tf.Tensor[]): { value: tf.Tensor; grads: (tf.Tensor | null | undefined)[] } {
  const e = tapeEngine();
  if (e.state.gradientDepth > 0) return e.gradients(f, xs, undefined, true);
  const outer = e.state.activeTape;
  e.state.activeTape = null;
  try {
    return e.gradients(f, xs, undefined, true);
  } finally {
    e.state.activeTape = outer;
  }
}

/**
 * Runs `fn` with the gradient tape paused (as tfjs does inside a kernel: `isTapeOn()` is
 * false while `kernelDepth > 0`): what it computes is not saved for a backward pass.
 */
export function withTapePaused<R>(fn: () => R): R {
  const state = tapeEngine().state as unknown as { kernelDepth: number };
  if (typeof state.kernelDepth !== 'number') {
    throw new BrainStateError(`brainstate-ts: this version of @tensorflow/tfjs (${tf.version_core}) lacks ` +
      'engine.state.kernelDepth, which gradient checkpointing needs; install @tensorflow/tfjs 4.22.');
  }
  state.kernelDepth++;
  try {
    return fn();
  } finally {
    state.kernelDepth--;
  }
}

interface ScopedTensor { kept: boolean; scopeId?: number; isDisposed: boolean; dispose(): void }

/**
 * Keeps `t` alive past the end of the scope that tracks it (a tensor made in a gradient's
 * forward pass, which tfjs frees before the backward pass), for a backward pass that
 * recomputes from it. The returned function lets go: `t` goes back to its scope if that
 * scope is still open, and is freed if it has ended. A tensor that no scope tracks, or
 * that is already kept, is left alone.
 */
export function holdPastScope(tensor: tf.Tensor): () => void {
  const t = tensor as unknown as ScopedTensor;
  if (t.kept || t.scopeId === undefined || t.isDisposed) return () => undefined;
  t.kept = true;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const stack = (tf.engine() as unknown as { state: { scopeStack: { id: number }[] } }).state.scopeStack;
    if (stack.some((s) => s.id === t.scopeId)) t.kept = false;
    else if (!t.isDisposed) t.dispose();
  };
}

/**
 * An op on the tape with one output whose gradient is given per input as a thunk (as
 * tfjs's own kernels give theirs): tfjs calls only the thunks of inputs on a path from
 * the differentiated tensors to the loss, so an input whose gradient cannot be built can
 * throw there, as eagerly, without failing the gradients that are needed. `forward` runs
 * with the tape paused and may `save` tensors for `backward` (tfjs clones them).
 */
export function thunkGradOp(inputs: readonly tf.Tensor[], forward: (save: (ts: tf.Tensor[]) => void) => tf.Tensor,
  backward: (dy: tf.Tensor, saved: tf.Tensor[]) => (() => tf.Tensor)[]): tf.Tensor {
  return thunkGradOps(inputs, (save) => [forward(save)], (dys, saved) => backward(dys[0], saved))[0];
}

/**
 * {@link thunkGradOp} with several outputs: `backward` gets one cotangent per output, each as
 * the tape accumulated it for that output (host zeros for an output the loss does not reach,
 * as tfjs makes them). Why not one packed output sliced back: the tape's gradient of a `Slice`
 * is a `Pad`, which has no CPU form on webgpu, so every cotangent would reach `backward` as GPU
 * data where eager's tape hands over host data for a small loss (fuzz seed 1113525).
 */
export function thunkGradOps(inputs: readonly tf.Tensor[], forward: (save: (ts: tf.Tensor[]) => void) => tf.Tensor[],
  backward: (dys: tf.Tensor[], saved: tf.Tensor[]) => (() => tf.Tensor)[]): tf.Tensor[] {
  const e = tf.engine() as unknown as {
    runKernelFunc(p: { forwardFunc: (b: unknown, save: (ts: tf.Tensor[]) => void) => tf.Tensor[];
      backwardsFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => Record<string, () => tf.Tensor>;
      inputs: Record<string, tf.Tensor> }): tf.Tensor | tf.Tensor[];
  };
  if (typeof e.runKernelFunc !== 'function') {
    throw new BrainStateError(`brainstate-ts: this version of @tensorflow/tfjs (${tf.version_core}) lacks ` +
      'engine.runKernelFunc(), which gradients through compiled loops need; install @tensorflow/tfjs 4.22.');
  }
  const inputMap: Record<string, tf.Tensor> = {};
  inputs.forEach((t, i) => { inputMap[i] = t; });
  const out = e.runKernelFunc({
    forwardFunc: (_b, save) => forward(save),
    // tfjs hands an op of one output its dy alone, of several outputs the array.
    backwardsFunc: (dy, saved) => {
      const thunks = backward(Array.isArray(dy) ? dy : [dy], saved);
      const map: Record<string, () => tf.Tensor> = {};
      thunks.forEach((f, i) => { map[i] = f; });
      return map;
    },
    inputs: inputMap,
  });
  return Array.isArray(out) ? out : [out];
}

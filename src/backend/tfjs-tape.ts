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

/**
 * The shapes, dtypes and structure of what a function returns, found by running it once
 * in a sandbox that nothing escapes (JAX's `eval_shape`, BrainState's `eval_shape`): state
 * writes are shadowed and dropped, states it creates are retired, nested jitted functions
 * run inline (a replay would write states directly), and every tensor it makes is freed.
 *
 * Loops use it for a zero-length scan eagerly: the stacked ys of zero steps are empty
 * tensors whose shapes only the body knows (under jit the body trace tells them).
 */
import * as tf from '@tensorflow/tfjs';
import { TraceError } from '../errors';
import { currentObserver, StateObserver, withObserver } from '../state/stack';
import { isTensor } from '../state/tree';
import { flatten, TreeDef } from '../util/pytree';
import { disableJit } from './disable';
import { ShadowStates } from './shadow';

/** The shape and dtype of one result leaf. */
export interface ShapeDtype {
  readonly shape: readonly number[];
  readonly dtype: tf.DataType;
}

/**
 * evalShape's shadow-state context (shadow.ts): reads see earlier sandboxed writes, else
 * the enclosing context's (or the stored) value; writes stay here and are dropped.
 */
function sandbox(parent: StateObserver | undefined): ShadowStates {
  return new ShadowStates({
    firstRead: (state) => ({ value: parent === undefined ? state.rawValue() : parent.read(state), cache: false }),
    acceptWrite: (_state, value) => value,
    created: 'local',
  });
}

/**
 * Runs `fn` once without any lasting effect and describes its result: its structure and
 * the shape and dtype of each leaf (numbers count as float32 scalars).
 *
 * @param what - the caller, for messages (`scan`).
 * @throws TraceError when a leaf is neither a tensor nor a number.
 */
export function evalShape(fn: () => unknown, what: string): { def: TreeDef; leaves: ShapeDtype[] } {
  const observer = sandbox(currentObserver());
  let def: TreeDef = { kind: 'leaf' };
  const leaves: ShapeDtype[] = [];
  try {
    // Only plain shapes leave the tidy: everything the function made is freed with it.
    tf.tidy(() => {
      const result = disableJit(() => withObserver(observer, fn));
      const [flat, d] = flatten(result, isTensor);
      def = d;
      flat.forEach((l, j) => {
        if (isTensor(l)) leaves.push({ shape: [...l.shape], dtype: l.dtype });
        else if (typeof l === 'number') leaves.push({ shape: [], dtype: 'float32' });
        else throw new TraceError(`${what}: result leaf ${j} is ${typeof l} ${String(l)}; expected tensors (or numbers).`);
      });
    });
    return { def, leaves };
  } finally {
    observer.finish(what);
  }
}

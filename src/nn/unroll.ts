/**
 * `unrollCell`: runs a recurrent cell (or any one-step module) over a sequence with
 * `transform.scan`, so the loop is one traced body under `jit` and runs step by step
 * (visible to the gradient tape) under `grad`.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import { scan } from '../transform/scan';
import { Module } from './module';

/** Options of {@link unrollCell}. */
export interface UnrollOptions {
  /** The input is `[T, B, ...]` (default false: `[B, T, ...]`, as batch-first data usually is). */
  timeMajor?: boolean;
  /** Return every step's output (default true), else only the last one. */
  returnSequences?: boolean;
}

/**
 * Feeds `xs` to `cell.call` one time step at a time and collects the outputs. The
 * cell's hidden states must exist (`initState(batchSize)`); they carry over from call
 * to call, as in BrainState.
 *
 * @example
 * ```ts
 * const lstm = new bst.nn.LSTMCell(28, 64);
 * lstm.initState(32);
 * const ys = bst.nn.unrollCell(lstm, tf.zeros([32, 28, 28]));                   // [32, 28, 64]
 * const last = bst.nn.unrollCell(lstm, tf.zeros([32, 28, 28]), { returnSequences: false });   // [32, 64]
 * ```
 * @param cell - a module whose `call(x_t)` returns a tensor.
 * @param xs - the sequence, batch first unless `timeMajor`.
 * @param options - `timeMajor`, `returnSequences`.
 * @returns the outputs, in the input's layout, or the last output.
 */
export function unrollCell(cell: Module, xs: tf.Tensor, options: UnrollOptions = {}): tf.Tensor {
  const timeMajor = options.timeMajor === true;
  if (xs.rank < 2) {
    throw new BrainStateError(`unrollCell: expected a sequence of rank 2 or more ([batch, time, ...] or, with ` +
      `timeMajor, [time, batch, ...]), got shape [${xs.shape.join(',')}].`);
  }
  const perm = [1, 0, ...Array.from({ length: xs.rank - 2 }, (_, i) => i + 2)];
  const seq = timeMajor ? xs : tf.transpose(xs, perm);
  try {
    const [, ys] = scan((carry: tf.Tensor[], x: tf.Tensor): [tf.Tensor[], tf.Tensor] => [carry, cell.call(x) as tf.Tensor],
      [] as tf.Tensor[], seq);
    if (options.returnSequences === false) {
      const t = ys.shape[0];
      const last = tf.tidy(() => tf.squeeze(tf.slice(ys, [t - 1], [1]), [0]));
      ys.dispose();
      return last;
    }
    if (timeMajor) return ys;
    const out = tf.transpose(ys, [1, 0, ...Array.from({ length: ys.rank - 2 }, (_, i) => i + 2)]);
    ys.dispose();
    return out;
  } finally {
    if (seq !== xs) seq.dispose();
  }
}

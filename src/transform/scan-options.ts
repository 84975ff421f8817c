/**
 * `scan` / `forLoop` options `reverse` and `unroll` (JAX's `lax.scan` semantics), built
 * on the plain scan:
 * - `reverse`: the steps run from the last row to the first, and the ys stay aligned
 *   with the xs (y[i] is the step on x[i]). The xs are reversed on the way in and the
 *   ys on the way out.
 * - `unroll: k` (or `true`: every step): under jit the body is traced k steps at a time,
 *   so the compiled loop runs `length / k` iterations of a k-step body (fewer dispatches,
 *   and fusion across steps), plus a plain loop over the remaining `length % k` steps.
 *   It changes how the loop runs, never the result; eagerly it changes nothing.
 */
import * as tf from '@tensorflow/tfjs';
import { TraceError } from '../errors';
import { isTensor } from '../state/tree';
import { flatten, TreeDef, unflatten } from '../util/pytree';
import { leadingLength, tensorTree } from './loop-util';
import { ProgressReporter, toReporter } from './progress';
import type { LoopOptions } from './scan';
import { isTracing } from './trace';

type Scan = <C, X, Y>(fn: (carry: C, x: X) => [C, Y], init: C, xs: X, opts?: LoopOptions) => [C, Y];

/** The number of steps per unrolled body: 1 (no unrolling) up to `length`. */
function unrollSteps(unroll: LoopOptions['unroll'], length: number): number {
  if (unroll === undefined || unroll === false) return 1;
  if (unroll === true) return Math.max(length, 1);
  if (typeof unroll !== 'number' || !Number.isInteger(unroll) || unroll < 1) {
    throw new TraceError(`scan: expected unroll to be a positive integer or a boolean, got ${String(unroll)}; ` +
      'unroll: 4 traces four steps per iteration, unroll: true every step.');
  }
  return Math.min(unroll, Math.max(length, 1));
}

/** Whether `opts` asks for something the plain scan does not do itself. */
export function needsLoopOptions(opts: LoopOptions): boolean {
  if (opts.reverse !== undefined && typeof opts.reverse !== 'boolean') {
    throw new TraceError(`scan: expected reverse to be a boolean, got ${String(opts.reverse)}.`);
  }
  return opts.reverse === true || (opts.unroll !== undefined && opts.unroll !== false && opts.unroll !== 1);
}

/**
 * Each leaf reversed along its leading axis (itself when that has one row or none). Bool
 * leaves go through int32: tfjs-wasm's Reverse treats bool as 4-byte elements and corrupts
 * its heap (docs/sharp-bits.md).
 */
function reversed(leaves: readonly tf.Tensor[]): tf.Tensor[] {
  return leaves.map((t) => {
    if (t.shape[0] <= 1) return t;
    if (t.dtype === 'bool') return tf.tidy(() => tf.notEqual(tf.reverse(tf.cast(t, 'int32'), 0), 0));
    return tf.reverse(t, 0);
  });
}

/** `scan` with `reverse` / `unroll`; `plain` is the scan that does neither. */
export function scanWithOptions<C, X, Y>(plain: Scan, fn: (carry: C, x: X) => [C, Y], init: C, xs: X,
  opts: LoopOptions): [C, Y] {
  const { reverse, unroll, ...rest } = opts;
  const [xLeaves, xDef] = tensorTree(xs, 'scan: xs');
  const length = leadingLength(xLeaves, 'scan', opts.length);
  const k = unrollSteps(unroll, length);
  if (reverse === true) {
    // Eagerly the reversed copies are ours to free (under jit the trace's scope frees them).
    const eager = !isTracing();
    const revX = reversed(xLeaves);
    let carry: C;
    let ys: Y;
    try {
      [carry, ys] = scanWithOptions(plain, fn, init, unflatten(xDef, revX) as X, { ...rest, unroll });
    } finally {
      if (eager) revX.forEach((t, i) => { if (t !== xLeaves[i]) t.dispose(); });
    }
    const [yLeaves, yDef] = flatten(ys, isTensor);
    const revY = reversed(yLeaves as tf.Tensor[]);
    if (eager) revY.forEach((t, i) => { if (t !== yLeaves[i]) (yLeaves[i] as tf.Tensor).dispose(); });
    return [carry, unflatten(yDef, revY) as Y];
  }
  if (k <= 1 || !isTracing() || length === 0) return plain(fn, init, xs, rest);
  return unrolledScan(plain, fn, init, xLeaves, xDef, length, k, toReporter(rest.pbar));
}

function unrolledScan<C, X, Y>(plain: Scan, fn: (carry: C, x: X) => [C, Y], init: C, xLeaves: tf.Tensor[], xDef: TreeDef,
  length: number, k: number, reporter: ProgressReporter | undefined): [C, Y] {
  const m = Math.floor(length / k);
  const r = length - m * k;
  // Column j of the blocks (rows j, j + k, ...) as xs of their own, split once outside the
  // loop: the body reads its k rows straight from the loop (no slicing per step), so it is
  // k copies of the step that the compiler can fuse across.
  const columns = xLeaves.map((x) => {
    if (m === 0) return [];
    const rest = x.shape.slice(1);
    const blocks = tf.reshape(tf.slice(x, 0, m * k), [m, k, ...rest]);
    // [k, m, ...] then contiguous slices (a strided unstack is slow on the cpu backend).
    return tf.unstack(blocks, 1);
  });
  const nX = xLeaves.length;
  let yDef: TreeDef | undefined;
  let nY = 0;
  const body = (carry: C, rows: tf.Tensor[]): [C, tf.Tensor[]] => {
    const ys: tf.Tensor[] = [];
    let c = carry;
    for (let j = 0; j < k; j++) {
      const [next, y] = fn(c, unflatten(xDef, Array.from({ length: nX }, (_, p) => rows[j * nX + p])) as X);
      c = next;
      const [leaves, def] = flatten(y, isTensor);
      yDef = def;
      nY = leaves.length;
      ys.push(...(leaves as tf.Tensor[]));
    }
    return [c, ys];
  };
  const at = (offset: number, scale: number): ProgressReporter | undefined => (reporter === undefined ? undefined : {
    every: Math.max(1, Math.round((reporter.every ?? 1) / scale)),
    tick: (step: number) => reporter.tick(offset + step * scale, length),
  });
  const xsByStep = Array.from({ length: k }, (_, j) => columns.map((col) => col[j])).flat();
  const [mid, stacked] = plain(body, init, xsByStep, { length: m, pbar: at(0, k) });
  // stacked[j * nY + q]: y leaf q of step j of every block, [m, ...]; interleave back to [m * k, ...].
  const main = Array.from({ length: nY }, (_, q) => {
    const parts = Array.from({ length: k }, (_, j) => stacked[j * nY + q]);
    const rest = parts[0].shape.slice(1);
    return tf.reshape(tf.stack(parts, 1), [m * k, ...rest]);
  });
  if (r === 0) return [mid, (yDef === undefined ? undefined : unflatten(yDef, main)) as Y];
  const tail = xLeaves.map((x) => tf.slice(x, m * k, r));
  const [carry, tailYs] = plain(fn, mid, unflatten(xDef, tail) as X, { length: r, pbar: at(m * k, 1) });
  const [tailLeaves] = flatten(tailYs, isTensor);
  const ys = main.map((t, q) => tf.concat([t, tailLeaves[q] as tf.Tensor]));
  return [carry, (yDef === undefined ? undefined : unflatten(yDef, ys)) as Y];
}

/**
 * `transform.checkpointedScan` and `transform.checkpointedForLoop` (BrainState's
 * `checkpointed_scan` / `checkpointed_for_loop`): loops whose gradient keeps a bounded
 * number of carries instead of every step's intermediates.
 *
 * The steps are split into nested blocks of `base` steps (BrainState's `base`, default 16):
 * `n` steps are `floor(n / B)` blocks of `B` steps, B the largest power of `base` below `n`,
 * plus the remaining steps, and each block is again split the same way down to `base`
 * steps. The backward pass keeps one carry per block at each level and recomputes a block
 * from its carry when it needs it, so the memory of a gradient grows as `base` carries per
 * level (`log_base(n)` levels) rather than with `n`; each level costs one more forward pass.
 * `base: Math.ceil(Math.sqrt(n))` gives the classic two-level scheme (memory ~ 2·sqrt(n)).
 *
 * - Under jit the blocks are nested `scan` nodes: a gradient through a traced scan already
 *   recomputes its body from the stacked carries (scan-grad.ts), so nesting is checkpointing.
 * - Eagerly under a gradient tape each block is one checkpointed custom op
 *   (checkpoint-call.ts). Without a gradient the loop is a plain `scan`.
 * Results are those of `scan` / `forLoop`, bit for bit (the same steps run in the same order).
 */
import * as tf from '@tensorflow/tfjs';
import { isTapeOn } from '../backend/tfjs-engine';
import { TraceError } from '../errors';
import { isPlainObject, isTensor } from '../state/tree';
import { flatten, TreeDef, unflatten } from '../util/pytree';
import { checkpointCall } from './checkpoint-call';
import { leadingLength, rowOf, tensorTree } from './loop-util';
import { ProgressReporter, toReporter } from './progress';
import { scan } from './scan';
import { isTracing } from './trace';

/** Options of {@link checkpointedScan} and {@link checkpointedForLoop} (BrainState's names). */
export interface CheckpointedLoopOptions {
  /** The number of steps, when there are no xs to loop over. */
  length?: number;
  /** Steps per block at each level of nesting (an integer >= 2; BrainState's default 16). */
  base?: number;
  /** A progress bar: a reporter, or a number of steps per tick (ticks at block ends). */
  pbar?: ProgressReporter | number;
}

const OPTION_KEYS = ['length', 'base', 'pbar'];

function checkBase(base: unknown): number {
  if (typeof base !== 'number' || !Number.isInteger(base) || base < 2) {
    throw new TraceError(`checkpointedScan: expected base to be an integer >= 2, got ${String(base)}; ` +
      'base is the number of steps per block at each level (BrainState\'s default is 16).');
  }
  return base;
}

/** The block size of a level over `n > base` steps: the largest power of `base` below `n`. */
function blockSize(n: number, base: number): number {
  let b = 1;
  while (b * base < n) b *= base;
  return b;
}

type Step<C, X, Y> = (carry: C, x: X) => [C, Y];

/** Each leaf of `ys` (stacked along axis 0) joined with its partner in `more`. */
function joinYs(parts: readonly unknown[]): unknown {
  const flat = parts.map((p) => flatten(p, isTensor));
  const def = flat[0][1];
  const n = flat[0][0].length;
  const leaves = Array.from({ length: n }, (_, q) => {
    const list = flat.map(([l]) => l[q] as tf.Tensor);
    return list.length === 1 ? list[0] : tf.concat(list, 0);
  });
  return unflatten(def, leaves);
}

/** Leaves `[m * B, ...]` as `[m, B, ...]` (the first `m * B` rows). */
function blocksOf(xs: readonly tf.Tensor[], m: number, b: number): tf.Tensor[] {
  return xs.map((x) => tf.reshape(m * b === x.shape[0] ? x : tf.slice(x, 0, m * b), [m, b, ...x.shape.slice(1)]));
}

/** Ys `[m, B, ...]` back to `[m * B, ...]`. */
function unblock(ys: unknown): unknown {
  const [leaves, def] = flatten(ys, isTensor);
  return unflatten(def, (leaves as tf.Tensor[]).map((t) => tf.reshape(t, [t.shape[0] * t.shape[1]!, ...t.shape.slice(2)])));
}

/** Runs `block(carry, xs)` as one checkpointed op on the eager tape, with tree plumbing. */
function checkpointed<C, Y>(block: (c: C, xs: tf.Tensor[]) => [C, Y], carry: C, xs: readonly tf.Tensor[]): [C, Y] {
  const [cLeaves, cDef] = tensorTree(carry, 'checkpointedScan: carry');
  let yDef: TreeDef | undefined;
  const nC = cLeaves.length;
  const out = checkpointCall((args) => {
    const [c, y] = block(unflatten(cDef, args.slice(0, nC)) as C, args.slice(nC));
    const [nl] = flatten(c, isTensor);
    const [yl, yd] = flatten(y, isTensor);
    yDef = yd;
    return [...(nl as tf.Tensor[]), ...(yl as tf.Tensor[])];
  }, [...cLeaves, ...xs]);
  return [unflatten(cDef, out.slice(0, nC)) as C, unflatten(yDef!, out.slice(nC)) as Y];
}

function nested<C, X, Y>(fn: Step<C, X, Y>, init: C, xs: readonly tf.Tensor[], xDef: TreeDef, n: number, base: number,
  tick?: (done: number) => void, offset = 0): [C, Y] {
  const traced = isTracing();
  if (n <= base || (!traced && !isTapeOn())) {
    // The scan reports its last step itself, so a traced program reports it at every run (and
    // a trace whose results are discarded does not).
    const r = scan(fn, init, unflatten(xDef, [...xs]) as X, { length: n,
      pbar: tick === undefined || n === 0 ? undefined : { every: n, tick: () => tick(offset + n) } });
    if (n === 0) tick?.(offset);
    return r;
  }
  const b = blockSize(n, base);
  const m = Math.floor(n / b);
  const rest = n - m * b;
  const inner = (c: C, rows: tf.Tensor[]): [C, Y] => nested(fn, c, rows, xDef, b, base);
  let carry: C;
  let ys: unknown;
  const heads = blocksOf(xs, m, b);
  if (traced) {
    [carry, ys] = scan(inner, init, heads, { length: m, pbar: tick === undefined ? undefined : {
      every: 1, tick: (s: number) => tick(offset + s * b),
    } });
    ys = unblock(ys);
  } else {
    carry = init;
    const parts: unknown[] = [];
    for (let i = 0; i < m; i++) {
      const [c, y] = checkpointed(inner, carry, heads.map((h) => rowOf(h, i)));
      carry = c;
      parts.push(y);
      tick?.(offset + (i + 1) * b);
    }
    ys = joinYs(parts);
  }
  if (rest > 0) {
    const tail = xs.map((x) => tf.slice(x, m * b, rest));
    const [c, y] = traced ? nested(fn, carry, tail, xDef, rest, base, tick, offset + m * b)
      : checkpointed((c0: C, t: tf.Tensor[]) => nested(fn, c0, t, xDef, rest, base), carry, tail);
    carry = c;
    ys = joinYs([ys, y]);
    if (!traced) tick?.(offset + n);
  }
  return [carry, ys as Y];
}

/**
 * `scan` whose gradient recomputes blocks of steps instead of keeping every step
 * (BrainState's `checkpointed_scan`; JAX's `checkpoint` on nested scans). Same results as
 * {@link scan}; the memory a gradient keeps grows as `base` carries per level of nesting
 * (`log_base(steps)` levels) instead of with the number of steps; each level costs one more
 * forward pass in the backward. Needs at least one step (as BrainState).
 *
 * @param fn - `fn(carry, x) → [carry, y]`, as for {@link scan}.
 * @param init - the initial carry.
 * @param xs - the values to loop over (leading axis), or `undefined` with `{ length }`.
 * @param opts - `base` (steps per block, default 16), `length`, `pbar`.
 * @returns the final carry and the stacked ys.
 * @throws TraceError for zero steps, a bad `base`, or the errors of {@link scan}.
 * @example
 * ```ts
 * const w = new bst.ParamState(tf.scalar(0.5));
 * const loss = () => {
 *   const [v] = bst.transform.checkpointedScan(
 *     (v: tf.Tensor, x: tf.Tensor) => [tf.add(tf.mul(v, w.value), x), undefined],
 *     tf.scalar(0), tf.ones([100]), { base: 10 });
 *   return v as tf.Scalar;
 * };
 * const g = bst.transform.grad(loss, { gradStates: w })();   // as with scan, keeping ~20 carries
 * ```
 * @see checkpointedForLoop
 */
export function checkpointedScan<C, X, Y>(fn: (carry: C, x: X) => [C, Y], init: C, xs: X,
  opts: CheckpointedLoopOptions = {}): [C, Y] {
  const base = checkBase(opts.base ?? 16);
  const [xLeaves, xDef] = tensorTree(xs, 'checkpointedScan: xs');
  const n = leadingLength(xLeaves, 'checkpointedScan', opts.length);
  if (n < 1) {
    throw new TraceError(`checkpointedScan: expected at least one step, got length ${n}; use scan for zero-length ` +
      'loops (as BrainState\'s checkpointed_scan).');
  }
  const reporter = toReporter(opts.pbar);
  const every = reporter?.every ?? 1;
  let last = 0;
  const tick = reporter === undefined ? undefined : (done: number): void => {
    if (done - last >= every || done === n) {
      last = done;
      reporter.tick(done, n);
    }
  };
  return nested(fn, init, xLeaves, xDef, n, base, tick);
}

function isOptions(x: unknown): x is CheckpointedLoopOptions {
  return isPlainObject(x) && Object.keys(x).length > 0 && Object.keys(x).every((k) => OPTION_KEYS.includes(k)) &&
    !Object.values(x).some(isTensor);
}

/**
 * `forLoop` with gradient checkpointing (BrainState's `checkpointed_for_loop`): runs `fn`
 * once per row of `xs` and stacks what it returns; states written inside are carried. A
 * last argument of options (`{ base, length, pbar }`) is taken as such. See
 * {@link checkpointedScan} for the memory and the cost.
 *
 * @example
 * ```ts
 * const v = new bst.HiddenState(tf.scalar(0));
 * const w = new bst.ParamState(tf.scalar(0.9));
 * const loss = (xs: tf.Tensor) => {
 *   v.value = tf.scalar(0);
 *   const trace = bst.transform.checkpointedForLoop((x: tf.Tensor) => {
 *     v.value = tf.add(tf.mul(v.value, w.value), x);
 *     return v.value;
 *   }, xs, { base: 8 });
 *   return tf.sum(trace as tf.Tensor) as tf.Scalar;
 * };
 * const gw = bst.transform.grad(loss, { gradStates: w })(tf.ones([64]));
 * ```
 * @see checkpointedScan
 */
export function checkpointedForLoop<Y>(fn: (...xs: tf.Tensor[]) => Y, ...xsAndOptions: (tf.Tensor | CheckpointedLoopOptions | unknown)[]): Y {
  const last = xsAndOptions[xsAndOptions.length - 1];
  const opts = isOptions(last) ? last : {};
  const xs = isOptions(last) ? xsAndOptions.slice(0, -1) : xsAndOptions;
  const [, ys] = checkpointedScan((carry: never[], x: unknown[]) => [carry, fn(...(x as tf.Tensor[]))], [] as never[], xs, opts);
  return ys;
}

/**
 * `expectTensorClose` and the error every helper of `brainstate-ts/testing` throws.
 * No assertion library is needed at run time: failures are {@link AssertionError}s,
 * which mocha, jest and node:test all report as failed assertions.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../src/errors';
import { isTensor } from '../src/state/tree';

/**
 * A failed assertion of `brainstate-ts/testing`. Its `name` is `'AssertionError'`, as
 * test runners expect, and it is a `BrainStateError` like every error the library throws.
 *
 * @example
 * ```ts
 * try { expectTensorClose(tf.scalar(1), 2); } catch (e) { console.log(e instanceof AssertionError); }   // true
 * ```
 */
export class AssertionError extends BrainStateError {
  /** Test runners show a diff only when this is true; the message already says what differs. */
  readonly showDiff = false;
}

/**
 * Options of {@link expectTensorClose}: the test is `|actual - expected| <= atol + rtol * |expected|`.
 *
 * @example
 * ```ts
 * const loose: CloseOptions = { rtol: 1e-3, atol: 1e-4, message: 'loss after 10 steps' };
 * expectTensorClose(loss, 0.25, loose);
 * ```
 */
export interface CloseOptions {
  /** Relative tolerance (default `1e-5`, float32's few last bits). */
  rtol?: number;
  /** Absolute tolerance (default `1e-6`, so values near zero compare sensibly in float32). */
  atol?: number;
  /** Whether NaN equals NaN (default `true`). */
  equalNan?: boolean;
  /** Whether the dtypes must match when `expected` is a tensor (default `true`). */
  checkDtype?: boolean;
  /** Prefix for the failure message, to say which value this is. */
  message?: string;
}

/** At most this many differing elements are listed in a failure. */
const MAX_LISTED = 5;

/** `[1, 2]`: the multi-index of flat position `i` in `shape`. */
function indexOf(i: number, shape: readonly number[]): string {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(i % shape[d]);
    i = Math.floor(i / shape[d]);
  }
  return `[${idx.join(', ')}]`;
}

function fmt(x: number): string {
  return Number.isInteger(x) || !Number.isFinite(x) ? String(x) : x.toPrecision(8).replace(/\.?0+$/, '');
}

/**
 * Asserts that `actual` has `expected`'s shape (and dtype, when `expected` is a tensor)
 * and that every element is within `atol + rtol * |expected|` (NumPy's `allclose`
 * rule). A plain number as `expected` is compared with every element. On failure it
 * throws an {@link AssertionError} listing the first differing elements by index,
 * with the largest difference.
 *
 * @example
 * ```ts
 * import { expectTensorClose } from 'brainstate-ts/testing';
 * expectTensorClose(tf.tensor([1, 2.0000001]), [1, 2]);                 // passes
 * expectTensorClose(tf.tensor([0.1, 0.2]), tf.tensor([0.1, 0.25]), { atol: 0.1 });   // passes
 * expectTensorClose(tf.ones([2, 2]), 1);                                // a number is compared with every element
 * ```
 * @param actual - the tensor under test (its values are read with `dataSync`: not inside a jit).
 * @param expected - a tensor, a (nested) array, a typed array, or a number.
 * @param options - tolerances and a message prefix.
 * @throws AssertionError when shapes, dtypes or values differ.
 * @see noLeaks
 */
export function expectTensorClose(actual: tf.Tensor, expected: tf.Tensor | tf.TensorLike, options: CloseOptions = {}): void {
  const { rtol = 1e-5, atol = 1e-6, equalNan = true, checkDtype = true } = options;
  const prefix = options.message === undefined ? 'expectTensorClose' : `expectTensorClose (${options.message})`;
  if (!isTensor(actual) || actual.isDisposed) {
    throw new AssertionError(`${prefix}: expected a live tf.Tensor as \`actual\`, but got ` +
      `${isTensor(actual) ? 'a disposed tensor' : String(actual)}; pass the tensor the code under test returned.`);
  }
  const scalarExpected = typeof expected === 'number' || typeof expected === 'boolean';
  const exp = isTensor(expected) ? expected : tf.tensor(expected as tf.TensorLike);
  try {
    if (!scalarExpected && exp.shape.join(',') !== actual.shape.join(',')) {
      throw new AssertionError(`${prefix}: expected shape [${exp.shape.join(', ')}], but got ` +
        `[${actual.shape.join(', ')}] (${actual.dtype}); check the computation's axes and broadcasting.`);
    }
    if (checkDtype && isTensor(expected) && expected.dtype !== actual.dtype) {
      throw new AssertionError(`${prefix}: expected dtype ${expected.dtype}, but got ${actual.dtype} ` +
        `(shape [${actual.shape.join(', ')}]); cast one of them, or pass { checkDtype: false }.`);
    }
    const a = actual.dataSync();
    const b = exp.dataSync();
    const bad: string[] = [];
    let count = 0;
    let worst = -1;
    let worstDiff = -Infinity;
    for (let i = 0; i < a.length; i++) {
      const x = Number(a[i]);
      const y = Number(b[scalarExpected ? 0 : i]);
      const bothNan = Number.isNaN(x) && Number.isNaN(y);
      // Infinities match only themselves (the tolerance would be infinite too).
      const ok = bothNan ? equalNan
        : x === y || (Number.isFinite(x) && Number.isFinite(y) && Math.abs(x - y) <= atol + rtol * Math.abs(y));
      if (ok) continue;
      count++;
      const diff = Math.abs(x - y);
      if (!(diff <= worstDiff)) { worstDiff = diff; worst = i; }
      if (bad.length < MAX_LISTED) {
        bad.push(`  at ${indexOf(i, actual.shape)}: got ${fmt(x)}, expected ${fmt(y)} ` +
          `(|diff| ${fmt(diff)} > ${fmt(atol + rtol * Math.abs(y))})`);
      }
    }
    if (count === 0) return;
    throw new AssertionError(`${prefix}: expected every element within atol=${atol} + rtol=${rtol}·|expected|, ` +
      `but ${count} of ${a.length} elements differ (shape [${actual.shape.join(', ')}] ${actual.dtype}):\n` +
      `${bad.join('\n')}${count > MAX_LISTED ? `\n  ... and ${count - MAX_LISTED} more` : ''}\n` +
      `  largest |diff| ${fmt(worstDiff)} at ${indexOf(worst, actual.shape)}. If the difference is rounding, ` +
      'pass looser { rtol, atol }; otherwise the values are wrong.');
  } finally {
    if (exp !== expected) exp.dispose();
  }
}

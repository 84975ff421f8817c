/**
 * `brainstate-ts/testing`: helpers for the test suites of code built on brainstate-ts,
 * with any runner (mocha, jest, node:test) and no assertion library at run time.
 *
 * - {@link expectTensorClose}: shapes, dtypes and values within `atol + rtol·|expected|`.
 * - {@link noLeaks}: tensor memory stays flat over repeated calls.
 * - {@link getNumTraces} / {@link assertMaxTraces}: a jitted function replays instead of retracing.
 *
 * @example
 * ```ts
 * import { expectTensorClose, noLeaks, assertMaxTraces } from 'brainstate-ts/testing';
 * const f = bst.transform.jit((x: tf.Tensor) => tf.mul(x, 2));
 * const x = tf.tensor([1, 2]);
 * const y = noLeaks(() => f(x));
 * expectTensorClose(y, [2, 4]);
 * assertMaxTraces(f, 1);
 * ```
 * @module brainstate-ts/testing
 */
import '../src/side-effects';

export { expectTensorClose, AssertionError } from './assert';
export type { CloseOptions } from './assert';
export { noLeaks, getNumTraces, assertMaxTraces } from './guards';
export type { NoLeaksOptions } from './guards';

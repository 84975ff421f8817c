/**
 * Guards for a test suite: `noLeaks` (tensor memory stays flat over repeated calls) and
 * trace-count assertions for jitted functions (`getNumTraces`, `assertMaxTraces`).
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../src/errors';
import { holderCount } from '../src/state/state';
import { isTensor } from '../src/state/tree';
import type { AnyFunction, JittedFunction } from '../src/transform/jit';
import { flatten } from '../src/util/pytree';
import { AssertionError } from './assert';

/**
 * Options of {@link noLeaks}.
 *
 * @example
 * ```ts
 * noLeaks(() => model.step(x), { times: 10, warmup: 2, name: 'model.step' });
 * ```
 */
export interface NoLeaksOptions {
  /** Calls that are measured (default 3, at least 2). */
  times?: number;
  /** Calls made first and not measured, so one-time work (a jit's first trace) is not a leak (default 1). */
  warmup?: number;
  /** A name for the failure message (defaults to the function's name). */
  name?: string;
}

/** Disposes the tensors of a result that no state holds (results the caller owns). */
function disposeResult(result: unknown): void {
  const [leaves] = flatten(result, isTensor);
  for (const t of leaves) if (isTensor(t) && !t.isDisposed && holderCount(t) === 0) t.dispose();
}

/**
 * Runs `fn` `warmup + times` times and asserts that tfjs memory stays flat: after each
 * measured call (its result still alive) `tf.memory().numTensors` and `numBytes` must
 * be the same. Each result but the last is disposed after it is measured (tensors that
 * a state holds are left alone), and the last is returned.
 *
 * @example
 * ```ts
 * import { noLeaks } from 'brainstate-ts/testing';
 * const step = bst.transform.jit((x: tf.Tensor) => tf.mul(x, 2));
 * const x = tf.ones([3]);
 * const y = noLeaks(() => step(x));                   // passes; y is the last result (the others were disposed)
 * noLeaks(() => { step(x); return step(x); });        // throws: each call leaves one product behind
 * ```
 * @param fn - the code under test; it gets the call number (warm-up calls included).
 * @param options - `times`, `warmup`, `name`.
 * @returns the last call's result.
 * @throws AssertionError naming the function and how much memory grew per call.
 * @see expectTensorClose
 */
export function noLeaks<R>(fn: (call: number) => R, options: NoLeaksOptions = {}): R {
  const { times = 3, warmup = 1 } = options;
  const name = options.name ?? (fn.name || 'the function');
  if (!Number.isInteger(times) || times < 2 || !Number.isInteger(warmup) || warmup < 0) {
    throw new BrainStateError(`noLeaks(${name}): expected an integer times >= 2 and warmup >= 0, got times=${times}, ` +
      `warmup=${warmup}; flat memory needs at least two measured calls to compare.`);
  }
  const counts: number[] = [];
  const bytes: number[] = [];
  let result!: R;
  for (let i = 0; i < warmup + times; i++) {
    if (i > 0) disposeResult(result);
    result = fn(i);
    if (result instanceof Promise) {
      throw new BrainStateError(`noLeaks(${name}): expected a synchronous function, but it returned a Promise; ` +
        'await the work inside a synchronous wrapper, or measure tf.memory() around the awaited calls yourself.');
    }
    if (i >= warmup) {
      const m = tf.memory();
      counts.push(m.numTensors);
      bytes.push(m.numBytes);
    }
  }
  const grewT = counts[counts.length - 1] - counts[0];
  const grewB = bytes[bytes.length - 1] - bytes[0];
  const flat = counts.every((c) => c === counts[0]) && bytes.every((b) => b === bytes[0]);
  if (!flat) {
    const per = (d: number): string => `${d >= 0 ? '+' : ''}${d}`;
    throw new AssertionError(`noLeaks(${name}): expected tf.memory() to stay flat over ${times} calls (after ` +
      `${warmup} warm-up), but numTensors went ${counts.join(' → ')} (${per(grewT)}) and numBytes ` +
      `${bytes.join(' → ')} (${per(grewB)}). Wrap eager intermediates in tf.tidy, dispose tensors you create, and ` +
      'return only what the caller owns.');
  }
  return result;
}

/** The JittedFunction behind `fn`, or a BrainStateError saying what was passed instead. */
function asJitted(fnName: string, fn: unknown): JittedFunction<AnyFunction> {
  const j = fn as Partial<JittedFunction<AnyFunction>> | undefined;
  if (typeof fn !== 'function' || typeof j?.traceCount !== 'number' || typeof j.clearCache !== 'function') {
    const got = typeof fn === 'function' ? `the plain function ${fn.name || '(anonymous)'}` : String(fn);
    throw new BrainStateError(`${fnName}: expected a jitted function (transform.jit(...) or a @jit method), but ` +
      `got ${got}; jit it first.`);
  }
  return fn as JittedFunction<AnyFunction>;
}

/**
 * How many times a jitted function has been traced so far (`compile` and `lower`
 * included; never reset, not even by `clearCache`).
 *
 * @example
 * ```ts
 * import { getNumTraces } from 'brainstate-ts/testing';
 * const f = bst.transform.jit((x: tf.Tensor) => tf.add(x, 1));
 * f(tf.ones([2])); f(tf.ones([2])); f(tf.ones([3]));
 * getNumTraces(f);   // 2: one per new shape
 * ```
 * @param fn - a `transform.jit` result or a `@jit` method (`model.step`).
 * @returns the trace count.
 * @throws BrainStateError when `fn` is not jitted.
 * @see assertMaxTraces
 */
export function getNumTraces(fn: AnyFunction): number {
  return asJitted('getNumTraces', fn).traceCount;
}

/**
 * Asserts that a jitted function has been traced at most `n` times: calls with the same
 * shapes, dtypes and static arguments must replay, not retrace (Equinox's
 * `assert_max_traces`). The failure names the function and its trace and cache counts.
 *
 * @example
 * ```ts
 * import { assertMaxTraces } from 'brainstate-ts/testing';
 * const f = bst.transform.jit((x: tf.Tensor) => tf.add(x, 1));
 * for (let i = 0; i < 10; i++) f(tf.ones([2]));
 * assertMaxTraces(f, 1);         // passes: traced once, replayed nine times
 * assertMaxTraces(model.step, 1);
 * ```
 * @param fn - a `transform.jit` result or a `@jit` method.
 * @param n - the most traces allowed.
 * @throws AssertionError when it was traced more often.
 * @see getNumTraces
 */
export function assertMaxTraces(fn: AnyFunction, n: number): void {
  const j = asJitted('assertMaxTraces', fn);
  if (j.traceCount <= n) return;
  throw new AssertionError(`assertMaxTraces: expected ${j.name} to be traced at most ${n} time${n === 1 ? '' : 's'}, ` +
    `but it was traced ${j.traceCount} times (${j.cacheSize} program${j.cacheSize === 1 ? '' : 's'} cached now). ` +
    'A call retraces when the shapes or dtypes of its tensor arguments, the values of its static arguments, or the ' +
    'shapes of the states it reads change; numbers passed as non-static arguments do not. Compare ' +
    `${j.name}.lower(...) for two calls to see which.`);
}

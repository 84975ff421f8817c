/**
 * Shared spec helpers: tolerance checks against tfjs results, and leak checks.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { canReadSync, readHeld, readsAreAsync } from '../src/backend/tfjs-engine';
import { fusedCallCounts } from '../src/compiler/fusion/wasm-lane';
import * as backend from '../src/backend';

/**
 * Asserts `actual` has `expected`'s shape and dtype and values within `tol` (absolute + relative).
 *
 * Values that can be read synchronously are compared at once. On webgpu in Node, data on
 * the GPU cannot be (tfjs reads it through OffscreenCanvas there): the read starts now
 * (seeing the data as it is now, even if the tensors are disposed right after) and the
 * comparison runs when it arrives, before the test ends: spec/setup.ts makes every test
 * await {@link settleDeferredChecks}, so a mismatch fails the test that made it.
 */
export function expectTensorClose(actual: tf.Tensor, expected: tf.Tensor | number | number[] | number[][],
  tol = 1e-5, label = ''): void {
  const what = label === '' ? '' : `${label}: `;
  const exp = expected instanceof tf.Tensor ? expected : tf.tensor(expected as number[]);
  try {
    if (expected instanceof tf.Tensor) {
      expect(actual.shape, `${what}shape`).to.deep.equal(exp.shape);
      expect(actual.dtype, `${what}dtype`).to.equal(exp.dtype);
    } else {
      expect(actual.size, `${what}size`).to.equal(exp.size);
    }
    if (canReadSync(actual) && canReadSync(exp)) {
      compareValues(actual.dataSync(), exp.dataSync(), tol, what);
    } else {
      const where = new Error('expectTensorClose (deferred until the GPU read arrives) called here');
      deferred.push(Promise.all([readHeld(actual), readHeld(exp)]).then(([a, b]) => {
        try {
          compareValues(a, b, tol, what);
        } catch (e) {
          (e as Error).stack = `${(e as Error).message}\n${(where.stack ?? '').split('\n').slice(1).join('\n')}`;
          throw e;
        }
      }));
    }
  } finally {
    if (!(expected instanceof tf.Tensor)) exp.dispose();
  }
}

function compareValues(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  for (let i = 0; i < a.length; i++) {
    const x = Number(a[i]);
    const y = Number(b[i]);
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (!(Math.abs(x - y) <= tol + tol * Math.abs(y))) {
      throw new Error(`${what}element ${i}: got ${x}, expected ${y} (tol ${tol}); ` +
        `got [${Array.from(a).slice(0, 8).join(', ')}${a.length > 8 ? ', …' : ''}]`);
    }
  }
}

/** Comparisons waiting for GPU reads (webgpu), settled at the end of each test. */
const deferred: Promise<void>[] = [];

/** Waits for every deferred {@link expectTensorClose}; throws the first mismatch. */
export async function settleDeferredChecks(): Promise<void> {
  const checks = deferred.splice(0);
  const results = await Promise.allSettled(checks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

/** Runs `fn` `times` times and asserts that numTensors and numBytes end where they started. */
export function expectNoLeaks(fn: (i: number) => void, times = 1): void {
  const before = tf.memory();
  for (let i = 0; i < times; i++) fn(i);
  const after = tf.memory();
  expect(after.numTensors, 'numTensors').to.equal(before.numTensors);
  expect(after.numBytes, 'numBytes').to.equal(before.numBytes);
}

/** Asserts `fn` throws an error of class `cls` whose message contains every fragment. */
export function expectThrowsWith(fn: () => unknown, cls: new (...args: never[]) => Error, ...fragments: string[]): Error {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a throw').to.be.instanceOf(Error);
  expect(caught).to.be.instanceOf(cls);
  const msg = (caught as Error).message;
  for (const f of fragments) expect(msg).to.contain(f);
  return caught as Error;
}

/** Runs `fn` with console.log captured; returns its result and the lines logged. */
export async function captureLogs<R>(fn: () => Promise<R>): Promise<{ result: R; logs: string[] }> {
  const logs: string[] = [];
  const saved = console.log;
  console.log = (...a: unknown[]) => { logs.push(a.join(' ')); };
  try {
    return { result: await fn(), logs };
  } finally {
    console.log = saved;
  }
}

/**
 * Calls a jitted function the way its backend needs: through `callAsync` where reads of
 * backend data are asynchronous (webgpu: a loop or branch predicate on the GPU is awaited),
 * else the plain call, so cpu and wasm keep exercising the synchronous path.
 */
export function callJitted<A extends unknown[], R>(j: { (...args: A): R; callAsync(...args: A): Promise<R> }, ...args: A): Promise<R> {
  return readsAreAsync() ? j.callAsync(...args) : new Promise<R>((ok) => ok(j(...args))); // a throw rejects
}

/** The first element of `t`, read asynchronously (works on every backend, webgpu included). */
export async function firstValue(t: unknown): Promise<number> {
  return (await (t as tf.Tensor).data())[0] as number;
}

/** Runs async `fn` `times` times and asserts that numTensors and numBytes end where they started. */
export async function expectNoLeaksAsync(fn: (i: number) => Promise<void>, times = 1): Promise<void> {
  const before = tf.memory();
  for (let i = 0; i < times; i++) await fn(i);
  const after = tf.memory();
  expect(after.numTensors, 'numTensors').to.equal(before.numTensors);
  expect(after.numBytes, 'numBytes').to.equal(before.numBytes);
}

/** The way specs print an element: -0 as "-0" (String(-0) is "0"). */
function showElement(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v);
}

/**
 * Expects arrays of read-back values to be equal element by element with `Object.is` (NaN
 * equals NaN, -0 differs from 0), naming the first array and element that differ.
 */
export function expectSameBits(got: readonly number[][], want: readonly number[][]): void {
  expect(got.length).to.equal(want.length);
  got.forEach((g, i) => {
    expect(g.length, `array ${i}`).to.equal(want[i].length);
    const bad = g.findIndex((v, k) => !Object.is(v, want[i][k]));
    expect(bad, `array ${i} element ${bad}: ${showElement(g[bad])} vs ${showElement(want[i][bad])}`).to.equal(-1);
  });
}

/**
 * Expects `actual` to hold exactly `expected`'s dtype, length and bits per element
 * (`Object.is`: NaN equals NaN, -0 differs from 0), naming `what` and the first element
 * that differs. Reads synchronously (cpu and wasm).
 */
export function expectBitEqual(actual: tf.Tensor, expected: tf.Tensor, what: string): void {
  expect(actual.dtype, what).to.equal(expected.dtype);
  const a = actual.dataSync();
  const e = expected.dataSync();
  expect(a.length, what).to.equal(e.length);
  for (let i = 0; i < e.length; i++) {
    if (!Object.is(a[i], e[i])) expect.fail(`${what}: element ${i} is ${showElement(a[i] as number)}, eagerly ${showElement(e[i] as number)}`);
  }
}

/** Runs `fn` and returns how many fused kernel calls of `kind` it made (SIMD, scalar wasm or JS). */
export function callsOf(kind: 'simd' | 'scalar' | 'js', fn: () => void): number {
  const before = fusedCallCounts()[kind];
  fn();
  return fusedCallCounts()[kind] - before;
}

/**
 * A mocha `before` hook for a describe block that runs only on the webgpu backend: elsewhere it
 * prints why (`what` names the specs) and skips the block, visibly.
 */
export function runOnlyInWebgpuSuite(what: string): void {
  before(function () {
    if (backend.name() !== 'webgpu') {
      console.log(`      ${what} run in the webgpu suite; this run is on ${backend.name()}`);
      this.skip();
    }
  });
}

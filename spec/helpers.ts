/**
 * Shared spec helpers: tolerance checks against tfjs results, and leak checks.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';

/** Asserts `actual` has `expected`'s shape and dtype and values within `tol` (absolute + relative). */
export function expectTensorClose(actual: tf.Tensor, expected: tf.Tensor | number | number[] | number[][],
  tol = 1e-5): void {
  const exp = expected instanceof tf.Tensor ? expected : tf.tensor(expected as number[]);
  try {
    if (expected instanceof tf.Tensor) {
      expect(actual.shape, 'shape').to.deep.equal(exp.shape);
      expect(actual.dtype, 'dtype').to.equal(exp.dtype);
    } else {
      expect(actual.size, 'size').to.equal(exp.size);
    }
    const a = actual.dataSync();
    const b = exp.dataSync();
    for (let i = 0; i < a.length; i++) {
      const x = Number(a[i]);
      const y = Number(b[i]);
      if (Number.isNaN(x) && Number.isNaN(y)) continue;
      if (!(Math.abs(x - y) <= tol + tol * Math.abs(y))) {
        throw new Error(`element ${i}: got ${x}, expected ${y} (tol ${tol}); ` +
          `got [${Array.from(a.slice(0, 8)).join(', ')}${a.length > 8 ? ', …' : ''}]`);
      }
    }
  } finally {
    if (!(expected instanceof tf.Tensor)) exp.dispose();
  }
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

/**
 * jit equals eager, op by op: every case runs eagerly, then jitted twice (the trace and
 * a replay), and both jitted results must match eager tfjs within float32 tolerance.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { expectTensorClose } from '../helpers';
import { CASES, tensorsOf } from './op-cases';

function expectSame(actual: unknown, expected: unknown, what: string): void {
  const a = tensorsOf(actual);
  const e = tensorsOf(expected);
  expect(a.length, `${what}: number of result tensors`).to.equal(e.length);
  // Reads synchronously where it can, else (webgpu in Node) when the GPU read arrives, before the test ends.
  a.forEach((t, i) => expectTensorClose(t, e[i], 1e-5, `${what}[${i}] jit vs eager`));
}

describe('jit equals eager on the op suite', () => {
  it(`has at least 40 cases (${CASES.length})`, () => {
    expect(CASES.length).to.be.at.least(40);
  });

  for (const [name, fn, inputs] of CASES) {
    it(name, () => {
      tf.tidy(() => {
        const xs = inputs();
        const eager = fn(...xs);
        const jitted = bst.transform.jit(fn, { name });
        expectSame(jitted(...xs), eager, 'trace');
        expectSame(jitted(...xs), eager, 'replay');
        // New values, same signature: the replay must follow the inputs, not the trace.
        const ys = xs.map((x) => (x.dtype === 'float32' ? tf.mul(x, 0.75) : x));
        expectSame(jitted(...ys), fn(...ys), 'replay on new inputs');
        expect(jitted.traceCount).to.equal(1);
        jitted.clearCache();
      });
    });
  }
});

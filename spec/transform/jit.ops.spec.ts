/**
 * jit equals eager, op by op: every case runs eagerly, then jitted twice (the trace and
 * a replay), and both jitted results must match eager tfjs within float32 tolerance.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { CASES, tensorsOf } from './op-cases';

function expectSame(actual: unknown, expected: unknown, what: string): void {
  const a = tensorsOf(actual);
  const e = tensorsOf(expected);
  expect(a.length, `${what}: number of result tensors`).to.equal(e.length);
  a.forEach((t, i) => {
    expect(t.shape, `${what}[${i}] shape`).to.deep.equal(e[i].shape);
    expect(t.dtype, `${what}[${i}] dtype`).to.equal(e[i].dtype);
    const x = t.dataSync();
    const y = e[i].dataSync();
    for (let k = 0; k < x.length; k++) {
      const d = Math.abs(Number(x[k]) - Number(y[k]));
      if (!(d <= 1e-5 + 1e-5 * Math.abs(Number(y[k])))) {
        expect.fail(`${what}[${i}] element ${k}: jit ${x[k]} vs eager ${y[k]}`);
      }
    }
  });
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

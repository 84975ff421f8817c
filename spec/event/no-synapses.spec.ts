/**
 * A connection with no synapses (a probability too small for any): the event-driven
 * product and its gradients are those of a product with a zero matrix (tfjs computes the
 * reference), on every backend. On webgpu the CSR programs bind no empty buffer: WebGPU
 * rejects a binding of size zero, and the invalid command buffer would drop every program
 * batched with it (Dawn printed "Binding size ... is zero"), so the spec also checks that
 * the device reports no validation error.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { gpuIdle } from '../../src/backend/webgpu/webgpu-engine';

const { event } = bst;

interface ErrorScopes {
  pushErrorScope(filter: 'validation'): void;
  popErrorScope(): Promise<{ message: string } | null>;
}

/** Runs `fn`, and on webgpu returns the first validation error the device reported meanwhile (else null). */
async function validationErrorOf(fn: () => Promise<void>): Promise<string | null> {
  if (bst.backend.name() !== 'webgpu') {
    await fn();
    return null;
  }
  const device = (tf.backend() as unknown as { device: ErrorScopes }).device;
  device.pushErrorScope('validation');
  let error: { message: string } | null = null;
  try {
    await fn();
    await gpuIdle(tf.backend());
  } finally {
    error = await device.popErrorScope();
  }
  return error === null ? null : error.message;
}

/** Equal bit for bit (the sign of zero included), read asynchronously. */
async function expectSameBits(got: tf.Tensor, want: tf.Tensor, what: string): Promise<void> {
  expect(got.shape, `${what}: shape`).to.deep.equal(want.shape);
  const [g, w] = [await got.data(), await want.data()];
  for (let i = 0; i < w.length; i++) {
    if (!Object.is(g[i], w[i])) expect.fail(`${what}: element ${i} is ${g[i]}, the zero-matrix product gives ${w[i]}`);
  }
}

describe('event: a connection with no synapses', () => {
  for (const weights of ['homogeneous', 'per synapse'] as const) {
    it(`${weights} weight: the product and its gradients are those of a zero matrix, with no GPU validation error`, async () => {
      const conn = new event.FixedProb(30, 20, 0.01, weights === 'homogeneous' ? 1.5 : new bst.nn.init.Normal(0, 1), { seed: 9 });
      expect(conn.nnz).to.equal(0);
      const s = tf.tensor2d(Array.from({ length: 2 * 30 }, (_, k) => (k % 3 === 0 ? 1 : k % 3 === 1 ? 0 : -0.5)), [2, 30]);
      const c = tf.tensor2d(Array.from({ length: 2 * 20 }, (_, k) => Math.sin(k)), [2, 20]);
      const w = conn.weight.value;
      const zero = tf.zeros([30, 20]);
      const loss = (y: tf.Tensor) => tf.sum(tf.mul(y, c)) as tf.Scalar;
      const got: tf.Tensor[] = [];
      const want: tf.Tensor[] = [];
      const error = await validationErrorOf(async () => {
        got.push(event.eventCsrMatVec(s, conn.layout, w, 'spec'));
        got.push(...tf.grads((ss: tf.Tensor, ww: tf.Tensor) => loss(event.eventCsrMatVec(ss, conn.layout, ww, 'spec')))([s, w]));
        await Promise.all(got.map((t) => t.data()));
      });
      // The reference: the dense product s W with W = 0 (a homogeneous weight scales it).
      const dense = (ss: tf.Tensor, ww: tf.Tensor) => (weights === 'homogeneous' ? tf.mul(tf.matMul(ss, zero), ww) : tf.matMul(ss, zero));
      want.push(dense(s, w));
      if (weights === 'homogeneous') want.push(...tf.grads((ss: tf.Tensor, ww: tf.Tensor) => loss(dense(ss, ww)))([s, w]));
      else want.push(tf.grad((ss: tf.Tensor) => loss(dense(ss, w)))(s), tf.zeros([0])); // no synapse, no weight gradient
      await expectSameBits(got[0], want[0], 'product');
      await expectSameBits(got[1], want[1], 'gradient of the spikes');
      await expectSameBits(got[2], want[2], 'gradient of the weight');
      expect(error, 'GPU validation error').to.equal(null);
      tf.dispose([s, c, zero, ...got, ...want]);
    });
  }
});

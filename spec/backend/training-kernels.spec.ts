/**
 * The training kernels brainstate-ts registers (src/backend/training-kernels): every
 * gradient of tfjs's conv, pooling and gather ops, on the backend under test, against
 * central finite differences of the forward op along a random direction. Before those
 * kernels, on tfjs 4.22: tfjs-wasm had no Conv2DBackpropFilter or UnsortedSegmentSum,
 * its Conv3DBackprop*, MaxPool3D (negative windows) and MaxPoolGrad (overlapping windows)
 * were wrong, and so was tfjs-cpu's MaxPool3DGrad. (tfjs's `'same'` average-pooling gradient is wrong on both;
 * nn.AvgPool* avoids it, see spec/nn/pooling.spec.ts.)
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { TRAINING_KERNELS } from '../../src/backend/training-kernels';
import { expectNoLeaks } from '../helpers';

const rand = (shape: number[], seed: number): tf.Tensor => tf.randomNormal(shape, 0, 1, 'float32', seed);

/**
 * d/dε sum(f(x + ε·dir) · dy) at 0: analytic (tf.grad) and by central differences. Read
 * with await (webgpu in Node cannot read GPU data synchronously).
 */
async function directional(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor): Promise<{ analytic: number; fd: number }> {
  const e = 1e-2;
  const [g, plus, minus] = tf.tidy(() => {
    const dy = rand(f(x).shape, 9);
    const dir = rand(x.shape, 5);
    const loss = (t: tf.Tensor): tf.Scalar => tf.sum(tf.mul(f(t), dy));
    return [tf.sum(tf.mul(tf.grad(loss)(x), dir)), loss(tf.add(x, tf.mul(dir, e))), loss(tf.sub(x, tf.mul(dir, e)))];
  });
  const [analytic, p, m] = await Promise.all([g, plus, minus].map(async (t) => (await t.data())[0]));
  tf.dispose([g, plus, minus]);
  return { analytic, fd: (p - m) / (2 * e) };
}

async function expectGradient(name: string, f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor): Promise<void> {
  const { analytic, fd } = await directional(f, x);
  expect(Math.abs(analytic - fd), `${name}: gradient ${analytic}, finite difference ${fd}`)
    .to.be.lessThan(5e-3 * (1 + Math.abs(fd)));
}

describe(`training kernels (backend ${tf.getBackend()})`, () => {
  it('are registered for the backends that need them, each with a reason', () => {
    for (const k of TRAINING_KERNELS) {
      expect(tf.getKernel(k.kernelName, k.backendName), `${k.kernelName} on ${k.backendName}`).to.not.equal(undefined);
      expect(k.why.length).to.be.greaterThan(10);
    }
  });

  for (const s of [1, 2]) {
    for (const pad of ['same', 'valid'] as const) {
      it(`conv2d / conv3d / conv2dTranspose gradients, stride ${s}, ${pad}`, async () => {
        const x4 = rand([2, 7, 6, 3], 1);
        const w4 = rand([3, 2, 3, 4], 3);
        await expectGradient('conv2d dx', (a) => tf.conv2d(a as tf.Tensor4D, w4 as tf.Tensor4D, s, pad), x4);
        await expectGradient('conv2d dw', (w) => tf.conv2d(x4 as tf.Tensor4D, w as tf.Tensor4D, s, pad), w4);
        const x5 = rand([2, 5, 4, 6, 2], 2);
        const w5 = rand([2, 2, 3, 2, 3], 4);
        await expectGradient('conv3d dx', (a) => tf.conv3d(a as tf.Tensor5D, w5 as tf.Tensor5D, s, pad), x5);
        await expectGradient('conv3d dw', (w) => tf.conv3d(x5 as tf.Tensor5D, w as tf.Tensor5D, s, pad), w5);
        const xt = rand([2, 4, 3, 3], 7);
        const wt = rand([3, 2, 4, 3], 6);
        const os: [number, number, number, number] = pad === 'same' ? [2, 4 * s, 3 * s, 4] : [2, 3 * s + 3, 2 * s + 2, 4];
        await expectGradient('conv2dTranspose dw', (w) => tf.conv2dTranspose(xt as tf.Tensor4D, w as tf.Tensor4D, os, s, pad), wt);
        tf.dispose([x4, w4, x5, w5, xt, wt]);
      });

      it(`maxPool / maxPool3d / valid avgPool gradients, stride ${s}, ${pad}`, async () => {
        const x4 = rand([2, 7, 6, 3], 1);
        const x5 = rand([1, 5, 4, 6, 2], 2);
        await expectGradient('maxPool', (a) => tf.maxPool(a as tf.Tensor4D, [3, 2], s, pad), x4);
        await expectGradient('maxPool3d', (a) => tf.maxPool3d(a as tf.Tensor5D, [2, 3, 2], s, 'valid'), x5);
        await expectGradient('avgPool', (a) => tf.avgPool(a as tf.Tensor4D, [3, 2], s, 'valid'), x4);
        await expectGradient('avgPool3d', (a) => tf.avgPool3d(a as tf.Tensor5D, [2, 3, 2], s, 'valid'), x5);
        tf.dispose([x4, x5]);
      });
    }
  }

  it('maxPool3d of all-negative windows is their maximum, not 0', async () => {
    const x = tf.reshape(tf.neg(tf.range(1, 17)), [1, 2, 2, 4, 1]) as tf.Tensor5D;
    expect(Array.from(await tf.maxPool3d(x, [2, 2, 2], 2, 'valid').data())).to.deep.equal([-1, -3]);
    expect(Array.from(await tf.maxPool3d(x, [1, 1, 2], [1, 1, 2], 'same').data())).to.deep.equal(
      [-1, -3, -5, -7, -9, -11, -13, -15]);
  });

  it('gather (UnsortedSegmentSum) gradients, with repeated and dropped ids', async () => {
    const table = rand([5, 3, 2], 8);
    const ids = tf.tensor2d([[0, 2, 2], [4, 1, 2]], [2, 3], 'int32');
    await expectGradient('gather', (t) => tf.gather(t, ids), table);
    const seg = tf.unsortedSegmentSum(tf.tensor2d([[1, 2], [3, 4], [5, 6]]), tf.tensor1d([1, 1, 0], 'int32'), 3);
    expect(Array.from(await seg.data())).to.deep.equal([5, 6, 4, 6, 0, 0]);
    tf.dispose([table, ids, seg]);
  });

  it('leave no tensors behind', () => {
    const x = rand([4, 9, 9, 3], 1);
    const w = rand([3, 3, 3, 5], 2);
    const x5 = rand([2, 4, 4, 4, 2], 3);
    const w5 = rand([2, 2, 2, 2, 3], 4);
    expectNoLeaks(() => tf.tidy(() => {
      tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')))([x, w]);
      tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, 1, 'same')))([x5, w5]);
      tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 3, 1, 'same')))(x);
      tf.grad((a: tf.Tensor) => tf.sum(tf.gather(a, tf.tensor1d([0, 0, 1], 'int32'))))(w);
    }), 3);
    tf.dispose([x, w, x5, w5]);
  });
});

/**
 * The MLP 784-256-10 training step the webgpu bench and its profiler time: a batch
 * uploaded to the GPU, and one SGD or Adam step (gradient of the softmax cross-entropy,
 * then the optimiser's update), not yet jitted.
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from '../../src';
import { uploadToGpu } from '../../src/backend/webgpu/webgpu-engine';

/** `t`, its data uploaded to the GPU (as a result of a GPU kernel would be). */
export const onGpu = <T extends tf.Tensor>(t: T): T => { uploadToGpu(tf.backend(), t.dataId); return t; };

/** A fixed batch of `batch` inputs (784 values in [0, 1]) and one-hot labels, on the GPU. */
export function mlpGpuBatch(batch: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const x = onGpu(tf.tensor2d(Array.from({ length: batch * 784 }, (_, i) => (Math.sin(i * 0.37) + 1) / 2), [batch, 784]));
  const y = onGpu(tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 10), 'int32'), 10) as tf.Tensor2D);
  return { x, y };
}

/** A new network (random seed 0) and its training step with `optimiser`, returning the loss. */
export function mlpTrainStep(optimiser: 'sgd' | 'adam'): (xb: tf.Tensor, yb: tf.Tensor) => tf.Scalar {
  bst.random.seed(0);
  const net = new bst.nn.Sequential(new bst.nn.Linear(784, 256), new bst.nn.ReLU(), new bst.nn.Linear(256, 10));
  const params = net.states(bst.ParamState);
  const opt = optimiser === 'sgd' ? new bst.optim.SGD(0.01) : new bst.optim.Adam(0.001);
  opt.registerTrainableWeights(params);
  const loss = (xb: tf.Tensor, yb: tf.Tensor) => tf.losses.softmaxCrossEntropy(yb, net.call(xb) as tf.Tensor) as tf.Scalar;
  return (xb, yb) => {
    const [grads, value] = bst.transform.grad(loss, { gradStates: params, returnValue: true })(xb, yb);
    opt.update(grads);
    return value;
  };
}

/**
 * Normalisation, pooling and embedding layers against tfjs's own layers
 * (tf.layers.batchNormalization, layerNormalization, maxPooling*, averagePooling*,
 * embedding) with the same parameters, and their training behaviour: BatchNorm's
 * running statistics are BatchStates updated only while fitting; an Embedding trains
 * on every backend (its gradient is UnsortedSegmentSum, which tfjs-wasm lacked).
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { expectNoLeaks, expectTensorClose } from '../helpers';

const nn = bst.nn;

function applyLayer(layer: tf.layers.Layer, x: tf.Tensor, weights?: tf.Tensor[], kwargs?: Record<string, unknown>): tf.Tensor {
  layer.apply(x, kwargs);
  if (weights !== undefined) layer.setWeights(weights);
  const y = layer.apply(x, kwargs) as tf.Tensor;
  return y;
}

describe('nn: normalisation, pooling and embedding against tf.layers', () => {
  it('BatchNorm2d: batch statistics while fitting, running ones otherwise, as tf.layers.batchNormalization', () => {
    const x = tf.randomNormal([4, 5, 6, 3], 1, 2, 'float32', 1);
    const bn = new nn.BatchNorm2d([5, 6, 3], { momentum: 0.9, epsilon: 1e-3, useFastVariance: false });
    expect(bn.runningMean).to.be.instanceOf(bst.BatchState);
    const gamma = tf.tensor1d([1.5, 0.5, 2]);
    const beta = tf.tensor1d([0.1, -0.2, 0.3]);
    bn.weight!.value = { scale: tf.reshape(gamma, [1, 1, 3]), bias: tf.reshape(beta, [1, 1, 3]) };
    const ref = tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-3 });
    const yFit = bst.environ.context({ fit: true }, () => bn.call(x));
    const refFit = applyLayer(ref, x, [gamma, beta, tf.zeros([3]), tf.ones([3])], { training: true });
    expectTensorClose(yFit, refFit, 1e-5);
    // Running statistics after one fitting call: tf.layers updates its moving stats the same way.
    const [, , movingMean, movingVar] = ref.getWeights();
    expectTensorClose(tf.reshape(bn.runningMean!.value, [3]), movingMean, 1e-5);
    expectTensorClose(tf.reshape(bn.runningVar!.value, [3]), movingVar, 1e-4);
    const yEval = bst.environ.context({ fit: false }, () => bn.call(x));
    const refEval = ref.apply(x, { training: false }) as tf.Tensor;
    expectTensorClose(yEval, refEval, 1e-4);
    const before = bn.runningMean!.value;
    bst.environ.context({ fit: false }, () => bn.call(x));
    expect(bn.runningMean!.value).to.equal(before);   // not written outside fitting
    ref.dispose();
  });

  it('BatchNorm0d / 1d: jitted fitting updates the running statistics as eager does', () => {
    const mk = () => new nn.BatchNorm1d([7, 4]);
    const a = mk();
    const b = mk();
    const x = tf.randomNormal([3, 7, 4], 0, 1, 'float32', 2);
    const step = bst.transform.jit((t: tf.Tensor) => bst.environ.context({ fit: true }, () => b.call(t)));
    for (let i = 0; i < 3; i++) {
      const ya = bst.environ.context({ fit: true }, () => a.call(x));
      const yb = step(x);
      expectTensorClose(yb, ya, 1e-6);
    }
    expectTensorClose(b.runningVar!.value, a.runningVar!.value, 1e-6);
    expect(new nn.BatchNorm0d([16]).runningMean!.value.shape).to.deep.equal([16]);
    expect(() => bst.environ.context({ fit: true }, () => a.call(tf.ones([3, 7, 5])))).to.throw(bst.BrainStateError, 'shape');
  });

  it('LayerNorm equals tf.layers.layerNormalization; RMSNorm is x / rms(x) * scale', () => {
    const x = tf.randomNormal([3, 4, 10], 0, 2, 'float32', 3);
    const ln = new nn.LayerNorm([4, 10], { epsilon: 1e-3, useFastVariance: false });
    const ref = applyLayer(tf.layers.layerNormalization({ axis: -1, epsilon: 1e-3 }), x);
    expectTensorClose(ln.call(x), ref, 1e-5);
    const rms = new nn.RMSNorm([10]);
    const want = tf.tidy(() => tf.div(x, tf.sqrt(tf.add(tf.mean(tf.square(x), -1, true), 1e-6))));
    expectTensorClose(rms.call(x), want, 1e-5);
  });

  it('VALID pooling equals tf.layers.maxPooling1d/2d/3d and averagePooling2d; leading axes and channelAxis', () => {
    const x = tf.randomNormal([2, 8, 6, 3], 0, 1, 'float32', 4);
    expectTensorClose(new nn.MaxPool2d(2).call(x), applyLayer(tf.layers.maxPooling2d({ poolSize: 2 }), x));
    expectTensorClose(new nn.AvgPool2d(3, { stride: 2 }).call(x),
      applyLayer(tf.layers.averagePooling2d({ poolSize: 3, strides: 2 }), x));
    const x1 = tf.randomNormal([2, 9, 3], 0, 1, 'float32', 5);
    expectTensorClose(new nn.MaxPool1d(3).call(x1), applyLayer(tf.layers.maxPooling1d({ poolSize: 3 }), x1));
    const x3 = tf.randomNormal([1, 4, 4, 6, 2], 0, 1, 'float32', 6);
    expectTensorClose(new nn.MaxPool3d(2).call(x3), applyLayer(tf.layers.maxPooling3d({ poolSize: 2 }), x3));
    // Extra leading axes are folded into the batch; channelAxis 1 pools the last two axes.
    const lead = tf.reshape(x, [1, 2, 8, 6, 3]);
    expectTensorClose(new nn.MaxPool2d(2).call(lead), tf.reshape(new nn.MaxPool2d(2).call(x), [1, 2, 4, 3, 3]));
    const first = tf.transpose(x, [0, 3, 1, 2]);
    expectTensorClose(new nn.MaxPool2d(2, { channelAxis: 1 }).call(first), tf.transpose(new nn.MaxPool2d(2).call(x), [0, 3, 1, 2]));
    expect(new nn.MaxPool2d(2, { inSize: [8, 6, 3] }).outSize).to.deep.equal([4, 3, 3]);
  });

  it('Embedding equals tf.layers.embedding; paddingIdx rows are zero and get no gradient; maxNorm caps rows', () => {
    const emb = new nn.Embedding(6, 4);
    const table = emb.weight.value;
    const ids = tf.tensor2d([[0, 5, 2], [2, 2, 1]], [2, 3], 'int32');
    expectTensorClose(emb.call(ids), applyLayer(tf.layers.embedding({ inputDim: 6, outputDim: 4 }), ids, [table]));
    const padded = new nn.Embedding(6, 4, { paddingIdx: 2 });
    const g = bst.transform.grad(() => tf.sum(tf.square(padded.call(ids))) as tf.Scalar, { gradStates: padded.weight })() as tf.Tensor;
    expect(Array.from(tf.slice(g, [2, 0], [1, 4]).dataSync())).to.deep.equal([0, 0, 0, 0]);
    expect(tf.sum(tf.abs(tf.slice(g, [0, 0], [1, 4]))).dataSync()[0]).to.be.greaterThan(0);
    const capped = new nn.Embedding(6, 4, { maxNorm: 0.1, embeddingInit: 3 });
    expectTensorClose(tf.norm(capped.call(tf.tensor1d([1], 'int32')), 2, -1), [0.1], 1e-5);
    expect(() => emb.call(tf.tensor1d([1]))).to.throw(bst.BrainStateError, 'int32');
    expect(new nn.Embedding(6, 4, { freeze: true }).weight).to.not.be.instanceOf(bst.ParamState);
  });

  it('an embedding classifier trains under jit (the gather gradient), eager == jit, no leaks', () => {
    const make = () => {
      bst.random.seed(5);
      const net = new nn.Sequential(new nn.Embedding(10, 8), new nn.Flatten(1), new nn.Linear(24, 2));
      const opt = new bst.optim.Adam(0.05);
      opt.registerTrainableWeights(net.states(bst.ParamState));
      return { net, opt };
    };
    const ids = tf.tensor2d([[1, 2, 3], [4, 5, 6], [7, 8, 9], [1, 1, 0]], [4, 3], 'int32');
    const y = tf.oneHot(tf.tensor1d([0, 1, 1, 0], 'int32'), 2);
    const stepOf = ({ net, opt }: ReturnType<typeof make>) => (xb: tf.Tensor, yb: tf.Tensor) => {
      const params = net.states(bst.ParamState);
      const [grads, loss] = bst.transform.grad(() => tf.losses.softmaxCrossEntropy(yb, net.call(xb)) as tf.Scalar,
        { gradStates: params, returnValue: true })();
      opt.update(grads);
      return loss;
    };
    const eager = stepOf(make());
    const jitted = bst.transform.jit(stepOf(make()));
    let first = 0;
    let last = 0;
    for (let i = 0; i < 30; i++) {
      const a = tf.tidy(() => eager(ids, y));
      const b = jitted(ids, y);
      expectTensorClose(b, a, 1e-5);
      if (i === 0) first = a.dataSync()[0];
      last = a.dataSync()[0];
      tf.dispose([a, b]);
    }
    expect(last).to.be.lessThan(first / 5);
    expectNoLeaks(() => { jitted(ids, y).dispose(); }, 5);
  });
});

/**
 * Optimiser misuse: each error is an OptimizerError that names what was expected, what
 * was given (paths included) and how to fix it; a refused update changes no state.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { expectTensorClose, expectThrowsWith } from '../helpers';

function twoLayer(): { net: bst.nn.Sequential; params: bst.NestedDict<bst.State> } {
  const net = new bst.nn.Sequential(new bst.nn.Linear(2, 2), new bst.nn.Linear(2, 1));
  return { net, params: net.states(bst.ParamState) };
}

describe('optim: errors', () => {
  it('update before registerTrainableWeights', () => {
    const opt = new bst.optim.Adam(1e-3);
    expectThrowsWith(() => opt.update([tf.scalar(1)]), bst.OptimizerError,
      'Adam.update: no trainable weights are registered', 'registerTrainableWeights(model.states(bst.ParamState))');
  });

  it('a grads tree that does not match names the missing and extra paths', () => {
    const { net, params } = twoLayer();
    const opt = new bst.optim.SGD(0.1);
    opt.registerTrainableWeights(params);
    const grads = bst.transform.grad(() => tf.sum(net.call(tf.ones([1, 2])) as tf.Tensor), { gradStates: params })();
    const partial = new bst.NestedDict({ layers: new bst.NestedDict({ 0: grads.layers[0] }) });
    const err = expectThrowsWith(() => opt.update(partial), bst.OptimizerError, 'SGD.update',
      'missing 2 path(s)', "['layers', 1, 'weight', 'bias']", "['layers', 1, 'weight', 'weight']");
    expect(err.message).to.not.contain('extra');
    const plus = { ...(grads.layers as unknown as Record<string, unknown>), extraLayer: tf.ones([2]) };
    expectThrowsWith(() => opt.update({ layers: plus }), bst.OptimizerError, 'extra 1 path(s) not registered',
      "['layers', 'extraLayer']");
    expectThrowsWith(() => opt.update([tf.ones([2, 2])]), bst.OptimizerError, 'missing 4 path(s)', 'extra 1 path(s)');
  });

  it('a gradient of the wrong shape names the path and both shapes; nothing is written', () => {
    const w = new bst.ParamState(tf.tensor1d([1, 2]));
    const opt = new bst.optim.Momentum(0.1);
    opt.registerTrainableWeights({ w });
    expectThrowsWith(() => opt.update({ w: tf.ones([3]) }), bst.OptimizerError, "the gradient at ['w'] has shape [3]",
      'its weight has shape [2]');
    expectThrowsWith(() => opt.update({ w: null }), bst.OptimizerError, "expected a gradient tensor at ['w']", 'null');
    expectTensorClose(w.value, [1, 2]);
    expect(opt.step.value.dataSync()[0]).to.equal(0);
  });

  it('registering values, TreefyStates, nothing, integer states, or twice', () => {
    const opt = new bst.optim.SGD(0.1);
    expectThrowsWith(() => opt.registerTrainableWeights([tf.ones([2]) as never]), bst.OptimizerError,
      'expected live states', 'the leaf at [0] is a tf.Tensor float32[2]');
    const tree = new bst.NestedDict({ w: new bst.TreefyState(bst.ParamState, tf.ones([2])) });
    expectThrowsWith(() => opt.registerTrainableWeights(tree), bst.OptimizerError, "the leaf at ['w']",
      'not their values or TreefyState copies');
    expectThrowsWith(() => opt.registerTrainableWeights([]), bst.OptimizerError, 'at least one state');
    expectThrowsWith(() => opt.registerTrainableWeights([new bst.HiddenState(tf.scalar(1, 'int32'), { name: 'n' })]),
      bst.OptimizerError, "HiddenState 'n'", 'int32', 'float32 parameters only');
    const s = new bst.ParamState(tf.ones([2]));
    expectThrowsWith(() => opt.registerTrainableWeights([s, s]), bst.OptimizerError, 'listed twice');
    opt.registerTrainableWeights([s]);
    expectThrowsWith(() => opt.registerTrainableWeights([new bst.ParamState(tf.ones([1]))]), bst.OptimizerError,
      'already registered (1 tensor)', 'new optimiser');
  });

  it('bad hyper-parameters are refused at construction with the valid range', () => {
    expectThrowsWith(() => new bst.optim.SGD(-1), bst.OptimizerError, 'SGD: expected the learning rate',
      'got -1');
    expectThrowsWith(() => new bst.optim.Momentum(0.1, 1), bst.OptimizerError, 'momentum in [0, 1), got 1');
    expectThrowsWith(() => new bst.optim.Adam(0.1, { betas: [0.9, 1.5] }), bst.OptimizerError,
      'betas to be two numbers in [0, 1)', '[0.9,1.5]');
    expectThrowsWith(() => new bst.optim.AdamW(0.1, { eps: -1 }), bst.OptimizerError, 'AdamW: expected eps');
    expectThrowsWith(() => new bst.optim.SGD(0.1, { weightDecay: -0.1 }), bst.OptimizerError, 'weightDecay');
    expectThrowsWith(() => new bst.optim.SGD(0.1, { gradClipNorm: 0 }), bst.OptimizerError, 'gradClipNorm');
    expectThrowsWith(() => bst.optim.exponentialDecay(0.1, 0, 0.5), bst.OptimizerError,
      'optim.exponentialDecay: expected decaySteps to be a positive');
    expectThrowsWith(() => bst.optim.stepLR(0.1, -2), bst.OptimizerError, 'optim.stepLR', 'stepSize');
  });
});

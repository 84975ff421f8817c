/**
 * A jitted training step (forward, backward, optimiser update) is one cached program
 * that replays exactly as the eager step: same weights after 100 Adam steps, one trace,
 * and no tensor left behind over 1,000 replays.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { expectTensorClose } from '../helpers';

function fixed(shape: number[], seed: number, scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * scale), shape);
}

interface Trainer {
  net: bst.nn.Sequential;
  opt: bst.optim.Optimizer;
  step: (x: tf.Tensor, y: tf.Tensor) => tf.Scalar;
}

/** A 4-8-3 MLP classifier with fixed initial weights, and its training step. */
function trainer(makeOpt: () => bst.optim.Optimizer): Trainer {
  const c = (seed: number) => new bst.nn.init.Constant(0);
  const net = new bst.nn.Sequential(new bst.nn.Linear(4, 8, { wInit: c(1) }), new bst.nn.Tanh(),
    new bst.nn.Linear(8, 3, { wInit: c(2) }));
  const init = [fixed([4, 8], 1, 0.5), fixed([8], 2, 0.1), fixed([8, 3], 3, 0.5), fixed([3], 4, 0.1)];
  const linears = [net.layers[0], net.layers[2]] as bst.nn.Linear[];
  linears.forEach((l, i) => { l.weight.value = { weight: init[2 * i], bias: init[2 * i + 1] }; });
  const params = net.states(bst.ParamState);
  const opt = makeOpt();
  opt.registerTrainableWeights(params);
  const step = (x: tf.Tensor, y: tf.Tensor): tf.Scalar => {
    const [grads, loss] = bst.transform.grad(() => tf.losses.softmaxCrossEntropy(y, net.call(x) as tf.Tensor) as tf.Scalar,
      { gradStates: params, returnValue: true })();
    opt.update(grads);
    return loss;
  };
  return { net, opt, step };
}

const data = (i: number): [tf.Tensor, tf.Tensor] => [fixed([16, 4], 100 + (i % 5)),
  tf.oneHot(tf.tensor1d(Array.from({ length: 16 }, (_, k) => (k + i) % 3), 'int32'), 3)];

function weights(t: Trainer): tf.Tensor[] {
  return t.net.states(bst.ParamState).toFlat().values().flatMap((s) => {
    const v = s.value as unknown as { weight: tf.Tensor; bias: tf.Tensor };
    return [v.weight, v.bias];
  });
}

describe('optim under jit', () => {
  const optimisers: [string, () => bst.optim.Optimizer][] = [
    ['Adam', () => new bst.optim.Adam(1e-2, { weightDecay: 1e-3, gradClipNorm: 5 })],
    ['AdamW + exponentialDecay', () => new bst.optim.AdamW(bst.optim.exponentialDecay(2e-2, 20, 0.5))],
    ['Momentum + stepLR', () => new bst.optim.Momentum(bst.optim.stepLR(0.1, 25, 0.5), 0.9)],
  ];
  for (const [name, make] of optimisers) {
    it(`${name}: 100 jitted steps equal 100 eager steps within 1e-5, traced once`, () => {
      const eager = trainer(make);
      const jitted = trainer(make);
      const jstep = bst.transform.jit(jitted.step);
      const losses: [number, number][] = [];
      for (let i = 0; i < 100; i++) {
        const [x, y] = data(i);
        const le = tf.tidy(() => eager.step(x, y).dataSync()[0]);
        const lj = jstep(x, y);
        losses.push([le, lj.dataSync()[0]]);
        lj.dispose();
        x.dispose();
        y.dispose();
      }
      expect(jstep.traceCount).to.equal(1);
      const we = weights(eager);
      weights(jitted).forEach((w, i) => expectTensorClose(w, we[i], 1e-5));
      expect(jitted.opt.step.value.dataSync()[0]).to.equal(100);
      expectTensorClose(jitted.opt.currentLr(), eager.opt.currentLr(), 1e-7);
      for (const [le, lj] of losses) expect(Math.abs(le - lj)).to.be.at.most(1e-5 + 1e-5 * Math.abs(le));
      expect(losses[99][0]).to.be.lessThan(losses[0][0]);
    });
  }

  it('numTensors and numBytes stay flat over 1,000 jitted Adam steps (after warm-up)', () => {
    const t = trainer(() => new bst.optim.Adam(1e-3));
    const jstep = bst.transform.jit(t.step);
    const [x, y] = data(0);
    for (let i = 0; i < 3; i++) jstep(x, y).dispose();
    const before = tf.memory();
    for (let i = 0; i < 1000; i++) jstep(x, y).dispose();
    const after = tf.memory();
    expect(after.numTensors).to.equal(before.numTensors);
    expect(after.numBytes).to.equal(before.numBytes);
    expect(jstep.traceCount).to.equal(1);
    expect(t.opt.step.value.dataSync()[0]).to.equal(1003);
  });

  it('eager steps inside tf.tidy leave only the states behind', () => {
    const t = trainer(() => new bst.optim.Adam(1e-3));
    const [x, y] = data(0);
    tf.tidy(() => { t.step(x, y); });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) tf.tidy(() => { t.step(x, y); });
    expect(tf.memory().numTensors).to.equal(before);
  });
});

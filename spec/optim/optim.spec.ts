/**
 * Optimisers against tfjs's own (tf.train.sgd / momentum / adam, same formulas), hand
 * computations for the rest, schedules, and registration of every weights structure.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { expectTensorClose } from '../helpers';

/** Fixed pseudo-random values (the same on every backend). */
function fixed(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233)), shape);
}

/** Runs `steps` updates of ours and of tfjs's optimiser on the same weights and gradients. */
function compareWithTfjs(ours: bst.optim.Optimizer, theirs: tf.Optimizer, steps: number, tol: number): void {
  const init = [fixed([3, 2], 1), fixed([2], 2)];
  const states = init.map((t) => new bst.ParamState(tf.clone(t)));
  const vars = init.map((t, i) => tf.variable(tf.clone(t), true, `w${i}_${Math.random()}`));
  ours.registerTrainableWeights(states);
  for (let s = 0; s < steps; s++) {
    tf.tidy(() => {
      const grads = init.map((t, i) => tf.mul(fixed(t.shape, 10 + s + i), 1 + s / 10));
      ours.update(grads);
      const named: tf.NamedTensorMap = {};
      vars.forEach((v, i) => { named[v.name] = grads[i]; });
      theirs.applyGradients(named);
    });
  }
  states.forEach((st, i) => expectTensorClose(st.value, vars[i], tol));
  expect(ours.step.value.dataSync()[0]).to.equal(steps);
  vars.forEach((v) => v.dispose());
  theirs.dispose();
}

describe('optim: against tfjs optimisers', () => {
  it('SGD equals tf.train.sgd over 20 steps', () => {
    compareWithTfjs(new bst.optim.SGD(0.05), tf.train.sgd(0.05), 20, 1e-6);
  });

  it('Momentum equals tf.train.momentum over 20 steps (heavy ball and Nesterov)', () => {
    compareWithTfjs(new bst.optim.Momentum(0.05, 0.9), tf.train.momentum(0.05, 0.9), 20, 1e-5);
    compareWithTfjs(new bst.optim.Momentum(0.05, 0.8, { nesterov: true }), tf.train.momentum(0.05, 0.8, true), 20, 1e-5);
  });

  it('Adam equals tf.train.adam over 30 steps (bias correction included)', () => {
    compareWithTfjs(new bst.optim.Adam(0.01, { betas: [0.9, 0.99], eps: 1e-7 }), tf.train.adam(0.01, 0.9, 0.99, 1e-7),
      30, 1e-5);
  });
});

describe('optim: formulas', () => {
  it('Adam first step moves each weight by lr (sign of the gradient), as bias correction makes it', () => {
    const w = new bst.ParamState(tf.tensor1d([1, 1, 1]));
    const opt = new bst.optim.Adam(0.1);
    opt.registerTrainableWeights(w);
    opt.update(tf.tensor1d([0.5, -2, 1e-3]));
    expectTensorClose(w.value, [0.9, 1.1, 0.9], 1e-4);
    expectTensorClose(opt.beta1Power.value, [0.9]);
    expectTensorClose(opt.beta2Power.value, [0.999]);
  });

  it('weightDecay: L2 added to the gradient (SGD, Adam); decoupled in AdamW', () => {
    const w = new bst.ParamState(tf.tensor1d([2]));
    const sgd = new bst.optim.SGD(0.1, { weightDecay: 0.5 });
    sgd.registerTrainableWeights(w);
    sgd.update(tf.tensor1d([1]));
    expectTensorClose(w.value, [2 - 0.1 * (1 + 0.5 * 2)]);

    const a = new bst.ParamState(tf.tensor1d([2]));
    const adamw = new bst.optim.AdamW(0.1, { weightDecay: 0.5 });
    adamw.registerTrainableWeights(a);
    adamw.update(tf.tensor1d([1]));
    // Adam's first step is lr * sign(g) (up to eps); decay adds lr * wd * p.
    expectTensorClose(a.value, [2 - 0.1 * (1 + 0.5 * 2)], 1e-5);
    expect(new bst.optim.AdamW(0.1).weightDecay).to.equal(1e-2);
  });

  it('gradClipNorm rescales all gradients together above the norm, and leaves small ones', () => {
    const [a, b] = [new bst.ParamState(tf.tensor1d([0, 0])), new bst.ParamState(tf.scalar(0))];
    const opt = new bst.optim.SGD(1, { gradClipNorm: 1 });
    opt.registerTrainableWeights([a, b]);
    opt.update([tf.tensor1d([3, 0]), tf.scalar(4)]);          // norm 5 -> scaled by 1/5
    expectTensorClose(a.value, [-0.6, 0]);
    expectTensorClose(b.value, [-0.8]);
    opt.update([tf.tensor1d([0.3, 0]), tf.scalar(0.4)]);      // norm 0.5 -> unchanged
    expectTensorClose(a.value, [-0.9, 0]);
    expectTensorClose(b.value, [-1.2]);
  });
});

describe('optim: schedules', () => {
  const at = (s: bst.optim.Schedule, step: number): number => tf.tidy(() => s(tf.scalar(step)).dataSync()[0]);

  it('constant, exponentialDecay (smooth, staircase, transitionBegin, endValue), stepLR, cosineDecay', () => {
    expect(at(bst.optim.constant(0.3), 17)).to.be.closeTo(0.3, 1e-7);
    const e = bst.optim.exponentialDecay(1, 10, 0.5);
    expect(at(e, 0)).to.be.closeTo(1, 1e-6);
    expect(at(e, 5)).to.be.closeTo(Math.SQRT1_2, 1e-6);
    expect(at(e, 20)).to.be.closeTo(0.25, 1e-6);
    expect(at(bst.optim.exponentialDecay(1, 10, 0.5, { staircase: true }), 19)).to.be.closeTo(0.5, 1e-6);
    expect(at(bst.optim.exponentialDecay(1, 10, 0.5, { transitionBegin: 10 }), 10)).to.be.closeTo(1, 1e-6);
    expect(at(bst.optim.exponentialDecay(1, 10, 0.5, { endValue: 0.3 }), 100)).to.be.closeTo(0.3, 1e-6);
    const s = bst.optim.stepLR(0.1, 30, 0.1);
    expect(at(s, 29)).to.be.closeTo(0.1, 1e-7);
    expect(at(s, 30)).to.be.closeTo(0.01, 1e-7);
    expect(at(s, 61)).to.be.closeTo(0.001, 1e-8);
    const c = bst.optim.cosineDecay(1, 100, 0.1);
    expect(at(c, 0)).to.be.closeTo(1, 1e-6);
    expect(at(c, 50)).to.be.closeTo(0.55, 1e-6);
    expect(at(c, 100)).to.be.closeTo(0.1, 1e-6);
    expect(at(c, 500)).to.be.closeTo(0.1, 1e-6);
  });

  it('an optimiser evaluates its schedule at its step state (currentLr, and the update it applies)', () => {
    const w = new bst.ParamState(tf.scalar(0));
    const opt = new bst.optim.SGD(bst.optim.stepLR(1, 2, 0.5));
    opt.registerTrainableWeights(w);
    const lrs: number[] = [];
    for (let i = 0; i < 5; i++) {
      lrs.push(opt.currentLr().dataSync()[0]);
      opt.update(tf.scalar(-1));
    }
    expect(lrs).to.deep.equal([1, 1, 0.5, 0.5, 0.25]);
    expectTensorClose(w.value, [3.25]);
  });
});

describe('optim: registering weights', () => {
  it('a NestedDict from module.states(ParamState), with Linear-style tree values, and matching grads', () => {
    const net = new bst.nn.Sequential(new bst.nn.Linear(2, 3), new bst.nn.ReLU(), new bst.nn.Linear(3, 1));
    const params = net.states(bst.ParamState);
    const opt = new bst.optim.Momentum(0.1, 0.9);
    opt.registerTrainableWeights(params);
    expect(opt.trainableStates).to.have.length(2);
    expect(opt.slots.v).to.have.length(2);
    const before = params.toFlat().values().map((s) => tf.clone((s.value as unknown as { weight: tf.Tensor }).weight));
    const x = fixed([4, 2], 3);
    const grads = bst.transform.grad(() => tf.sum(net.call(x) as tf.Tensor), { gradStates: params })();
    opt.update(grads);
    params.toFlat().values().forEach((s, i) => {
      const g = (grads.toFlat().values()[i] as unknown as { weight: tf.Tensor }).weight;
      expectTensorClose((s.value as unknown as { weight: tf.Tensor }).weight, tf.sub(before[i], tf.mul(0.1, g)), 1e-6);
    });
  });

  it('grads of treefyStates trees (TreefyState leaves) match the live states they came from', () => {
    const w = new bst.ParamState(tf.tensor1d([1, 2]), { name: 'w' });
    const holder = { w };
    const opt = new bst.optim.SGD(0.5);
    opt.registerTrainableWeights(holder);
    const tree = new bst.NestedDict({ w: bst.TreefyState.fromState(w) });
    const grads = bst.transform.grad((t: bst.NestedDict) => tf.sum(tf.square(t.w.value)))(tree);
    expect(grads.w).to.be.instanceOf(bst.TreefyState);
    opt.update(grads);
    expectTensorClose(w.value, [0, 0]);
  });

  it('optimiser states are OptimStates (LongTermState) that graph filters find', () => {
    const opt = new bst.optim.Adam(1e-3);
    opt.registerTrainableWeights([new bst.ParamState(tf.ones([2]))]);
    const all = bst.graph.states(opt);
    const kinds = all.toFlat().values().map((s) => s.constructor.name);
    expect(kinds.every((k) => k === 'OptimState')).to.equal(true);
    expect(all.toFlat().keys().map((k) => k.join('/'))).to.deep.equal(
      ['beta1Power', 'beta2Power', 'slots/m/0', 'slots/v/0', 'step']);
    expect(all.toFlat().values().every((s) => s instanceof bst.LongTermState)).to.equal(true);
  });
});

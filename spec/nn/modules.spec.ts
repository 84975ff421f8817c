/**
 * Module introspection (name, inSize / outSize, children, namedParameters), Sequential
 * indexing, Flatten / Unflatten, the dropout variants, SignedWLinear, weight masks, and
 * running a recurrent cell over a sequence with unrollCell (eagerly, jitted, under grad).
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { expectNoLeaks, expectTensorClose } from '../helpers';

const nn = bst.nn;

describe('nn: module introspection and composition', () => {
  it('name, inSize / outSize, children, namedModules, namedParameters (recursive or not)', () => {
    const conv = new nn.Conv2d([8, 8, 1], 4, 3, { name: 'stem' });
    const net = new nn.Sequential(conv, new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(1), new nn.Linear(64, 10));
    expect(conv.name).to.equal('stem');
    expect(new nn.ReLU().name).to.equal(undefined);
    expect(conv.inSize).to.deep.equal([8, 8, 1]);
    expect(conv.outSize).to.deep.equal([8, 8, 4]);
    expect(new nn.Linear(64, 10).inSize).to.deep.equal([64]);
    expect(net.children().length).to.equal(5);
    expect(net.namedChildren().map(([n]) => n)).to.deep.equal(['layers.0', 'layers.1', 'layers.2', 'layers.3', 'layers.4']);
    expect(net.namedModules().map(([n, , d]) => [n, d])[0]).to.deep.equal(['', 0]);
    expect(net.namedParameters().map(([n]) => n)).to.deep.equal(['layers.0.weight', 'layers.4.weight']);
    expect(net.namedParameters({ recurse: false })).to.deep.equal([]);
    expect(net.namedParameters({ prefix: 'model' })[0][0]).to.equal('model.layers.0.weight');
    expect(conv.parameters()[0]).to.equal(conv.weight);
    expect(() => new nn.Linear(3, 2, { name: 5 as unknown as string })).to.throw(bst.BrainStateError, 'name');
  });

  it('Linear: shapes as BrainState (inSize tuple), wMask cuts connections and their gradients', () => {
    const mask = tf.tensor2d([[1, 0], [1, 0], [0, 1]]);
    const lin = new nn.Linear(3, 2, { wMask: mask });
    const x = tf.randomNormal([5, 3], 0, 1, 'float32', 1);
    const p = lin.weight.value as { weight: tf.Tensor; bias: tf.Tensor };
    expectTensorClose(lin.call(x), tf.add(tf.matMul(x, tf.mul(p.weight, mask)), p.bias));
    const g = bst.transform.grad(() => tf.sum(lin.call(x)) as tf.Scalar, { gradStates: lin.weight })() as unknown as { weight: tf.Tensor };
    expect(Array.from(g.weight.dataSync()).filter((v, i) => [1, 3, 4].includes(i) && v !== 0)).to.deep.equal([]);
  });

  it('SignedWLinear: |W| times the sign matrix; positive without one', () => {
    const sign = tf.tensor2d([[1, -1], [1, -1], [-1, 1]]);
    const l = new nn.SignedWLinear(3, 2, { wSign: sign });
    const x = tf.randomNormal([4, 3], 0, 1, 'float32', 2);
    expectTensorClose(l.call(x), tf.matMul(x, tf.mul(tf.abs(l.weight.value), sign)));
    const pos = new nn.SignedWLinear(3, 2);
    expectTensorClose(pos.call(x), tf.matMul(x, tf.abs(pos.weight.value)));
    expect(() => new nn.SignedWLinear(3, 2, { wSign: tf.ones([2, 2]) })).to.throw(bst.BrainStateError, 'wSign');
  });

  it('Flatten / Unflatten, with and without inSize', () => {
    const x = tf.ones([2, 3, 4, 5]);
    expect(new nn.Flatten().call(x).shape).to.deep.equal([120]);
    expect(new nn.Flatten(1).call(x).shape).to.deep.equal([2, 60]);
    expect(new nn.Flatten(1, 2).call(x).shape).to.deep.equal([2, 12, 5]);
    const f = new nn.Flatten(0, -1, { inSize: [3, 4, 5] });
    expect(f.outSize).to.deep.equal([60]);
    expect(f.call(x).shape).to.deep.equal([2, 60]);
    expect(new nn.Unflatten(1, [3, -1]).call(tf.ones([2, 12])).shape).to.deep.equal([2, 3, 4]);
    expect(() => new nn.Unflatten(1, [5, 5]).call(tf.ones([2, 12]))).to.throw(bst.BrainStateError, 'multiply');
  });

  it('dropout variants: channel-wise masks, alpha dropout keeps mean and variance, DropoutFixed reuses its mask', () => {
    bst.random.seed(1);
    const y = bst.environ.context({ fit: true }, () => new nn.Dropout2d(0.5).call(tf.ones([4, 6, 6, 8])));
    // Each (example, channel) is all kept (2) or all dropped (0).
    const perChannel = tf.tidy(() => tf.sub(tf.max(y, [1, 2]), tf.min(y, [1, 2])));
    expect(tf.max(perChannel).dataSync()[0]).to.equal(0);
    expect(bst.environ.context({ fit: false }, () => new nn.Dropout1d(0.5).call(tf.ones([2, 3, 4]))).dataSync()[0]).to.equal(1);
    expect(() => new nn.Dropout2d(0.5).call(tf.ones([2, 3]))).to.throw(bst.BrainStateError, '3-D input');
    const z = tf.randomNormal([20000], 0, 1, 'float32', 3);
    const a = bst.environ.context({ fit: true }, () => new nn.AlphaDropout(0.8).call(z));
    const m = tf.moments(a);
    expect(Math.abs(m.mean.dataSync()[0])).to.be.lessThan(0.05);
    expect(Math.abs(m.variance.dataSync()[0] - 1)).to.be.lessThan(0.06);
    const fixed = new nn.DropoutFixed(10, 0.5);
    fixed.initState(3);
    const f1 = bst.environ.context({ fit: true }, () => fixed.call(tf.ones([3, 10])));
    const f2 = bst.environ.context({ fit: true }, () => fixed.call(tf.ones([3, 10])));
    expect(Array.from(f1.dataSync())).to.deep.equal(Array.from(f2.dataSync()));
    expect(() => bst.environ.context({ fit: true }, () => fixed.call(tf.ones([2, 10])))).to.throw(bst.BrainStateError, 'mask');
  });
});

describe('nn: recurrent cells over sequences', () => {
  it('unrollCell equals a hand loop; jitted it is one program; under grad the sequence trains', () => {
    bst.random.seed(2);
    const cell = new nn.LSTMCell(3, 5);
    const xs = tf.randomNormal([2, 6, 3], 0, 1, 'float32', 4);
    cell.initState(2);
    const ys = nn.unrollCell(cell, xs);
    expect(ys.shape).to.deep.equal([2, 6, 5]);
    cell.resetState(2);
    const hand: tf.Tensor[] = [];
    for (let t = 0; t < 6; t++) hand.push(tf.clone(cell.call(tf.squeeze(tf.slice(xs, [0, t, 0], [2, 1, 3]), [1]))));
    expectTensorClose(ys, tf.stack(hand, 1), 1e-6);
    cell.resetState(2);
    const last = nn.unrollCell(cell, tf.transpose(xs, [1, 0, 2]), { timeMajor: true, returnSequences: false });
    expectTensorClose(last, hand[5], 1e-6);

    const head = new nn.Linear(5, 1);
    const params = { cell: cell.states(bst.ParamState), head: head.states(bst.ParamState) };
    const opt = new bst.optim.Adam(0.05);
    opt.registerTrainableWeights(params);
    const target = tf.ones([2, 1]);
    const trainStep = bst.transform.jit((seq: tf.Tensor) => {
      cell.resetState(2);
      const [g, loss] = bst.transform.grad(() => tf.losses.meanSquaredError(target,
        head.call(nn.unrollCell(cell, seq, { returnSequences: false }))) as tf.Scalar, { gradStates: params, returnValue: true })();
      opt.update(g);
      return loss;
    });
    const l0 = trainStep(xs).dataSync()[0];
    let l = l0;
    for (let i = 0; i < 25; i++) l = trainStep(xs).dataSync()[0];
    expect(trainStep.traceCount).to.equal(1);
    expect(l).to.be.lessThan(l0 / 4);
    expectNoLeaks(() => { trainStep(xs).dispose(); }, 3);
  });

  it('every cell: calling before initState is an error that says what to do; resetState restores zeros', () => {
    for (const C of [nn.ValinaRNNCell, nn.GRUCell, nn.MGUCell, nn.LSTMCell, nn.URLSTMCell]) {
      const c = new C(2, 3);
      expect(() => c.call(tf.ones([1, 2])), C.name).to.throw(bst.BrainStateError, 'initState');
      bst.nn.initAllStates(c, 4);
      expect(c.call(tf.ones([4, 2])).shape).to.deep.equal([4, 3]);
      bst.nn.resetAllStates(c, 4);
      expect(tf.sum(tf.abs(c.h!.value)).dataSync()[0]).to.equal(0);
      expect(() => c.call(tf.ones([4, 5]))).to.throw(bst.BrainStateError, '[batch, 2]');
    }
    const q = new nn.init.Orthogonal().call([5, 5]);
    expectTensorClose(tf.matMul(q, q, false, true), tf.eye(5), 1e-5);
  });
});

describe('nn: Sequential indexing and growth', () => {
  it('at / slice / pick share the layers; append / extend / insert grow it; sizes follow the layers', () => {
    const a = new nn.Linear(4, 8);
    const b = new nn.Linear(8, 3);
    const seq = new nn.Sequential(a, new nn.ReLU(), new nn.Dropout(0.9), b);
    expect(seq.length).to.equal(4);
    expect(seq.at(0)).to.equal(a);
    expect(seq.at(-1)).to.equal(b);
    expect(() => seq.at(4)).to.throw(bst.BrainStateError, 'out of range');
    expect(seq.inSize).to.deep.equal([4]);
    expect(seq.outSize).to.deep.equal([3]);
    const head = seq.slice(0, 2);
    expect(head.outSize).to.deep.equal([8]);
    expect(head.at(0)).to.equal(a);
    expect(seq.pick([0, 3]).call(tf.ones([2, 4])).shape).to.deep.equal([2, 3]);
    seq.append(new nn.Linear(3, 5)).insert(0, bst.nn.relu);
    expect(seq.length).to.equal(6);
    expect(seq.outSize).to.deep.equal([5]);
    expect(seq.inSize).to.equal(undefined);
    seq.extend([new nn.ReLU()]);
    expect(bst.environ.context({ fit: false }, () => seq.call(tf.ones([2, 4]))).shape).to.deep.equal([2, 5]);
    expect(seq.states(bst.ParamState).toFlat().size).to.equal(3);
  });
});

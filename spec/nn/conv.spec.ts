/**
 * Convolutions against tfjs's own layers (tf.layers.conv1d/2d/3d, conv2dTranspose,
 * conv3dTranspose) with the same kernels: BrainState's kernel layout `[...k, in, out]`
 * (transposed: `[...k, out, in]`) is tfjs-layers' too. Gradients of every layer are
 * checked against central finite differences, so they train on every backend.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { expectNoLeaks, expectTensorClose } from '../helpers';

const nn = bst.nn;

/** The output of a tfjs layer built with `config` and given `weights`. */
function tfLayer(make: () => tf.layers.Layer, x: tf.Tensor, weights: tf.Tensor[]): tf.Tensor {
  const layer = make();
  layer.apply(x);
  layer.setWeights(weights);
  const y = layer.apply(x) as tf.Tensor;
  layer.dispose();
  return y;
}

function kernelOf(m: bst.nn.ConvBase): tf.Tensor {
  return (m.weight.value as { weight: tf.Tensor }).weight;
}

/** Max |finite difference - analytic gradient| of sum(f(w) * probe) over a few entries of the state's weight. */
function checkGradient(m: bst.nn.ConvBase, x: tf.Tensor, entries = 4, tol = 2e-2): void {
  const params = m.states(bst.ParamState);
  const probe = tf.randomNormal((m.call(x) as tf.Tensor).shape, 0, 1, 'float32', 7);
  const loss = (): tf.Scalar => tf.sum(tf.mul(m.call(x), probe)) as tf.Scalar;
  const grads = bst.transform.grad(loss, { gradStates: params })() as unknown as { weight: { weight: tf.Tensor } };
  const g = grads.weight.weight.dataSync();
  const w0 = kernelOf(m);
  const base = w0.dataSync().slice();
  const eps = 1e-2;
  for (let e = 0; e < entries; e++) {
    const i = Math.floor((e * 7919) % base.length);
    const eval_ = (d: number): number => {
      const v = base.slice();
      v[i] += d;
      const st = m.weight;
      const old = st.value as { weight: tf.Tensor; bias?: tf.Tensor };
      st.value = { ...old, weight: tf.tensor(v, w0.shape) } as never;
      const l = loss();
      const r = l.dataSync()[0];
      l.dispose();
      return r;
    };
    const fd = (eval_(eps) - eval_(-eps)) / (2 * eps);
    eval_(0);
    expect(Math.abs(fd - g[i]), `${m.constructor.name} [${m.inSize.join(",")}] entry ${i}: finite difference ${fd}, gradient ${g[i]}`).to.be.lessThan(tol * (1 + Math.abs(fd)));
  }
  probe.dispose();
}

describe('nn: convolutions against tf.layers', () => {
  before(() => bst.random.seed(0));

  it('Conv2d: SAME / VALID, strides, dilation and bias equal tf.layers.conv2d within 1e-5', () => {
    const x = tf.randomNormal([2, 9, 8, 3], 0, 1, 'float32', 1);
    for (const [padding, stride, dil] of [['SAME', 1, 1], ['VALID', 2, 1], ['SAME', 1, 2], ['VALID', [2, 1], 1]] as const) {
      const m = new nn.Conv2d([9, 8, 3], 4, [3, 2], { padding, stride, rhsDilation: dil, bInit: 0.5 });
      const p = m.weight.value as { weight: tf.Tensor; bias: tf.Tensor };
      // tf.layers.conv2d's own bias takes tfjs-wasm's FusedConv2D path, which rejects it: add it here.
      const ref = tf.add(tfLayer(() => tf.layers.conv2d({ filters: 4, kernelSize: [3, 2], strides: stride as number | [number, number],
        padding: padding.toLowerCase() as 'same', dilationRate: dil, useBias: false }), x, [p.weight]), p.bias);
      const y = m.call(x);
      expectTensorClose(y, ref, 1e-5);
      expect(y.shape.slice(1)).to.deep.equal(m.outSize);
      tf.dispose([y, ref]);
    }
    x.dispose();
  });

  it('Conv1d and Conv3d equal tf.layers.conv1d / conv3d', () => {
    const x1 = tf.randomNormal([3, 11, 2], 0, 1, 'float32', 2);
    const c1 = new nn.Conv1d([11, 2], 5, 4, { stride: 2, padding: 'VALID' });
    const r1 = tfLayer(() => tf.layers.conv1d({ filters: 5, kernelSize: 4, strides: 2, padding: 'valid', useBias: false }),
      x1, [kernelOf(c1)]);
    expectTensorClose(c1.call(x1), r1, 1e-5);
    const x3 = tf.randomNormal([2, 5, 6, 4, 2], 0, 1, 'float32', 3);
    const c3 = new nn.Conv3d([5, 6, 4, 2], 3, 3);
    const r3 = tfLayer(() => tf.layers.conv3d({ filters: 3, kernelSize: 3, padding: 'same', useBias: false }), x3, [kernelOf(c3)]);
    expectTensorClose(c3.call(x3), r3, 1e-5);
    expect(c3.outSize).to.deep.equal([5, 6, 4, 3]);
    tf.dispose([x1, r1, x3, r3]);
  });

  it('ConvTranspose2d / 3d equal tf.layers.conv2dTranspose / conv3dTranspose (SAME and VALID, strides 1-3)', () => {
    const x = tf.randomNormal([2, 5, 4, 3], 0, 1, 'float32', 4);
    for (const [padding, stride, k] of [['SAME', 2, 3], ['VALID', 2, 3], ['SAME', 1, 3], ['VALID', 3, 2], ['SAME', 2, 4]] as const) {
      const m = new nn.ConvTranspose2d([5, 4, 3], 2, k, { padding, stride });
      const ref = tfLayer(() => tf.layers.conv2dTranspose({ filters: 2, kernelSize: k, strides: stride,
        padding: padding.toLowerCase() as 'same', useBias: false }), x, [kernelOf(m)]);
      const y = m.call(x);
      expect(y.shape, `${padding} s=${stride} k=${k}`).to.deep.equal(ref.shape);
      expectTensorClose(y, ref, 1e-5);
      expect(y.shape.slice(1)).to.deep.equal(m.outSize);
      tf.dispose([y, ref]);
    }
    const x3 = tf.randomNormal([1, 3, 4, 2, 2], 0, 1, 'float32', 5);
    const m3 = new nn.ConvTranspose3d([3, 4, 2, 2], 2, 2, { stride: 2 });
    const r3 = tfLayer(() => tf.layers.conv3dTranspose({ filters: 2, kernelSize: 2, strides: 2, padding: 'same',
      useBias: false }), x3, [kernelOf(m3)]);
    expectTensorClose(m3.call(x3), r3, 1e-5);
    tf.dispose([x, x3, r3]);
  });

  it('groups: the same as separate convolutions over channel groups; channelFirst: the same numbers transposed', () => {
    const x = tf.randomNormal([2, 6, 6, 4], 0, 1, 'float32', 6);
    const m = new nn.Conv2d([6, 6, 4], 6, 3, { groups: 2 });
    const w = kernelOf(m);
    expect(w.shape).to.deep.equal([3, 3, 2, 6]);
    const [xa, xb] = tf.split(x, 2, 3);
    const [wa, wb] = tf.split(w, 2, 3);
    const ref = tf.concat([tf.conv2d(xa as tf.Tensor4D, wa as tf.Tensor4D, 1, 'same'),
      tf.conv2d(xb as tf.Tensor4D, wb as tf.Tensor4D, 1, 'same')], 3);
    expectTensorClose(m.call(x), ref, 1e-5);
    const mf = new nn.Conv2d([4, 6, 6], 6, 3, { groups: 2, channelFirst: true, wInit: w });
    expectTensorClose(mf.call(tf.transpose(x, [0, 3, 1, 2])), tf.transpose(ref, [0, 3, 1, 2]), 1e-5);
    expect(mf.outSize).to.deep.equal([6, 6, 6]);
  });

  it('wMask zeroes kernel entries; an unbatched input gives an unbatched output', () => {
    const mask = tf.concat([tf.zeros([3, 3, 2, 1]), tf.ones([3, 3, 2, 1])], 3);
    const m = new nn.Conv2d([5, 5, 2], 2, 3, { wMask: mask });
    const y = m.call(tf.ones([5, 5, 2]));
    expect(y.shape).to.deep.equal([5, 5, 2]);
    const [zero] = tf.split(y, 2, 2);
    expect(tf.max(tf.abs(zero)).dataSync()[0]).to.equal(0);
  });

  it('gradients of Conv1d/2d/3d and ConvTranspose1d/2d/3d (strided, dilated, grouped) match finite differences', () => {
    const cases: [bst.nn.ConvBase, number[]][] = [
      [new nn.Conv1d([9, 2], 3, 3, { stride: 2, rhsDilation: 2 }), [2, 9, 2]],
      [new nn.Conv2d([6, 5, 4], 4, 3, { groups: 2, bInit: 0 }), [2, 6, 5, 4]],
      [new nn.Conv2d([7, 7, 2], 3, 3, { lhsDilation: 2, padding: 1 }), [1, 7, 7, 2]],
      [new nn.Conv3d([4, 4, 3, 2], 2, 2, { stride: 2 }), [1, 4, 4, 3, 2]],
      [new nn.ConvTranspose1d([5, 2], 3, 3, { stride: 2 }), [2, 5, 2]],
      [new nn.ConvTranspose2d([4, 4, 2], 2, 3, { stride: 2, padding: 'VALID' }), [2, 4, 4, 2]],
      [new nn.ConvTranspose3d([3, 3, 2, 2], 2, 2, { stride: 2 }), [1, 3, 3, 2, 2]],
    ];
    cases.forEach(([m, shape], k) => checkGradient(m, tf.randomNormal(shape, 0, 1, 'float32', 10 + k)));
  });

  it('a jitted conv training step equals the eager one and leaks nothing', () => {
    const make = (): [bst.nn.Sequential, bst.optim.SGD] => {
      bst.random.seed(3);
      const net = new nn.Sequential(new nn.Conv2d([6, 6, 1], 3, 3, { bInit: 0 }), nn.relu, new nn.MaxPool2d(2),
        new nn.Flatten(1), new nn.Linear(27, 2));
      const opt = new bst.optim.SGD(0.1);
      opt.registerTrainableWeights(net.states(bst.ParamState));
      return [net, opt];
    };
    const x = tf.randomNormal([4, 6, 6, 1], 0, 1, 'float32', 11);
    const y = tf.oneHot(tf.tensor1d([0, 1, 1, 0], 'int32'), 2);
    const stepOf = ([net, opt]: [bst.nn.Sequential, bst.optim.SGD]) => (xb: tf.Tensor, yb: tf.Tensor): tf.Scalar => {
      const params = net.states(bst.ParamState);
      const [g, l] = bst.transform.grad(() => tf.losses.softmaxCrossEntropy(yb, net.call(xb)) as tf.Scalar,
        { gradStates: params, returnValue: true })();
      opt.update(g);
      return l;
    };
    const eager = make();
    const jitted = make();
    const eagerStep = stepOf(eager);
    const jitStep = bst.transform.jit(stepOf(jitted));
    for (let i = 0; i < 3; i++) {
      const a = tf.tidy(() => eagerStep(x, y));
      const b = jitStep(x, y);
      expectTensorClose(b, a, 1e-6);
      tf.dispose([a, b]);
    }
    const we = eager[0].states(bst.ParamState).toFlat().values();
    const wj = jitted[0].states(bst.ParamState).toFlat().values();
    we.forEach((s, i) => expectTensorClose((wj[i].value as unknown as { weight: tf.Tensor }).weight,
      (s.value as unknown as { weight: tf.Tensor }).weight, 1e-6));
    expectNoLeaks(() => { jitStep(x, y).dispose(); }, 5);
  });

  it('bad arguments are errors that name them', () => {
    expect(() => new nn.Conv2d([5, 5], 2, 3)).to.throw(bst.BrainStateError, 'inSize to have 3 entries');
    expect(() => new nn.Conv2d([5, 5, 3], 2, 3, { groups: 2 })).to.throw(bst.BrainStateError, 'groups');
    expect(() => new nn.Conv2d([5, 5, 3], 2, 3, { padding: 'FULL' as 'SAME' })).to.throw(bst.BrainStateError, 'padding');
    const m = new nn.Conv2d([5, 5, 3], 2, 3);
    expect(() => m.call(tf.ones([1, 5, 4, 3]))).to.throw(bst.BrainStateError, 'inSize [5, 5, 3]');
  });
});

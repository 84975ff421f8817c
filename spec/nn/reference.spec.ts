/**
 * Layers against numbers BrainState's own code computes (scripts/reference/nn_reference.py
 * runs BrainState's pooling, normalisation, transposed-convolution and RNN-cell code in
 * JAX and wrote spec/fixtures/nn-reference.json). Inputs and weights are the same
 * deterministic `sin` tensors on both sides.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import * as bst from '../../src';
import { expectTensorClose } from '../helpers';

const nn = bst.nn;
const REF: { source: string; outputs: Record<string, { shape: number[]; values: number[] }> } =
  JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/nn-reference.json'), 'utf8'));

/** `sin(0.37 i + seed) * scale` over the flat index, as the Python script's `det`. */
function det(shape: number[], seed: number, scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Array.from({ length: n }, (_, i) => Math.fround(Math.sin(0.37 * i + seed) * scale)), shape);
}

function expectRef(name: string, got: tf.Tensor, tol = 1e-5): void {
  const ref = REF.outputs[name];
  if (ref === undefined) throw new Error(`no reference output '${name}'`);
  expectTensorClose(got, tf.tensor(ref.values, ref.shape), tol);
}

describe(`nn: against BrainState's code in JAX (${REF.source})`, () => {
  it('adaptive pooling splits as BrainState does (leading blocks one longer)', () => {
    const x = det([2, 7, 5, 3], 0.1, 1.5);
    expectRef('AdaptiveAvgPool2d([3, 2])', new nn.AdaptiveAvgPool2d([3, 2]).call(x));
    expectRef('AdaptiveMaxPool2d([3, 2])', new nn.AdaptiveMaxPool2d([3, 2]).call(x));
    expectRef('AdaptiveAvgPool1d(4)', new nn.AdaptiveAvgPool1d(4).call(det([2, 11, 4], 0.2)));
  });

  it('max / average pooling with explicit and SAME padding (average counts only real elements)', () => {
    const x = det([2, 7, 5, 3], 0.1, 1.5);
    const pad = [[1, 2], [0, 1]] as const;
    expectRef('MaxPool2d(3, { stride: [2, 1], padding: [[1, 2], [0, 1]] })', new nn.MaxPool2d(3, { stride: [2, 1], padding: pad }).call(x));
    expectRef('AvgPool2d(3, { stride: [2, 1], padding: [[1, 2], [0, 1]] })', new nn.AvgPool2d(3, { stride: [2, 1], padding: pad }).call(x));
    expectRef("AvgPool2d([3, 2], { stride: 2, padding: 'SAME' })", new nn.AvgPool2d([3, 2], { stride: 2, padding: 'SAME' }).call(x));
    expectRef("MaxPool1d(3, { stride: 2, padding: 'SAME' })", new nn.MaxPool1d(3, { stride: 2, padding: 'SAME' }).call(det([2, 11, 4], 0.2)));
    expectRef("MaxPool3d(2, { stride: 2, padding: 'SAME' })",
      new nn.MaxPool3d(2, { stride: 2, padding: 'SAME' }).call(det([1, 5, 4, 6, 2], 0.3)));
  });

  it('GroupNorm and RMSNorm', () => {
    const gn = new nn.GroupNorm([4, 3, 8], { numGroups: 4, scaleInit: det([1, 1, 8], 0.5), biasInit: det([1, 1, 8], 0.6) });
    expectRef('GroupNorm([4, 3, 8], { numGroups: 4 })', gn.call(det([2, 4, 3, 8], 0.4, 2)), 2e-5);
    const rms = new nn.RMSNorm([10], { scaleInit: det([10], 0.8) });
    expectRef('RMSNorm([10])', rms.call(det([3, 10], 0.7, 3)));
  });

  it('transposed and general convolutions: explicit padding, strides, both dilations, groups', () => {
    const xt = det([2, 6, 4], 0.9);
    expectRef('ConvTranspose1d([6, 4], 6, 3, { stride: 2, rhsDilation: 2, groups: 2, padding: [[1, 2]] })',
      new nn.ConvTranspose1d([6, 4], 6, 3, { stride: 2, rhsDilation: 2, groups: 2, padding: [[1, 2]], wInit: det([3, 6, 2], 1.0, 0.5) }).call(xt));
    expectRef("ConvTranspose1d([6, 4], 6, 3, { stride: 3, padding: 'VALID' })",
      new nn.ConvTranspose1d([6, 4], 6, 3, { stride: 3, padding: 'VALID', wInit: det([3, 6, 4], 1.1, 0.5) }).call(xt));
    const name = 'Conv2d([9, 8, 4], 6, [3, 2], { stride: [2, 1], lhsDilation: [1, 2], rhsDilation: [2, 1], groups: 2, padding: [[1, 0], [2, 1]] })';
    expectRef(name, new nn.Conv2d([9, 8, 4], 6, [3, 2], { stride: [2, 1], lhsDilation: [1, 2], rhsDilation: [2, 1], groups: 2,
      padding: [[1, 0], [2, 1]], wInit: det([3, 2, 2, 6], 1.3, 0.5) }).call(det([2, 9, 8, 4], 1.2)));
  });

  it('recurrent cells: one step of each, with BrainState gate orders and the LSTM forget bias', () => {
    const x = det([2, 3], 1.4);
    const h0 = () => det([2, 4], 1.5, 0.5);
    const c0 = () => det([2, 4], 1.6, 0.5);
    const lin = (l: bst.nn.Linear, w: tf.Tensor, b?: tf.Tensor) => { l.weight.value = b === undefined ? { weight: w } : { weight: w, bias: b }; };

    const gru = new nn.GRUCell(3, 4);
    gru.initState(2);
    gru.h!.value = h0();
    lin(gru.Wrz, det([7, 8], 1.7, 0.4), det([8], 1.8, 0.1));
    lin(gru.Wh, det([7, 4], 1.9, 0.4), det([4], 2.0, 0.1));
    expectRef('GRUCell(3, 4)', gru.call(x));

    const lstm = new nn.LSTMCell(3, 4);
    lstm.initState(2);
    lstm.h!.value = h0();
    lstm.c!.value = c0();
    lin(lstm.W, det([7, 16], 2.1, 0.4), det([16], 2.2, 0.1));
    expectRef('LSTMCell(3, 4) h', lstm.call(x));
    expectRef('LSTMCell(3, 4) c', lstm.c!.value);

    const mgu = new nn.MGUCell(3, 4);
    mgu.initState(2);
    mgu.h!.value = h0();
    lin(mgu.Wf, det([7, 4], 2.3, 0.4), det([4], 2.4, 0.1));
    lin(mgu.Wh, det([7, 4], 2.5, 0.4), det([4], 2.6, 0.1));
    expectRef('MGUCell(3, 4)', mgu.call(x));

    const ur = new nn.URLSTMCell(3, 4);
    ur.initState(2);
    ur.h!.value = h0();
    ur.c!.value = c0();
    lin(ur.W, det([7, 16], 2.7, 0.4));
    ur.bias.value = det([4], 2.8, 0.5);
    expectRef('URLSTMCell(3, 4) h', ur.call(x));
    expectRef('URLSTMCell(3, 4) c', ur.c!.value);

    const rnn = new nn.ValinaRNNCell(3, 4);
    rnn.initState(2);
    rnn.h!.value = h0();
    lin(rnn.W, det([7, 4], 2.9, 0.4), det([4], 3.0, 0.1));
    expectRef('ValinaRNNCell(3, 4)', rnn.call(x));
  });
});

/**
 * Gradients through the event-driven product, with respect to per-synapse and
 * homogeneous weights and to float (surrogate) spikes: against the dense form (the same
 * product written with tfjs matMuls of one-hot matrices, which tfjs differentiates
 * itself) and against central finite differences; through transform.grad, under jit,
 * and through a LIF's surrogate spikes.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { expectTensorClose } from '../helpers';

const { event, transform } = bst;

/** The product as tfjs ops: ((s R^T) * w) C with one-hot rows R [nnz, nPre] and columns C [nnz, nPost]. */
function denseForm(conn: bst.event.SparseConn): (s: tf.Tensor, w: tf.Tensor) => tf.Tensor {
  const indptr = conn.indptr.dataSync();
  const rows: number[] = [];
  for (let i = 0; i < conn.shape[0]; i++) for (let k = indptr[i]; k < indptr[i + 1]; k++) rows.push(i);
  const R = tf.keep(tf.oneHot(tf.tensor1d(rows, 'int32'), conn.shape[0]).toFloat());
  const C = tf.keep(tf.oneHot(conn.indices, conn.shape[1]).toFloat());
  return (s, w) => tf.matMul(tf.mul(tf.matMul(s, R, false, true), w), C);
}

/** A loss with non-zero second derivative, so its gradient depends on y. */
function loss(y: tf.Tensor, c: tf.Tensor): tf.Scalar {
  return tf.add(tf.sum(tf.mul(y, c)), tf.mul(tf.sum(tf.square(y)), 0.5)) as tf.Scalar;
}

/** Central differences of `f` at `x` along element `i`. */
function finiteDiff(f: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor, i: number, h: number): number {
  const v = x.dataSync().slice();
  const at = (d: number) => tf.tidy(() => {
    const u = v.slice();
    u[i] += d;
    return f(tf.tensor(u, x.shape)).dataSync()[0];
  });
  return (at(h) - at(-h)) / (2 * h);
}

describe('event: gradients', () => {
  // Made once the backend is chosen (describe bodies run before the setup hook).
  let conn: bst.event.FixedProb;
  let dense: (s: tf.Tensor, w: tf.Tensor) => tf.Tensor;
  let s: tf.Tensor;
  let c: tf.Tensor;
  before(() => {
    conn = new event.FixedProb(12, 9, 0.3, new bst.nn.init.Normal(0, 1), { seed: 4 });
    dense = denseForm(conn);
    s = tf.keep(tf.tensor2d(Array.from({ length: 3 * 12 }, (_, k) => ((k * 7) % 5 === 0 ? 0 : ((k % 4) - 1.5) / 2)), [3, 12]));
    c = tf.keep(tf.tensor2d(Array.from({ length: 27 }, (_, k) => Math.sin(k)), [3, 9]));
  });

  it('per-synapse weights and float spikes: equal to the dense form and to finite differences', () => {
    const w = conn.weight.value;
    const call = (ss: tf.Tensor, ww: tf.Tensor) => event.eventCsrMatVec(ss, conn.layout, ww, 'spec');
    const [gs, gw] = tf.grads((ss: tf.Tensor, ww: tf.Tensor) => loss(call(ss, ww), c))([s, w]);
    const [ds, dw] = tf.grads((ss: tf.Tensor, ww: tf.Tensor) => loss(dense(ss, ww), c))([s, w]);
    expectTensorClose(gs, ds, 1e-4);
    expectTensorClose(gw, dw, 1e-4);
    const gwv = gw.dataSync();
    const gsv = gs.dataSync();
    for (const i of [0, 5, conn.nnz - 1]) {
      expect(gwv[i]).to.be.closeTo(finiteDiff((x) => loss(call(s, x), c), w, i, 0.05), 2e-2 * (1 + Math.abs(gwv[i])));
    }
    for (const i of [1, 13, 35]) {
      expect(gsv[i]).to.be.closeTo(finiteDiff((x) => loss(call(x, w), c), s, i, 0.05), 2e-2 * (1 + Math.abs(gsv[i])));
    }
    tf.dispose([gs, gw, ds, dw]);
  });

  it('a homogeneous weight gets the sum over its synapses', () => {
    const homo = new event.FixedProb(12, 9, 0.3, 0.7, { seed: 4 });
    const w = homo.weight.value;
    const [g] = tf.grads((ww: tf.Tensor) => loss(event.eventCsrMatVec(s, homo.layout, ww, 'spec'), c))([w]);
    const [d] = tf.grads((ww: tf.Tensor) => loss(dense(s, tf.mul(tf.ones([homo.nnz]), ww)), c))([w]);
    expect(g.shape).to.deep.equal([]);
    expectTensorClose(g, d, 1e-4);
    expect(g.dataSync()[0]).to.be.closeTo(finiteDiff((x) => loss(event.eventCsrMatVec(s, homo.layout, x, 'spec'), c), w, 0, 0.05),
      2e-2 * (1 + Math.abs(g.dataSync()[0])));
    tf.dispose([g, d]);
  });

  it('transform.grad over the weight state, eagerly and jitted (bit for bit)', () => {
    const f = (x: tf.Tensor) => loss(conn.call(x), c);
    const grad = transform.grad(f, { gradStates: conn.weight });
    const eager = grad(s) as tf.Tensor;
    const jitted = transform.jit(grad)(s) as tf.Tensor;
    const [ref] = tf.grads((ww: tf.Tensor) => loss(dense(s, ww), c))([conn.weight.value]);
    expectTensorClose(eager, ref, 1e-4);
    expectTensorClose(jitted, eager, 0);
    tf.dispose([eager, jitted, ref]);
  });

  it('through surrogate spikes of LIF neurons into the connectivity, as the dense form', () => {
    const spk = bst.nn.surrogate.sigmoid({ alpha: 2 });
    const v = tf.tensor2d(Array.from({ length: 36 }, (_, k) => Math.cos(k) * 1.5), [3, 12]);
    const w = conn.weight.value;
    const [g] = tf.grads((x: tf.Tensor) => loss(conn.call(spk(x)), c))([v]);
    const [d] = tf.grads((x: tf.Tensor) => loss(dense(spk(x), w), c))([v]);
    expectTensorClose(g, d, 1e-4);
    expect(tf.sum(tf.abs(g)).dataSync()[0]).to.be.greaterThan(0);
    tf.dispose([v, g, d]);
  });

  it('second order: the weight gradient of a spike-gradient product matches the dense form', () => {
    const w = conn.weight.value;
    const u = tf.tensor2d(Array.from({ length: 36 }, (_, k) => (k % 3) - 1), [3, 12]);
    const outer = (mat: (ss: tf.Tensor, ww: tf.Tensor) => tf.Tensor) => (ww: tf.Tensor) => {
      const gs = tf.grad((ss: tf.Tensor) => loss(mat(ss, ww), c))(s);
      return tf.sum(tf.mul(gs, u)) as tf.Scalar;
    };
    const g = tf.grad(outer((ss, ww) => event.eventCsrMatVec(ss, conn.layout, ww, 'spec')))(w);
    const d = tf.grad(outer(dense))(w);
    expectTensorClose(g, d, 1e-4);
    tf.dispose([u, g, d]);
  });
});

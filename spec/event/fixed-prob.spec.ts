/**
 * event.FixedProb: the drawn structure (degrees, distinct targets, no self-connections,
 * fixed in-degree), reproducibility per seed and through random.DEFAULT, and the
 * product against the dense form.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { expectTensorClose, expectThrowsWith } from '../helpers';

const { event } = bst;

function rowsOf(conn: bst.event.SparseConn): number[][] {
  const indptr = conn.indptr.dataSync();
  const indices = conn.indices.dataSync();
  return Array.from({ length: conn.shape[0] }, (_, i) => Array.from(indices.slice(indptr[i], indptr[i + 1])));
}

describe('event.FixedProb', () => {
  it('gives every pre-synaptic neuron floor(nPost * prob) targets, sorted; 4000 x 0.02 is 80', () => {
    const conn = new event.FixedProb(3200, 4000, 0.02, 0.6, { seed: 42 });
    expect(conn.nnz).to.equal(3200 * 80);
    const rows = rowsOf(conn);
    expect(rows.every((r) => r.length === 80)).to.equal(true);
    expect(rows.every((r) => r.every((j, k) => k === 0 || r[k - 1] <= j))).to.equal(true);
    // Targets look uniform: every post-synaptic neuron receives about 64 synapses.
    const inDeg = new Array(4000).fill(0);
    for (const r of rows) for (const j of r) inDeg[j]++;
    const mean = inDeg.reduce((a, b) => a + b, 0) / 4000;
    const sd = Math.sqrt(inDeg.reduce((a, b) => a + (b - mean) ** 2, 0) / 4000);
    expect(mean).to.equal(64);
    expect(sd).to.be.within(6, 10); // binomial(256000, 1/4000): sd 8
  });

  it('is reproducible per seed, differs between seeds, and without a seed follows random.seed', () => {
    const a = new event.FixedProb(50, 60, 0.1, 1, { seed: 7 });
    const b = new event.FixedProb(50, 60, 0.1, 1, { seed: 7 });
    const c = new event.FixedProb(50, 60, 0.1, 1, { seed: 8 });
    expect(rowsOf(a)).to.deep.equal(rowsOf(b));
    expect(rowsOf(a)).to.not.deep.equal(rowsOf(c));
    bst.random.seed(3);
    const d = new event.FixedProb(50, 60, 0.1, 1);
    bst.random.seed(3);
    const e = new event.FixedProb(50, 60, 0.1, 1);
    expect(rowsOf(d)).to.deep.equal(rowsOf(e));
  });

  it('allowMultiConn false draws distinct targets; includeSelf false never connects i to i', () => {
    const conn = new event.FixedProb(40, 40, 0.9, 1, { seed: 1, allowMultiConn: false, includeSelf: false });
    rowsOf(conn).forEach((r, i) => {
      expect(r.length).to.equal(36);
      expect(new Set(r).size).to.equal(36);
      expect(r.includes(i)).to.equal(false);
    });
    // With replacement, duplicates do occur at this density.
    const multi = rowsOf(new event.FixedProb(40, 40, 0.9, 1, { seed: 1 }));
    expect(multi.some((r) => new Set(r).size < r.length)).to.equal(true);
    // Without replacement and all targets asked for, each row is every other neuron.
    const full = rowsOf(new event.FixedProb(5, 5, 1, 1, { seed: 2, allowMultiConn: false, includeSelf: false }));
    expect(full[2]).to.deep.equal([0, 1, 3, 4]);
  });

  it('fixedInDegree gives every post-synaptic neuron floor(nPre * prob) sources', () => {
    const conn = new event.FixedProb(200, 30, 0.05, 1, { seed: 5, fixedInDegree: true, allowMultiConn: false });
    const inDeg = new Array(30).fill(0);
    const sources: number[][] = Array.from({ length: 30 }, () => []);
    rowsOf(conn).forEach((r, i) => r.forEach((j) => { inDeg[j]++; sources[j].push(i); }));
    expect(inDeg.every((d) => d === 10)).to.equal(true);
    expect(sources.every((s) => new Set(s).size === 10)).to.equal(true);
  });

  it('calls equal the dense product; per-synapse weights from an initialiser; a probability too small gives no synapse', () => {
    const conn = new event.FixedProb(30, 20, 0.2, new bst.nn.init.Normal(0, 1), { seed: 9 });
    expect(conn.weight.value.shape).to.deep.equal([conn.nnz]);
    tf.tidy(() => {
      const s = tf.cast(tf.greater(bst.random.uniform([4, 30]), 0.5), 'float32');
      expectTensorClose(conn.call(s), tf.matMul(s, conn.toDense()), 1e-5);
    });
    const none = new event.FixedProb(30, 20, 0.01, 1, { seed: 9 });
    expect(none.nnz).to.equal(0);
    tf.tidy(() => expectTensorClose(none.call(tf.ones([30])), tf.zeros([20])));
  });

  it('rejects bad arguments', () => {
    const E = bst.BrainStateError;
    expectThrowsWith(() => new event.FixedProb(10, 10, 1.5, 1), E, 'prob in [0, 1]');
    expectThrowsWith(() => new event.FixedProb(-1, 10, 0.5, 1), E, 'nPre', 'non-negative integer');
    expectThrowsWith(() => new event.FixedProb(10, 10, 0.5, 1, { seed: 0.5 }), E, 'integer seed');
    expectThrowsWith(() => new event.FixedProb(10, 10, 0.5, tf.ones([3]), { seed: 1 }), E, 'one per synapse');
  });
});

/**
 * event.CSR / COO: the event-driven product against tfjs's dense matMul of the same
 * matrix (built here from the user's arrays), eagerly, jitted and inside jitted loops;
 * the tf-op fallback; argument errors; no leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { expectNoLeaks, expectTensorClose, expectThrowsWith } from '../helpers';

const { event, transform } = bst;

/** Values as comparable items (NaN equal to NaN; -0 apart from +0). */
function bitsOf(t: tf.Tensor | number[]): string[] {
  return Array.from(Array.isArray(t) ? t : t.dataSync()).map((v) => (Object.is(v, -0) ? '-0' : String(v)));
}

/** A random CSR structure (with a duplicate synapse and an empty row) and its dense matrix for `w`. */
function fixture(nPre: number, nPost: number, seed: number) {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const indptr = [0];
  const indices: number[] = [];
  for (let i = 0; i < nPre; i++) {
    const d = i === 1 ? 0 : 1 + Math.floor(rand() * 4);
    for (let k = 0; k < d; k++) indices.push(Math.floor(rand() * nPost));
    if (i === 2) indices.push(indices[indices.length - 1]); // a duplicate synapse
    indptr.push(indices.length);
  }
  const w = indices.map(() => rand() * 2 - 1);
  const dense = (weights: number[] | number) => {
    const m = new Float32Array(nPre * nPost);
    for (let i = 0; i < nPre; i++) {
      for (let k = indptr[i]; k < indptr[i + 1]; k++) {
        m[i * nPost + indices[k]] += typeof weights === 'number' ? weights : weights[k];
      }
    }
    return tf.tensor2d(m, [nPre, nPost]);
  };
  return { indptr, indices, w, dense };
}

describe('event.CSR / COO', () => {
  const nPre = 7;
  const nPost = 5;
  const f = fixture(nPre, nPost, 3);

  it('equals the dense product for bool, 0/1 and float spikes, homogeneous and per-synapse weights, with a batch', () => {
    const perSyn = new event.CSR(tf.tensor1d(f.w), f.indices, f.indptr, [nPre, nPost]);
    const homo = new event.CSR(0.75, f.indices, f.indptr, [nPre, nPost]);
    expect(perSyn.nnz).to.equal(f.indices.length);
    tf.tidy(() => {
      const Wp = f.dense(f.w);
      const Wh = f.dense(0.75);
      const bools = tf.tensor1d([true, false, true, true, false, false, true], 'bool');
      const floats = tf.tensor1d([0.5, 0, -2, 1, 0, 3, 0.25]);
      const batch = tf.tensor2d([[1, 0, 0, 1, 1, 0, 1], [0, 1, 1, 0, 0, 1, 0], [0, 0, 0, 0, 0, 0, 0]]);
      const dense = (s: tf.Tensor, W: tf.Tensor) => (s.rank === 1 ? tf.squeeze(tf.matMul(tf.expandDims(tf.cast(s, 'float32'), 0), W), [0])
        : tf.matMul(tf.cast(s, 'float32'), W));
      for (const [conn, W] of [[perSyn, Wp], [homo, Wh]] as const) {
        for (const s of [bools, floats, batch]) expectTensorClose(conn.call(s), dense(s, W), 1e-5);
      }
      expectTensorClose(perSyn.toDense(), Wp, 0);
      expect(perSyn.call(batch).shape).to.deep.equal([3, nPost]);
    });
  });

  it('int32 spikes are cast; csrMatVec is the gather product W x', () => {
    const conn = new event.CSR(tf.tensor1d(f.w), f.indices, f.indptr, [nPre, nPost]);
    tf.tidy(() => {
      const s = tf.tensor2d([[1, 0, 2, 1, 0, 0, 1], [0, 1, 1, 0, 1, 1, 0]], undefined, 'int32');
      expectTensorClose(conn.call(s), tf.matMul(tf.cast(s, 'float32'), f.dense(f.w)), 1e-5);
      const x = tf.tensor2d([[1, 2, 3, 4, 5], [-1, 0, 1, 0, -1]]);
      expectTensorClose(event.csrMatVec(x, conn.layout, conn.weight.value, 'spec'),
        tf.matMul(x, tf.transpose(f.dense(f.w))), 1e-5);
    });
  });

  it('the tf-op fallback for backends without the kernel gives the same numbers', function () {
    if (tf.getKernel('UnsortedSegmentSum', tf.getBackend()) == null) {
      // The fallback serves tensorflow and webgpu, which have UnsortedSegmentSum; wasm has the kernel.
      this.skip();
    }
    const conn = new event.CSR(tf.tensor1d(f.w), f.indices, f.indptr, [nPre, nPost]);
    tf.tidy(() => {
      const s = tf.tensor2d([[1, 0, 2, 1, 0, 0, 1], [0, 1, 1, 0, 1, 1, 0]]);
      expectTensorClose(event.eventCsrMatVecOps(s, conn.layout, conn.weight.value), conn.call(s), 1e-5);
    });
  });

  it('skips the rows of silent neurons: a 0 spike times an infinite weight adds nothing', () => {
    const conn = new event.CSR(tf.tensor1d([Infinity, 1]), [0, 1], [0, 1, 2], [2, 2]);
    tf.tidy(() => expectTensorClose(conn.call(tf.tensor1d([0, 1])), [0, 1]));
  });

  it('is one kernel under jit, bit-identical to eager, and traces once per shape', () => {
    const conn = new event.CSR(tf.tensor1d(f.w), f.indices, f.indptr, [nPre, nPost]);
    const fn = transform.jit((s: tf.Tensor) => conn.call(s));
    const s = tf.tensor1d([1, 0, 1, 1, 0, 1, 1]);
    const eager = conn.call(s);
    const jitted = fn(s);
    expectTensorClose(jitted, eager, 0);
    fn(s).dispose();
    expect(fn.traceCount).to.equal(1);
    const text = fn.lower(s).toString();
    expect(text).to.contain(event.EVENT_CSR_MATVEC);
    expect(text).to.contain('state weight (ParamState)');
    tf.dispose([s, eager, jitted]);
  });

  it('runs inside jitted forLoop and scan, carrying states, as the eager loop does', () => {
    const conn = new event.CSR(tf.tensor1d(f.w), f.indices, f.indptr, [nPre, nPost]);
    const run = (g: bst.HiddenState) => (s: tf.Tensor) => {
      g.value = tf.add(tf.mul(g.value, 0.9), conn.call(s));
      return g.value;
    };
    const spikes = tf.tensor2d(Array.from({ length: 12 }, (_, t) => Array.from({ length: nPre }, (_, i) => ((t + i) % 3 === 0 ? 1 : 0))));
    const gE = new bst.HiddenState(tf.zeros([nPost]));
    const gJ = new bst.HiddenState(tf.zeros([nPost]));
    const eager = transform.forLoop(run(gE), spikes) as tf.Tensor;
    const jitted = transform.jit((x: tf.Tensor) => transform.forLoop(run(gJ), x))(spikes) as tf.Tensor;
    expectTensorClose(jitted, eager, 0);
    expectTensorClose(gJ.value, gE.value, 0);
    const [carry] = transform.jit((x: tf.Tensor) => transform.scan((c: tf.Tensor, s: tf.Tensor) => {
      const y = tf.add(c, conn.call(s));
      return [y, y];
    }, tf.zeros([nPost]), x))(spikes) as [tf.Tensor, tf.Tensor];
    expectTensorClose(carry, tf.matMul(tf.ones([1, 12]), tf.matMul(spikes, f.dense(f.w))).reshape([nPost]), 1e-4);
    tf.dispose([spikes, eager, jitted]);
  });

  it('many spiking rows (more than one batch of fetched rows), a batch of spike vectors: each output sums its rows in row order', () => {
    // The kernel lists the spiking rows and fetches them in batches before it scatters them;
    // the sums must still be taken row after row, as the plain loop below does (float32 adds).
    const big = fixture(300, 40, 11);
    const nP = 300;
    const spikes = new Float32Array(2 * nP);
    for (let j = 0; j < spikes.length; j++) spikes[j] = j % 7 === 3 ? 0 : j % 11 === 5 ? -0 : j % 5 === 0 ? 1 : (j % 13) / 4 - 1.3;
    // Long silent runs of +0 and -0 (the scans skip 8 or 16 at a time), with a subnormal spike
    // inside one, a NaN spike, and a negative subnormal near the end of a vector.
    for (let j = 100; j < 180; j++) spikes[j] = j % 3 === 0 ? -0 : 0;
    for (let j = 400; j < 460; j++) spikes[j] = j % 2 === 0 ? -0 : 0;
    spikes[150] = 1e-45;
    spikes[37] = NaN;
    spikes[298] = -1e-45;
    const rowOrder = (weights: number[] | number) => {
      const out = new Float32Array(2 * 40);
      for (let b = 0; b < 2; b++) {
        for (let i = 0; i < nP; i++) {
          const si = spikes[b * nP + i];
          if (si === 0) continue;
          for (let k = big.indptr[i]; k < big.indptr[i + 1]; k++) {
            out[b * 40 + big.indices[k]] += si * Math.fround(typeof weights === 'number' ? weights : weights[k]);
          }
        }
      }
      return Array.from(out);
    };
    tf.tidy(() => {
      const s = tf.tensor2d(spikes, [2, nP]);
      for (const weights of [big.w, 0.75]) {
        const conn = new event.CSR(typeof weights === 'number' ? weights : tf.tensor1d(weights), big.indices, big.indptr, [nP, 40]);
        const want = rowOrder(weights);
        expect(bitsOf(conn.call(s))).to.deep.equal(bitsOf(want));
        expect(bitsOf(transform.jit((x: tf.Tensor) => conn.call(x))(s) as tf.Tensor)).to.deep.equal(bitsOf(want));
        expect(want.some((v) => Number.isNaN(v))).to.equal(true); // the NaN spike was read
      }
    });
  });

  it('COO sorts by row (perm maps stored synapses to list entries) and equals CSR', () => {
    const rows = [4, 0, 2, 0, 6, 2];
    const cols = [1, 3, 0, 4, 2, 0];
    const w = [1, 2, 3, 4, 5, 6];
    const coo = new event.COO(tf.tensor1d(w), rows, cols, [nPre, nPost]);
    expect(Array.from(coo.perm)).to.deep.equal([1, 3, 2, 5, 0, 4]);
    expect(Array.from(coo.indptr.dataSync())).to.deep.equal([0, 2, 2, 4, 4, 5, 5, 6]);
    const dense = new Float32Array(nPre * nPost);
    rows.forEach((r, k) => { dense[r * nPost + cols[k]] += w[k]; });
    tf.tidy(() => {
      const s = tf.tensor1d([1, 1, 1, 0, 1, 0, 1]);
      expectTensorClose(coo.call(s), tf.matMul(tf.expandDims(s, 0), tf.tensor2d(dense, [nPre, nPost])).reshape([nPost]));
    });
  });

  it('rejects bad structures, weights and spikes with errors that say what to do', () => {
    const E = bst.BrainStateError;
    expectThrowsWith(() => new event.CSR(1, [0, 1], [0, 1], [2, 2]), E, 'indptr', 'nPre + 1 = 3');
    expectThrowsWith(() => new event.CSR(1, [0, 2], [0, 1, 2], [2, 2]), E, 'post-synaptic index in [0, 2)', 'got 2');
    expectThrowsWith(() => new event.CSR(1, [0, 1], [0, 2, 1, 2], [3, 2]), E, 'non-decreasing');
    expectThrowsWith(() => new event.CSR(tf.ones([3]), [0, 1], [0, 1, 2], [2, 2]), E, 'float32 tensor of shape [2]');
    expectThrowsWith(() => new event.CSR(1, [0, 1], [0, 1, 2], [2]), E, 'shape [nPre, nPost]');
    expectThrowsWith(() => new event.COO(1, [0, 5], [0, 1], [2, 2]), E, 'row index in [0, 2)');
    const conn = new event.CSR(1, [0, 1], [0, 1, 2], [2, 2]);
    expectThrowsWith(() => conn.call(tf.ones([3])), E, 'CSR.call', 'spikes of shape [..., 2]');
    expectThrowsWith(() => conn.call(tf.tensor1d(['a', 'b'])), E, 'bool or float32 spikes');
  });

  it('leaves numTensors and numBytes flat, eagerly and jitted', () => {
    const conn = new event.CSR(tf.tensor1d(f.w), f.indices, f.indptr, [nPre, nPost]);
    const s = tf.tensor1d([1, 0, 1, 1, 0, 1, 1]);
    const fn = transform.jit((x: tf.Tensor) => conn.call(x));
    fn(s).dispose();
    expectNoLeaks(() => { conn.call(s).dispose(); fn(s).dispose(); }, 50);
    s.dispose();
  });
});

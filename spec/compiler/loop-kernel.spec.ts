/**
 * Whole-loop kernels (src/compiler/fusion/loop-kernel.ts): a jitted forLoop / scan whose body
 * is fused kernels, event-driven CSR products and views runs in one kernel call. Its results
 * are eager tfjs's, bit for bit (spikes, voltages, conductances, stacked ys), with and
 * without SIMD, for sizes that leave a tail of size % 4 elements; no leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { withConfig } from '../../src/config';
import { pointwiseLoopCallCount, wholeLoopCallCount } from '../../src/compiler/fusion/loop-kernel';
import { targetNamed } from '../../src/backend/targets';
import { isFusionTarget } from '../../src/compiler/fusion/ops';
import { CobaNet } from '../../samples/coba';

const { transform } = bst;

/** The values of `t` as an array (NaN and -0 kept apart by deep equality of Object.is-compared items). */
function bits(t: tf.Tensor): number[] {
  return Array.from(t.dataSync()).map((v) => (Object.is(v, -0) ? -1e-300 : v));
}

/** Runs `fn` and says whether a whole-loop kernel ran in it. */
function tookWholeLoop(fn: () => void): boolean {
  const before = wholeLoopCallCount();
  fn();
  return wholeLoopCallCount() > before;
}

function lifStep(v: bst.HiddenState, i: tf.Tensor): tf.Tensor {
  const next = tf.add(v.value, tf.mul(0.2, tf.add(tf.neg(v.value), i)));
  const spike = tf.greaterEqual(next, 1);
  v.value = tf.where(spike, 0 as unknown as tf.Tensor, next);
  return spike;
}

for (const simd of [true, false]) {
  describe(`whole-loop kernels (simd ${simd ? 'on' : 'off'})`, () => {
    // Whole-loop kernels run where the jit addresses the backend's memory (not webgpu's fused WGSL).
    const taken = () => isFusionTarget(tf.getBackend()) && targetNamed(tf.getBackend())?.memory !== undefined;
    before(function () {
      if (!taken()) {
        console.log(`      whole-loop kernel specs skipped: no whole-loop kernels on ${bst.backend.name()} (they run where ` +
          'the jit addresses the backend\'s memory: cpu, wasm); its loops are checked against eager by spec/transform/loops*.spec.ts');
        this.skip();
      }
    });

    it('a LIF simulation over xs (state carry, stacked bool spikes) equals eager, with a size % 4 tail', function () {
      withConfig({ simd }, () => {
        for (const n of [16, 10]) {
          const steps = 37;
          const xs = tf.tidy(() => tf.add(tf.mul(tf.range(0, steps * n).reshape([steps, n]), 1e-3), 1.05));
          const vE = new bst.HiddenState(tf.zeros([n]));
          const vJ = new bst.HiddenState(tf.zeros([n]));
          const eager = transform.forLoop((i: tf.Tensor) => lifStep(vE, i), xs) as tf.Tensor;
          const f = transform.jit((x: tf.Tensor) => transform.forLoop((i: tf.Tensor) => lifStep(vJ, i), x) as tf.Tensor);
          let jitted: tf.Tensor | undefined;
          const took = tookWholeLoop(() => { f(xs).dispose(); });
          vJ.value = tf.zeros([n]);
          jitted = f(xs);
          expect(took, 'whole-loop kernel taken').to.equal(taken());
          expect(jitted.dtype).to.equal('bool');
          expect(bits(jitted)).to.deep.equal(bits(eager));
          expect(bits(vJ.value)).to.deep.equal(bits(vE.value));
          expect(bits(eager).some((s) => s === 1), 'some spikes').to.equal(true);
          [xs, eager, jitted].forEach((t) => t.dispose());
          jitted = undefined;
          f.clearCache();
        }
      });
    });

    it('a pointwise body (one fused kernel: two carries, an x, invariants) runs as one SIMD call with the same bits as eager', function () {
      withConfig({ simd }, () => {
        // An Izhikevich-like neuron: v, u carries; input rows; a per-neuron bias (a body constant) and a scalar invariant.
        for (const [n, steps] of [[48, 37], [20, 5], [12, 1], [4, 2], [36, 64]]) {
          const bias = tf.tidy(() => tf.add(tf.mul(tf.range(0, n), 0.25), 140));
          const gain = tf.scalar(1.5);
          const body = (c: tf.Tensor[], x: tf.Tensor): [tf.Tensor[], tf.Tensor[]] => {
            const [v, u] = c;
            const dv = tf.add(tf.sub(tf.add(tf.mul(tf.mul(v, v), 0.04), tf.mul(v, 5)), u), tf.add(tf.mul(x, gain), bias));
            const v1 = tf.add(v, tf.mul(dv, 0.5));
            const u1 = tf.add(u, tf.mul(tf.sub(tf.mul(v1, 0.2), u), 0.02));
            const spike = tf.greaterEqual(v1, 30);
            return [[tf.where(spike, tf.mul(tf.onesLike(v1), -65), v1), tf.where(spike, tf.add(u1, 8), u1)], [spike, tf.sub(v1, u1)]];
          };
          const init = [tf.fill([n], -65), tf.fill([n], -13)];
          const xs = tf.tidy(() => tf.add(tf.mul(tf.sin(tf.range(0, steps * n).reshape([steps, n])), 4), 20));
          const [ce, ye] = transform.scan(body, init, xs);
          const f = transform.jit((x: tf.Tensor) => transform.scan(body, init, x));
          const before = pointwiseLoopCallCount();
          let out!: [tf.Tensor[], tf.Tensor[]];
          const took = tookWholeLoop(() => { out = f(xs); });
          expect(took, 'whole-loop kernel taken').to.equal(taken());
          expect(pointwiseLoopCallCount() > before, `pointwise form taken (n ${n})`).to.equal(taken() && simd);
          out[0].forEach((t, k) => expect(bits(t), `carry ${k}, n ${n}, steps ${steps}`).to.deep.equal(bits(ce[k])));
          out[1].forEach((t, k) => {
            expect(t.dtype, `y ${k}`).to.equal(ye[k].dtype);
            expect(bits(t), `y ${k}, n ${n}, steps ${steps}`).to.deep.equal(bits(ye[k]));
          });
          if (steps > 30) expect(bits(ye[0]).some((x) => x === 1), 'some spikes').to.equal(true);
          tf.dispose([...out[0], ...out[1]]);
          const memory = tf.memory().numTensors;
          tf.dispose(f(xs).flat());
          expect(tf.memory().numTensors, 'no leak').to.equal(memory);
          f.clearCache();
          tf.dispose([bias, gain, xs, ...init, ...ce, ...ye]);
        }
      });
    });

    it('a carry updated in place where nothing later reads its old value, kept apart where something does: both equal eager', function () {
      withConfig({ simd }, () => {
        const n = 14;
        const conn = new bst.event.CSR(0.5, Array.from({ length: 2 * n }, (_, k) => (k * 5) % n),
          Array.from({ length: n + 1 }, (_, i) => 2 * i), [n, n]);
        // a: its writer (the first fused kernel) is the last reader of its old value: in place.
        // b: a kernel after its writer reads the old b (b + m, m made from the new b): two buffers.
        const body = (c: tf.Tensor[], x: tf.Tensor): [tf.Tensor[], tf.Tensor[]] => {
          const [a, b] = c;
          const a2 = tf.add(tf.mul(a, 0.75), x);
          const b2 = tf.sub(tf.mul(b, 0.5), a2);
          const m = conn.call(tf.cast(tf.greater(b2, 0), 'float32'));
          return [[a2, b2], [tf.add(b, m)]];
        };
        const init = [tf.linspace(-1, 1, n), tf.linspace(2, -3, n)];
        const xs = tf.tidy(() => tf.sin(tf.range(0, 6 * n).reshape([6, n])));
        const [ce, ye] = transform.scan(body, init, xs);
        const f = transform.jit((x: tf.Tensor) => transform.scan(body, init, x));
        f(xs);
        let out!: [tf.Tensor[], tf.Tensor[]];
        const took = tookWholeLoop(() => { out = f(xs); });
        expect(took).to.equal(taken());
        out[0].forEach((t, k) => expect(bits(t), `carry ${k}`).to.deep.equal(bits(ce[k])));
        expect(bits(out[1][0]), 'y').to.deep.equal(bits(ye[0]));
        // The inputs of the call are left as they were (an in-place carry starts from a copy).
        expect(bits(init[0])).to.deep.equal(bits(tf.linspace(-1, 1, n)));
        f.clearCache();
        conn.dispose();
      });
    });

    it('carries that swap, pass through and are reshaped or sliced equal eager', function () {
      withConfig({ simd }, () => {
        const body = (c: tf.Tensor[], x: tf.Tensor): [tf.Tensor[], tf.Tensor[]] => {
          const [a, b, k] = c;
          const s = tf.add(tf.mul(a, 0.5), x);
          const flat = tf.reshape(tf.mul(b, 2), [12]);
          return [[b, tf.reshape(s, [3, 4]).reshape([12]), k], [tf.slice(flat, [4], [8]), x, a]];
        };
        const init = [tf.linspace(-1, 1, 12), tf.linspace(2, 3, 12), tf.scalar(7)];
        const xs = tf.tidy(() => tf.sin(tf.range(0, 5 * 12).reshape([5, 12])));
        const [ce, ye] = transform.scan(body, init, xs);
        const f = transform.jit((x: tf.Tensor) => transform.scan(body, init, x));
        f(xs);
        let out!: [tf.Tensor[], tf.Tensor[]];
        const took = tookWholeLoop(() => { out = f(xs); });
        expect(took).to.equal(taken());
        out[0].forEach((t, k) => expect(bits(t), `carry ${k}`).to.deep.equal(bits(ce[k])));
        out[1].forEach((t, k) => {
          expect(t.shape, `y ${k}`).to.deep.equal(ye[k].shape);
          expect(bits(t), `y ${k}`).to.deep.equal(bits(ye[k]));
        });
        f.clearCache();
      });
    });

    it('the COBA network (event-driven CSR, slices of the spike vector, refractoriness): rasters and states equal eager', function () {
      this.timeout(120000);
      withConfig({ simd }, () => {
        const n = 203;
        const steps = 120;
        const make = () => {
          bst.environ.set({ dt: 0.1 });
          bst.random.seed(7);
          const net = new CobaNet(n, 7);
          bst.nn.initAllStates(net);
          return net;
        };
        const a = make();
        const rows: tf.Tensor[] = [];
        for (let i = 0; i < steps; i++) rows.push(tf.tidy(() => a.update()));
        const eager = tf.stack(rows);
        rows.forEach((t) => t.dispose());
        const b = make();
        const f = transform.jit(() => transform.forLoop(() => b.update(), { length: steps / 2 }) as tf.Tensor);
        let r1!: tf.Tensor;
        let r2!: tf.Tensor;
        const took = tookWholeLoop(() => { r1 = f(); r2 = f(); });
        expect(took).to.equal(taken());
        const jitted = tf.concat([r1, r2]);
        expect(bits(jitted)).to.deep.equal(bits(eager));
        expect(eager.sum().dataSync()[0], 'spikes').to.be.greaterThan(0);
        expect(bits(b.N.V.value)).to.deep.equal(bits(a.N.V.value));
        expect(bits((b.E.syn as bst.nn.Expon).g.value)).to.deep.equal(bits((a.E.syn as bst.nn.Expon).g.value));
        expect(bits(b.N.refractory!.value)).to.deep.equal(bits(a.N.refractory!.value));
        [eager, jitted, r1, r2].forEach((t) => t.dispose());
        f.clearCache();
        // One jitted step per call: the whole step is one kernel too (fusion/step-kernel.ts).
        const step = transform.jit(() => b.update());
        const eagerRows: number[][] = [];
        const jitRows: number[][] = [];
        const tookStep = tookWholeLoop(() => {
          for (let i = 0; i < 30; i++) {
            eagerRows.push(tf.tidy(() => bits(a.update())));
            const r = step();
            jitRows.push(bits(r));
            r.dispose();
          }
        });
        expect(tookStep, 'whole-step kernel taken').to.equal(taken());
        expect(jitRows).to.deep.equal(eagerRows);
        expect(bits(b.N.V.value)).to.deep.equal(bits(a.N.V.value));
        step.clearCache();
        // numTensors flat over 100 jitted loop chunks (short ones: this is about leaks).
        const g = transform.jit(() => { transform.forLoop(() => { b.update(); return []; }, { length: 3 }); });
        g();
        const before = tf.memory().numTensors;
        const bytes = tf.memory().numBytes;
        for (let i = 0; i < 100; i++) g();
        expect(tf.memory().numTensors, 'no leak over loop chunks').to.equal(before);
        expect(tf.memory().numBytes, 'no leak over loop chunks').to.equal(bytes);
        g.clearCache();
        for (const net of [a, b]) {
          (net.E.comm as bst.event.SparseConn).dispose();
          (net.I.comm as bst.event.SparseConn).dispose();
        }
      });
    });
  });
}

/**
 * nn dynamics: LIF membrane traces against closed forms, spikes and resets, surrogate
 * gradients, the Expon synapse, and initAllStates / resetAllStates over nested modules.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { expectNoLeaks, expectTensorClose, expectThrowsWith } from '../helpers';

const { nn, environ } = bst;

/** Runs `steps` updates with constant input `x`, returning V after each step and the spikes. */
function run(lif: bst.nn.LIF, x: number | tf.Tensor, steps: number): { v: number[][]; s: number[][] } {
  const v: number[][] = [];
  const s: number[][] = [];
  for (let i = 0; i < steps; i++) {
    const spk = lif.update(x);
    s.push(Array.from(spk.dataSync()));
    spk.dispose();
    v.push(Array.from(lif.V.value.dataSync()));
  }
  return { v, s };
}

describe('nn dynamics', () => {
  beforeEach(() => environ.reset());
  after(() => environ.reset());

  describe('LIF', () => {
    it('below threshold, V follows the closed form of the Euler recursion for constant input', () => {
      const dt = 0.1;
      const tau = 10;
      const R = 2;
      const vRest = -0.5;
      environ.set({ dt });
      const lif = new nn.LIF(3, { tau, R, vRest, vTh: 10, vReset: 0 });
      lif.initState();
      const x = tf.tensor1d([0, 1, 2]);
      const { v, s } = run(lif, x, 200);
      // V_n = Vinf + (V0 - Vinf) (1 - dt/tau)^n, Vinf = vRest + R x, V0 = 0
      [0, 1, 2].forEach((xi, j) => {
        const vInf = vRest + R * xi;
        for (const n of [1, 2, 10, 50, 200]) {
          const closed = vInf + (0 - vInf) * (1 - dt / tau) ** n;
          expect(v[n - 1][j], `x=${xi} step ${n}`).to.be.closeTo(closed, 1e-4);
        }
      });
      expect(s.flat().every((e) => e === 0)).to.equal(true);
      x.dispose();
    });

    it('for small dt the Euler trace approaches the analytic exponential', () => {
      const T = 5;
      const tau = 5;
      const errors = [0.5, 0.05].map((dt) => environ.context({ dt }, () => {
        const lif = new nn.LIF(1, { tau, vTh: 100 });
        lif.initState();
        const steps = Math.round(T / dt);
        const { v } = run(lif, 1, steps);
        return Math.abs(v[steps - 1][0] - (1 - Math.exp(-T / tau)));
      }));
      expect(errors[1]).to.be.below(errors[0] / 5); // first order: error shrinks with dt
      expect(errors[1]).to.be.below(2e-3);
    });

    it("method 'expEuler' (brainpy.state's) equals the analytic exponential at every step", () => {
      environ.set({ dt: 0.5 });
      const lif = new nn.LIF(1, { tau: 5, vTh: 100, method: 'expEuler' });
      lif.initState();
      const { v } = run(lif, 1, 20);
      v.forEach((vi, n) => expect(vi[0]).to.be.closeTo(1 - Math.exp(-(n + 1) * 0.5 / 5), 1e-5));
    });

    it('spikes when V reaches vTh, and resets at the next step (soft: V -= vTh - vReset)', () => {
      environ.set({ dt: 1 });
      // Euler with dt / tau = 0.5: V <- V + 0.5 (R x - V)
      const lif = new nn.LIF(1, { tau: 2, vTh: 1, vReset: 0.2, spkReset: 'soft' });
      lif.initState();
      const { v, s } = run(lif, 4, 3);
      expect(v[0][0]).to.be.closeTo(2, 1e-6); // 0 + 0.5 * 4
      expect(s[0]).to.deep.equal([1]);
      // reset first: 2 - (1 - 0.2) = 1.2; then 1.2 + 0.5 (4 - 1.2) = 2.6
      expect(v[1][0]).to.be.closeTo(2.6, 1e-6);
      expect(s[1]).to.deep.equal([1]);
      expect(v[2][0]).to.be.closeTo(1.8 + 0.5 * (4 - 1.8), 1e-6);
    });

    it('hard reset sets V to vReset before integrating', () => {
      environ.set({ dt: 1 });
      const lif = new nn.LIF(1, { tau: 2, vTh: 1, vReset: 0.2, spkReset: 'hard' });
      lif.initState();
      const { v, s } = run(lif, 4, 2);
      expect(s.map((e) => e[0])).to.deep.equal([1, 1]);
      expect(v[1][0]).to.be.closeTo(0.2 + 0.5 * (4 - 0.2), 1e-6);
    });

    it('fires periodically under constant suprathreshold drive; a batch axis works', () => {
      environ.set({ dt: 0.1 });
      const lif = new nn.LIF(2, { tau: 10, vTh: 1 });
      lif.initState(4);
      expect(lif.V.value.shape).to.deep.equal([4, 2]);
      const spikes = tf.tidy(() => {
        let total = tf.zeros([4, 2]);
        for (let i = 0; i < 1000; i++) total = tf.add(total, lif.update(tf.tensor1d([0.5, 2])));
        return total;
      });
      const counts = spikes.arraySync() as number[][];
      spikes.dispose();
      for (const row of counts) {
        expect(row[0]).to.equal(0); // drive 0.5 never reaches threshold 1
        // drive 2, soft reset: V climbs from 0 to 1 in ln(2) tau (6.9 ms) = about 14 spikes in 100 ms
        expect(row[1]).to.be.within(12, 16);
      }
    });

    it('the surrogate gradient is non-zero: tf.grad through the spike function and through update', () => {
      const relu = nn.surrogate.reluGrad();
      const sig = nn.surrogate.sigmoid({ alpha: 4 });
      tf.tidy(() => {
        const x = tf.tensor1d([-2, -0.5, 0, 0.5, 2]);
        expect(Array.from(relu(x).dataSync())).to.deep.equal([0, 0, 1, 1, 1]); // Heaviside forward
        expectTensorClose(tf.grad(relu)(x), [0, 0.15, 0.3, 0.15, 0]);
        const sg = tf.sigmoid(tf.mul(x, 4));
        expectTensorClose(tf.grad(sig)(x), tf.mul(tf.mul(sg, tf.sub(1, sg)), 4));
      });
      environ.set({ dt: 1 });
      const lif = new nn.LIF(3, { tau: 2, spkFun: sig });
      lif.initState();
      const g = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(lif.update(x)))(tf.tensor1d([1.5, 2, 2.5])));
      const gv = Array.from(g.dataSync());
      g.dispose();
      expect(gv.every((e) => e > 0), `grads ${gv}`).to.equal(true);
    });

    it('stopGradient passes values and blocks gradients', () => {
      tf.tidy(() => {
        const x = tf.scalar(3);
        expectTensorClose(nn.surrogate.stopGradient(x), 3);
        expectTensorClose(tf.grad((y: tf.Tensor) => tf.mul(nn.surrogate.stopGradient(y), y))(x), 3);
      });
    });

    it('update before initState, and without dt, are errors that say what to do', () => {
      const lif = new nn.LIF(2);
      expectThrowsWith(() => lif.update(1), bst.BrainStateError, 'LIF.update', 'initState');
      lif.initState();
      expectThrowsWith(() => lif.update(1), bst.BrainStateError, "'dt'", 'environ.set');
      environ.set({ dt: 0.1 });
      expectThrowsWith(() => lif.update(tf.ones([3])), bst.BrainStateError, 'LIF.update');
      expectThrowsWith(() => new nn.LIF(2, { spkReset: 'x' as 'soft' }), bst.BrainStateError, "'soft' or 'hard'");
    });

    it('steps leave numTensors flat', () => {
      environ.set({ dt: 0.1 });
      const lif = new nn.LIF(16);
      lif.initState();
      const x = tf.fill([16], 3);
      expectNoLeaks(() => lif.update(x).dispose(), 100);
      x.dispose();
    });
  });

  describe('Expon', () => {
    it('decays as the closed form g0 exp(-t / tau) and adds its input', () => {
      const dt = 0.1;
      const tau = 4;
      environ.set({ dt });
      const syn = new nn.Expon(2, { tau });
      syn.initState();
      const first = syn.update(tf.tensor1d([1, 3]));
      expectTensorClose(first, [1, 3]);
      first.dispose();
      for (let n = 1; n <= 50; n++) {
        const g = syn.update();
        if (n % 10 === 0) expectTensorClose(g, [Math.exp(-n * dt / tau), 3 * Math.exp(-n * dt / tau)], 1e-5);
        g.dispose();
      }
      const g = syn.update(0.5);
      expectTensorClose(g, [Math.exp(-51 * dt / tau) + 0.5, 3 * Math.exp(-51 * dt / tau) + 0.5], 1e-5);
      g.dispose();
    });

    it('returns a copy: disposing it leaves the state intact', () => {
      environ.set({ dt: 1 });
      const syn = new nn.Expon(1);
      syn.initState();
      syn.update(1).dispose();
      expect(syn.g.value.isDisposed).to.equal(false);
    });
  });

  describe('initAllStates / resetAllStates', () => {
    class Net extends nn.Module {
      readonly layers = [new nn.Linear(3, 4), new nn.LIF(4)];
      readonly syn = new nn.Expon(4);
      readonly inner = new nn.Sequential(new nn.LIF(4, { vInit: -1 }), nn.relu);
    }

    it('reach every nested module (fields, arrays, Sequential layers), each once', () => {
      const net = new Net();
      const calls: string[] = [];
      for (const m of [net.layers[1], net.syn, net.inner.layers[0] as bst.nn.Module]) {
        const orig = m.initState.bind(m);
        m.initState = (...a: unknown[]) => { calls.push(m.constructor.name); orig(...(a as [number?])); };
      }
      expect(nn.initAllStates(net, 2)).to.equal(net);
      expect(calls.sort()).to.deep.equal(['Expon', 'LIF', 'LIF']);
      expect((net.layers[1] as bst.nn.LIF).V.value.shape).to.deep.equal([2, 4]);
      expect(net.syn.g.value.shape).to.deep.equal([2, 4]);
      const innerLif = net.inner.layers[0] as bst.nn.LIF;
      expect(Array.from(innerLif.V.value.dataSync())).to.deep.equal(Array(8).fill(-1));
    });

    it('resetAllStates puts hidden states back to their initial values, without leaking', () => {
      const net = new Net();
      nn.initAllStates(net);
      environ.set({ dt: 1 });
      const lif = net.layers[1] as bst.nn.LIF;
      lif.update(0.5).dispose();
      net.syn.update(2).dispose();
      expect(lif.V.value.dataSync()[0]).to.not.equal(0);
      expectNoLeaks(() => nn.resetAllStates(net));
      expect(Array.from(lif.V.value.dataSync())).to.deep.equal([0, 0, 0, 0]);
      expect(Array.from(net.syn.g.value.dataSync())).to.deep.equal([0, 0, 0, 0]);
    });
  });
});

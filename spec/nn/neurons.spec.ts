/**
 * Neuron models against references: LIF's refractory period against Brian2 2.5.1 spike
 * times, IF and ALIF against the closed forms of their exponential steps, AdEx and
 * Izhikevich against their analytic fixed points and a float64 recursion of their
 * published equations, HH against Brian2's spike times.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { expectNoLeaks, expectThrowsWith } from '../helpers';

const { nn, environ, transform } = bst;

type Neuron = bst.nn.Neuron & { V: bst.HiddenState };

/** `steps` updates with input `x` in one jitted forLoop: spikes and V after each step, as arrays. */
function simulate(model: Neuron, x: number | tf.Tensor, steps: number, extra?: () => tf.Tensor):
  { v: number[][]; s: number[][]; e: number[][] } {
  const run = transform.jit(() => transform.forLoop(() => {
    const spk = model.update(x);
    return [spk, tf.clone(model.V.value), extra === undefined ? tf.zeros([1]) : extra()];
  }, { length: steps }));
  const [s, v, e] = run() as tf.Tensor[];
  const out = { v: v.arraySync() as number[][], s: s.arraySync() as number[][], e: e.arraySync() as number[][] };
  tf.dispose([s, v, e]);
  return out;
}

/** Step indices (0-based) where neuron `j` spikes; with `onsets`, only the first of each run. */
function spikeSteps(s: number[][], j = 0, onsets = false): number[] {
  return s.flatMap((row, t) => (row[j] !== 0 && (!onsets || t === 0 || s[t - 1][j] === 0) ? [t] : []));
}

describe('nn neuron models', () => {
  beforeEach(() => environ.reset());
  after(() => environ.reset());

  describe('LIF with tauRef', () => {
    // Brian2 2.5.1 (numpy target), dt 0.1 ms, 100 ms:
    //   dv/dt = (-(v - El) + I) / taum : volt (unless refractory); El -60 mV, taum 20 ms, I 20 mV
    //   NeuronGroup(threshold='v>-50*mV', reset='v=-60*mV', refractory=5*ms, method='euler'), v0 -60 mV
    // SpikeMonitor: t / dt = [138, 326, 514, 702, 890]; v after steps 1..5:
    //   -59.9, -59.8005, -59.7014975, -59.60299001, -59.50497506
    const BRIAN2_SPIKES = [138, 326, 514, 702, 890];
    const BRIAN2_V = [-59.9, -59.8005, -59.7014975, -59.60299001, -59.50497506];

    it('spikes at Brian2\'s steps, with V held at vReset for the refractory steps', () => {
      environ.set({ dt: 0.1 });
      const lif = new nn.LIF(1, { tau: 20, vRest: -60, vReset: -60, vTh: -50, tauRef: 5, spkReset: 'hard', vInit: -60 });
      lif.initState();
      const { v, s } = simulate(lif, 20, 1000);
      expect(spikeSteps(s)).to.deep.equal(BRIAN2_SPIKES);
      BRIAN2_V.forEach((b, k) => expect(v[k][0]).to.be.closeTo(b, 1e-4));
      // Clamped for steps 139 .. 187 (k dt < 5 ms for k = 1 .. 49), integrating again at 188.
      for (let t = 139; t <= 187; t++) expect(v[t][0]).to.equal(-60);
      expect(v[188][0]).to.be.greaterThan(-60);
      expect(lif.refractory).to.be.instanceOf(bst.ShortTermState);
    });

    it('eager updates give the same spikes; a period that is not a multiple of dt rounds up (k dt < tauRef)', () => {
      environ.set({ dt: 0.1 });
      const lif = new nn.LIF(1, { tau: 20, vRest: -60, vReset: -60, vTh: -50, tauRef: 5, spkReset: 'hard', vInit: -60 });
      lif.initState();
      const eager: number[] = [];
      for (let t = 0; t < 400; t++) {
        const spk = lif.update(20);
        if (spk.dataSync()[0] !== 0) eager.push(t);
        spk.dispose();
      }
      expect(eager).to.deep.equal(BRIAN2_SPIKES.slice(0, 2));
      // tauRef 0.25 at dt 0.1: held for k = 1, 2 (0.1, 0.2 < 0.25), free at k = 3.
      const short = new nn.LIF(1, { tau: 1, vTh: 1, vReset: 0, tauRef: 0.25, spkReset: 'hard' });
      short.initState();
      const { v, s } = simulate(short, 50, 8);
      const first = spikeSteps(s)[0];
      expect([v[first + 1][0], v[first + 2][0]]).to.deep.equal([0, 0]);
      expect(v[first + 3][0]).to.be.greaterThan(0);
    });

    it('without tauRef there is no refractory state, and existing callers are unchanged', () => {
      const lif = new nn.LIF(3);
      lif.initState();
      expect(lif.refractory).to.equal(undefined);
      expect(lif.hasRefractory).to.equal(false);
    });
  });

  describe('IF', () => {
    it('follows V_n = R x (1 - exp(-n dt / tau)) exactly below threshold, then resets softly by vTh', () => {
      environ.set({ dt: 0.5 });
      const n = new nn.IF(1, { tau: 8, R: 2, vTh: 1.5 });
      n.initState();
      const { v, s } = simulate(n, 1, 40);
      const first = spikeSteps(s)[0];
      for (let k = 0; k < first; k++) expect(v[k][0]).to.be.closeTo(2 * (1 - Math.exp(-(k + 1) * 0.5 / 8)), 1e-5);
      expect(v[first][0]).to.be.at.least(1.5);
      // Soft reset at the next step: V - vTh, then one exact step toward R x = 2.
      const r = v[first][0] - 1.5;
      expect(v[first + 1][0]).to.be.closeTo(2 + (r - 2) * Math.exp(-0.5 / 8), 1e-5);
    });
  });

  describe('ALIF', () => {
    it('a decays exactly and grows by one per spike: a_T = sum over spikes s < T of exp(-(T - s) dt / tauA); ISIs lengthen', () => {
      environ.set({ dt: 0.1 });
      const n = new nn.ALIF(1, { tau: 5, tauA: 50, beta: 0.2, vTh: 1 });
      n.initState();
      const { s, e } = simulate(n, 3, 600, () => tf.clone(n.a.value));
      const spikes = spikeSteps(s);
      expect(spikes.length).to.be.greaterThan(4);
      for (const T of [spikes[2] + 5, 599]) {
        const expected = spikes.filter((t) => t < T).reduce((acc, t) => acc + Math.exp(-(T - t) * 0.1 / 50), 0);
        expect(e[T][0]).to.be.closeTo(expected, 1e-4);
      }
      const isi = spikes.slice(1).map((t, k) => t - spikes[k]);
      expect(isi[isi.length - 1]).to.be.greaterThan(isi[0]);
    });
  });

  describe('AdEx', () => {
    it('settles at the analytic fixed point below rheobase', () => {
      environ.set({ dt: 0.1 });
      const p = { tau: 10, tauW: 30, vRest: -65, vT: -59.9, deltaT: 3.48, a: 1, R: 1 };
      const I = 2;
      const n = new nn.AdEx(1, { ...p, b: 1 });
      n.initState();
      const { v } = simulate(n, I, 3000);
      // -(V - vRest) + deltaT exp((V - vT) / deltaT) - R a (V - vRest) + R I = 0, on the stable (lower) branch.
      const g = (V: number) => -(V - p.vRest) + p.deltaT * Math.exp((V - p.vT) / p.deltaT) - p.a * (V - p.vRest) + I;
      let lo = -70;
      let hi = -62;
      for (let i = 0; i < 60; i++) { const mid = (lo + hi) / 2; if (g(mid) > 0) lo = mid; else hi = mid; }
      expect(v[2999][0]).to.be.closeTo(lo, 1e-3);
      expect(n.w.value.dataSync()[0]).to.be.closeTo(p.a * (lo - p.vRest), 1e-3);
    });

    it('spikes under strong drive and adapts (w jumps by b, intervals lengthen), as the float64 recursion of its equations', () => {
      environ.set({ dt: 0.1 });
      const p = { tau: 10, tauW: 100, vTh: -30, vReset: -58, vRest: -65, vT: -50, deltaT: 2, a: 0.5, b: 7, R: 0.5 };
      const n = new nn.AdEx(1, { ...p, spkReset: 'hard', method: 'euler' });
      n.initState();
      const I = 65;
      const { s } = simulate(n, I, 3000);
      // The same scheme in float64: reset at the step after a spike, Euler for V, then Euler for w with the new V.
      let V = -65;
      let w = 0;
      let spiked = false;
      const ref: number[] = [];
      for (let t = 0; t < 3000; t++) {
        if (spiked) { V = p.vReset; w += p.b; }
        const dv = (-(V - p.vRest) + p.deltaT * Math.exp((V - p.vT) / p.deltaT) - p.R * w + p.R * I) / p.tau;
        V += dv * 0.1;
        w += ((p.a * (V - p.vRest) - w) / p.tauW) * 0.1;
        spiked = V >= p.vTh;
        if (spiked) ref.push(t);
      }
      const got = spikeSteps(s);
      expect(ref.length).to.be.greaterThan(5);
      expect(got.length).to.equal(ref.length);
      got.forEach((t, k) => expect(Math.abs(t - ref[k])).to.be.at.most(1));
      expect(ref[ref.length - 1] - ref[ref.length - 2]).to.be.greaterThan(ref[1] - ref[0]);
    });
  });

  describe('Izhikevich', () => {
    it('rests at the analytic fixed point (V, u) = (-70, -14) with no input (regular spiking parameters)', () => {
      environ.set({ dt: 0.1 });
      const n = new nn.Izhikevich(1);
      n.initState();
      const { v } = simulate(n, 0, 5000);
      expect(v[4999][0]).to.be.closeTo(-70, 1e-2);
      expect(n.u.value.dataSync()[0]).to.be.closeTo(-14, 1e-2);
    });

    it('with Euler, spikes at the steps of the float64 recursion of Izhikevich (2003)', () => {
      environ.set({ dt: 0.1 });
      const n = new nn.Izhikevich(1, { method: 'euler' });
      n.initState();
      const { s } = simulate(n, 10, 3000);
      let V = -65;
      let u = 0;
      let spiked = false;
      const ref: number[] = [];
      for (let t = 0; t < 3000; t++) {
        if (spiked) { V = -65; u += 8; }
        V += (0.04 * V * V + 5 * V + 140 - u + 10) * 0.1;
        u += 0.02 * (0.2 * V - u) * 0.1;
        spiked = V >= 30;
        if (spiked) ref.push(t);
      }
      const got = spikeSteps(s);
      expect(ref.length).to.be.greaterThan(5);
      expect(got.length).to.equal(ref.length);
      got.forEach((t, k) => expect(Math.abs(t - ref[k])).to.be.at.most(1));
    });
  });

  describe('HH', () => {
    // Brian2 2.5.1 (numpy target), dt 0.01 ms, 50 ms, I = 10 uA/cm^2, brainpy.state's defaults
    // (gL 0.03 mS/cm^2, EL -54.387 mV), v0 -65 mV and gates at their steady states:
    //   method='exponential_euler': onsets above 20 mV at [2.19, 16.64, 30.86, 45.07] ms
    //   method='euler':             [2.17, 16.55, 30.71, 44.86] ms
    const BRIAN2_ONSETS_MS = [2.19, 16.64, 30.86, 45.07];

    it('fires at Brian2\'s times (our scheme, Euler for V and exact gates, lies between its two methods)', () => {
      environ.set({ dt: 0.01 });
      const n = new nn.HH(1, { vInit: -65 });
      n.initState();
      const { s } = simulate(n, 10, 5000);
      const onsets = spikeSteps(s, 0, true).map((t) => (t + 1) * 0.01);
      expect(onsets.length).to.equal(4);
      onsets.forEach((t, k) => expect(t).to.be.closeTo(BRIAN2_ONSETS_MS[k], 0.25));
    });

    it('starts its gates at their steady states', () => {
      const n = new nn.HH(2, { vInit: -65 });
      n.initState();
      const a = (0.1 * (-65 + 40)) / (1 - Math.exp((65 - 40) / 10));   // alpha_m(-65)
      const b = 4;
      expect(n.m.value.dataSync()[0]).to.be.closeTo(a / (a + b), 1e-6);
    });
  });

  it('every model runs eagerly without leaks, with a batch axis, and says when its states are missing', () => {
    environ.set({ dt: 0.1 });
    const models: Neuron[] = [new nn.IF(4), new nn.LIF(4, { tauRef: 1 }), new nn.ALIF(4), new nn.AdEx(4),
      new nn.Izhikevich(4), new nn.HH(4)];
    for (const m of models) {
      expectThrowsWith(() => m.update(1), bst.BrainStateError, `${m.constructor.name}.update`, 'initState');
      m.initState(2);
      expect(m.V.value.shape).to.deep.equal([2, 4]);
      const x = tf.fill([4], 5);
      m.update(x).dispose();
      expectNoLeaks(() => m.update(x).dispose(), 5);
      x.dispose();
    }
    expectThrowsWith(() => new nn.IF(2, { method: 'rk4' as 'euler' }), bst.BrainStateError, "'euler' or 'expEuler'");
  });
});

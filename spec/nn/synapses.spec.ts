/**
 * Synapse models against their closed forms (Alpha, DualExpon, AMPA/GABAa, STP/STD),
 * synaptic outputs, the projections against the same computation written by hand (and
 * with a dense weight matrix), and the delay buffer.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { expectNoLeaks, expectTensorClose, expectThrowsWith } from '../helpers';

const { nn, environ, transform, event } = bst;

/** Runs `steps` updates (input `x(t)`), returning the scalar output of each step. */
function trace(step: (t: number) => tf.Tensor, steps: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < steps; t++) {
    const y = step(t);
    out.push(y.dataSync()[0]);
    y.dispose();
  }
  return out;
}

describe('nn synapses, outputs, projections, delays', () => {
  beforeEach(() => environ.reset());
  after(() => environ.reset());

  it('Alpha: after one unit at step 0, g_n = n e^(n-1) (1 - e) with e = exp(-dt / tau); the peak is near t = tau', () => {
    const dt = 0.1;
    const tau = 2;
    environ.set({ dt });
    const syn = new nn.Alpha(1, { tau });
    syn.initState();
    const g = trace((t) => syn.update(t === 0 ? 1 : 0), 80);
    const e = Math.exp(-dt / tau);
    g.forEach((v, n) => expect(v).to.be.closeTo(n * e ** (n - 1) * (1 - e), 1e-6));
    const peak = g.indexOf(Math.max(...g));
    expect(peak * dt).to.be.closeTo(tau, 2 * dt);
    // Continuous-time limit: g(t) = (t / tau) exp(-t / tau), within the step error.
    expect(g[40]).to.be.closeTo((4 / tau) * Math.exp(-4 / tau), 0.01);
  });

  it('DualExpon: g = a (exp(-t / tauDecay) - exp(-t / tauRise)) at the step times, a from brainpy.state\'s A', () => {
    const dt = 0.05;
    environ.set({ dt });
    const syn = new nn.DualExpon(1, { tauRise: 1, tauDecay: 10 });
    syn.initState();
    const g = trace((t) => syn.update(t === 0 ? 1 : undefined), 400);
    const a = syn.a as number;
    g.forEach((v, n) => expect(v).to.be.closeTo(a * (Math.exp(-n * dt / 10) - Math.exp(-n * dt)), 1e-5));
    // a = (tauDecay - tauRise) / (tauRise tauDecay) A, A = tauDecay / (tauDecay - tauRise) (tauRise / tauDecay)^(tauRise / (tauRise - tauDecay))
    expect(a).to.be.closeTo(Math.pow(0.1, -1 / 9), 1e-6);
    // the continuous peak, at t* = ln(tauDecay / tauRise) tauRise tauDecay / (tauDecay - tauRise)
    const tPeak = Math.log(10) * 10 / 9;
    expect(Math.max(...g)).to.be.closeTo(a * (Math.exp(-tPeak / 10) - Math.exp(-tPeak)), 1e-3);
    expectThrowsWith(() => new nn.DualExpon(1, { tauRise: 3, tauDecay: 3 }), bst.BrainStateError, 'nn.Alpha');
  });

  it('AMPA / GABAa: exact relaxation during the transmitter pulse (TDur / dt steps), then decay with beta', () => {
    const dt = 0.1;
    environ.set({ dt });
    for (const [Cls, alpha, beta, T, TDur] of [[nn.AMPA, 0.98, 0.18, 0.5, 0.5], [nn.GABAa, 0.53, 0.18, 1, 1]] as const) {
      const syn = new Cls(1);
      syn.initState();
      const g = trace((t) => syn.update(tf.tensor1d([t === 3 ? 1 : 0])), 40);
      const k = alpha * T + beta;
      const inf = (alpha * T) / k;
      const pulse = Math.round(TDur / dt);
      let expected = 0;
      g.forEach((v, t) => {
        if (t >= 3 && t < 3 + pulse) expected = inf + (expected - inf) * Math.exp(-k * dt);
        else expected *= Math.exp(-beta * dt);
        expect(v, `${Cls.name} step ${t}`).to.be.closeTo(expected, 1e-6);
      });
    }
  });

  it('STP / STD: the Tsodyks-Markram jumps and recoveries, step by step', () => {
    const dt = 1;
    environ.set({ dt });
    const stp = new nn.STP(1, { U: 0.2, tauF: 50, tauD: 20 });
    const std = new nn.STD(1, { U: 0.3, tau: 20 });
    stp.initState();
    std.initState();
    let u = 0.2;
    let x = 1;
    let xd = 1;
    for (let t = 0; t < 60; t++) {
      const s = t % 5 === 0 ? 1 : 0;
      const eff = stp.update(tf.tensor1d([s]));
      const effD = std.update(tf.tensor1d([s]));
      const uDecayed = u * Math.exp(-dt / 50);
      const xRelaxed = 1 - (1 - x) * Math.exp(-dt / 20);
      const uNew = uDecayed + s * 0.2 * (1 - u);
      const xNew = xRelaxed - s * uNew * x;
      [u, x] = [uNew, xNew];
      xd = 1 - (1 - xd) * Math.exp(-dt / 20) - s * 0.3 * xd;
      expect(eff.dataSync()[0]).to.be.closeTo(u * x * s, 1e-6);
      expect(effD.dataSync()[0]).to.be.closeTo(xd * s, 1e-6);
      tf.dispose([eff, effD]);
    }
    expect(stp.u.value.dataSync()[0]).to.be.closeTo(u, 1e-6);
  });

  it('COBA gives g (E - V), CUBA g * scale; calling before a conductance is bound is an error', () => {
    const coba = new nn.COBA(-80);
    const cuba = new nn.CUBA(2);
    expectThrowsWith(() => coba.call(tf.zeros([2])), bst.BrainStateError, 'no conductance is bound');
    tf.tidy(() => {
      const g = tf.tensor1d([0.5, 2]);
      coba.bindCond(g);
      cuba.bindCond(g);
      expectTensorClose(coba.call(tf.tensor1d([-60, -70])), [-10, -20]);
      expectTensorClose(cuba.call(tf.tensor1d([-60, -70])), [1, 4]);
    });
  });

  it('AlignPostProj equals FixedProb -> Expon -> COBA -> LIF written by hand, and a dense weight matrix', () => {
    environ.set({ dt: 0.1 });
    const n = 50;
    const make = () => {
      const post = new nn.LIF(n, { tau: 20, vRest: -60, vReset: -60, vTh: -50, tauRef: 2, spkReset: 'hard', vInit: -55 });
      const conn = new event.FixedProb(n, n, 0.2, 1.5, { seed: 11 });
      const syn = new nn.Expon(n, { tau: 5 });
      return { post, conn, syn };
    };
    const a = make();
    const proj = new nn.AlignPostProj({ comm: a.conn, syn: a.syn, out: new nn.COBA(0), post: a.post });
    nn.initAllStates(proj);
    const b = make();
    b.post.initState();
    b.syn.initState();
    const W = b.conn.toDense();
    const drive = tf.tidy(() => tf.add(tf.mul(tf.range(0, n), 0.5), 15));
    for (let t = 0; t < 100; t++) {
      tf.tidy(() => {
        const sa = a.post.getSpike();
        proj.update(sa);
        const spikesA = a.post.update(drive);
        // By hand, with the dense matrix: g = g e + s W; V integrates with I = drive + g (0 - V).
        const sb = b.post.getSpike();
        const g = b.syn.update(tf.squeeze(tf.matMul(tf.expandDims(sb, 0), W), [0]));
        b.post.addCurrentInput('hand', (v: tf.Tensor) => tf.mul(g, tf.sub(0, v)));
        const spikesB = b.post.update(drive);
        b.post.removeInput('hand');
        expectTensorClose(spikesA, spikesB, 0);
      });
    }
    expectTensorClose(a.post.V.value, b.post.V.value, 1e-4);
    expect(tf.sum(a.post.V.value).dataSync()[0]).to.not.equal(-55 * n);
    tf.dispose([W, drive]);
  });

  it('a projection network runs in a jitted forLoop exactly as eagerly, without leaks', () => {
    environ.set({ dt: 0.1 });
    const build = () => {
      const post = new nn.LIF(40, { tau: 10, vTh: 1, vReset: 0, tauRef: 1, spkReset: 'hard', vInit: new nn.init.Uniform(0, 1) });
      const proj = new nn.AlignPostProj({ modules: [new nn.STD(40)], comm: new event.FixedProb(40, 40, 0.25, 0.3, { seed: 2 }),
        syn: new nn.DualExpon(40), out: new nn.CUBA(), post });
      const net = { post, proj };
      bst.random.seed(0);
      nn.initAllStates(proj);
      return net;
    };
    const step = (net: ReturnType<typeof build>) => () => {
      net.proj.update(net.post.getSpike());
      return net.post.update(1.2);
    };
    const e = build();
    const eager = transform.forLoop(step(e), { length: 60 }) as tf.Tensor;
    const j = build();
    const run = transform.jit(() => transform.forLoop(step(j), { length: 60 }) as tf.Tensor);
    const jitted = run();
    expectTensorClose(jitted, eager, 0);
    expect(tf.sum(eager).dataSync()[0]).to.be.greaterThan(0);
    run().dispose();
    expectNoLeaks(() => run().dispose(), 3);
    tf.dispose([eager, jitted]);
  });

  it('Delay: retrieveAtStep(k) and at(entry) return the value written k updates ago, eagerly and under jit', () => {
    environ.set({ dt: 0.5 });
    const d = new nn.Delay([3], 2);          // 4 steps, 5 slots
    d.registerEntry('late', 1.5);            // 3 steps
    d.initState();
    expect(d.maxLength).to.equal(5);
    const got: number[][] = [];
    for (let t = 0; t < 9; t++) {
      d.update(tf.fill([3], t + 1));
      got.push([d.retrieveAtStep(0).dataSync()[0], d.at('late').dataSync()[0]]);
    }
    expect(got.map((g) => g[0])).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(got.map((g) => g[1])).to.deep.equal([0, 0, 0, 1, 2, 3, 4, 5, 6]);
    const j = new nn.Delay([3], 2);
    j.registerEntry('late', 1.5);
    j.initState();
    const seq = tf.tensor2d(Array.from({ length: 9 }, (_, t) => [t + 1, t + 1, t + 1]));
    const ys = transform.jit((xs: tf.Tensor) => transform.forLoop((x: tf.Tensor) => { j.update(x); return j.at('late'); }, xs))(seq) as tf.Tensor;
    expect(Array.from(ys.dataSync()).filter((_, k) => k % 3 === 0)).to.deep.equal([0, 0, 0, 1, 2, 3, 4, 5, 6]);
    expectThrowsWith(() => d.registerEntry('far', 3), bst.BrainStateError, 'make the Delay longer');
    expectThrowsWith(() => d.at('nope'), bst.BrainStateError, "'late'");
    tf.dispose([seq, ys]);
  });

  it('projections check what they are given', () => {
    const post = new nn.LIF(3);
    const E = bst.BrainStateError;
    expectThrowsWith(() => new nn.AlignPostProj({ comm: 3 as never, syn: new nn.Expon(3), out: new nn.COBA(0), post }), E, 'comm');
    expectThrowsWith(() => new nn.AlignPostProj({ comm: (x) => x, syn: {} as never, out: new nn.COBA(0), post }), E, 'syn');
    expectThrowsWith(() => new nn.AlignPostProj({ comm: (x) => x, syn: new nn.Expon(3), out: {} as never, post }), E, 'nn.COBA');
    expectThrowsWith(() => new nn.CurrentProj({ comm: (x) => x, out: new nn.CUBA(), post: {} as never }), E, 'post');
  });
});

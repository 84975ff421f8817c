/**
 * The COBA network of Vogels & Abbott (2005), benchmark 1 of Brette et al. (2007), as
 * Brian2 and BrainPy run it: 3,200 excitatory and 800 inhibitory LIF neurons,
 *
 *   dv/dt = (ge (E_exc - v) + gi (E_inh - v) - (v - E_l) + I) / tau_m,
 *
 * tau_m 20 ms, E_l = V_reset = -60 mV, V_th -50 mV, E_exc 0 mV, E_inh -80 mV, I 20 mV,
 * a refractory period of 5 ms with v clamped; conductances ge, gi (in units of the leak
 * conductance) decay with 5 ms and 10 ms and jump by 0.6 (from E) or 6.7 (from I) on a
 * spike; random connectivity with probability 0.02 (80 synapses per neuron, event-driven
 * with `event.FixedProb`); v starts uniform in [-60, -50] mV; Euler, dt 0.1 ms.
 *
 * Simulates 1 s of biological time in jitted `forLoop` chunks, prints the E and I rates
 * and the time per simulated step, and writes a raster (SVG) and a population-rate plot.
 *
 * Run: node --conditions=brainstate-source -r ts-node/register/transpile-only samples/coba.ts
 *      (options: --n 4000 --duration 1000 --chunk 1000 --out coba-raster.svg --rates coba-rates.svg)
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import { ratePlotSvg, rasterSvg } from './spike-plots';

/** The network's constants (Brette et al. 2007, benchmark 1, in mV and ms). */
export const COBA_PARAMS = {
  tauM: 20, vRest: -60, vReset: -60, vTh: -50, tauRef: 5, EExc: 0, EInh: -80, I: 20,
  tauE: 5, tauI: 10, wE: 0.6, wI: 6.7, inDegree: 80, dt: 0.1,
} as const;

/** The COBA network: one LIF population, an excitatory and an inhibitory projection. */
export class CobaNet extends bst.nn.Module {
  readonly n: number;
  readonly nE: number;
  readonly nI: number;
  N: bst.nn.LIF;
  E: bst.nn.AlignPostProj;
  I: bst.nn.AlignPostProj;

  constructor(n = 4000, seed = 42) {
    super();
    const p = COBA_PARAMS;
    this.n = n;
    this.nE = Math.round(n * 0.8);
    this.nI = n - this.nE;
    this.N = new bst.nn.LIF(n, {
      tau: p.tauM, vTh: p.vTh, vReset: p.vReset, vRest: p.vRest, tauRef: p.tauRef, spkReset: 'hard', method: 'euler',
      vInit: new bst.nn.init.Uniform(-60, -50),
    });
    // In-degree 80 at every size: probability 80 / n (0.02 at 4,000 neurons).
    const prob = p.inDegree / n;
    this.E = new bst.nn.AlignPostProj({
      comm: new bst.event.FixedProb(this.nE, n, prob, p.wE, { seed }),
      syn: new bst.nn.Expon(n, { tau: p.tauE }),
      out: new bst.nn.COBA(p.EExc),
      post: this.N,
    });
    this.I = new bst.nn.AlignPostProj({
      comm: new bst.event.FixedProb(this.nI, n, prob, p.wI, { seed: seed + 1 }),
      syn: new bst.nn.Expon(n, { tau: p.tauI }),
      out: new bst.nn.COBA(p.EInh),
      post: this.N,
    });
  }

  /** One step: last step's spikes reach the synapses, then the neurons integrate. Returns the spikes. */
  override update(): tf.Tensor {
    const spk = this.N.getSpike();
    this.E.update(tf.slice(spk, [0], [this.nE]));
    this.I.update(tf.slice(spk, [this.nE], [this.nI]));
    return this.N.update(COBA_PARAMS.I);
  }
}

/** Options of {@link main}. */
export interface CobaOptions {
  /** Neurons (default 4000; 80% excitatory). */
  n?: number;
  /** Biological time in ms (default 1000). */
  duration?: number;
  /** Steps per jitted call (default 1000). */
  chunk?: number;
  seed?: number;
  /** Raster SVG path (default coba-raster.svg); the rate plot goes to `rates` (default coba-rates.svg). */
  out?: string;
  rates?: string;
  quiet?: boolean;
}

/** What a run measured. */
export interface CobaResult {
  rateE: number;
  rateI: number;
  totalSpikes: number;
  /** Milliseconds of wall time per simulated step, after the first (tracing) chunk. */
  msPerStep: number;
  /** Seconds of the first chunk beyond a steady chunk: tracing and compiling. */
  traceSeconds: number;
  backend: string;
}

/** Runs the network; returns the E and I rates (Hz) and the time per step. */
export async function main(opts: CobaOptions = {}): Promise<CobaResult> {
  const n = opts.n ?? 4000;
  const dt = COBA_PARAMS.dt;
  const steps = Math.round((opts.duration ?? 1000) / dt);
  const chunk = Math.min(opts.chunk ?? 1000, steps);
  if (steps % chunk !== 0) throw new Error(`the number of steps (${steps}) must be a multiple of chunk (${chunk})`);
  const backend = await bst.backend.init();
  bst.environ.set({ dt });
  bst.random.seed(opts.seed ?? 42);
  const net = new CobaNet(n, opts.seed ?? 42);
  bst.nn.initAllStates(net);

  const runChunk = bst.transform.jit((k: number) =>
    bst.transform.forLoop(() => net.update(), { length: k }) as tf.Tensor, { staticArgnums: 0 });
  const counts = new Float64Array(n);
  const shownE = Math.min(net.nE, 320);
  const shownI = Math.min(net.nI, 80);
  const raster: [number, number][] = [];
  const popE = new Float64Array(steps);
  const popI = new Float64Array(steps);
  const chunkMs: number[] = [];
  for (let done = 0; done < steps; done += chunk) {
    const t0 = performance.now();
    const spikes = runChunk(chunk);
    const values = spikes.dataSync();
    chunkMs.push(performance.now() - t0);
    spikes.dispose();
    for (let s = 0; s < chunk; s++) {
      const row = s * n;
      for (let i = 0; i < n; i++) {
        if (values[row + i] === 0) continue;
        counts[i]++;
        if (i < net.nE) popE[done + s]++; else popI[done + s]++;
        if (i < shownE) raster.push([done + s, i]);
        else if (i >= net.nE && i < net.nE + shownI) raster.push([done + s, shownE + i - net.nE]);
      }
    }
  }
  const seconds = (steps * dt) / 1000;
  let sumE = 0;
  let sumI = 0;
  for (let i = 0; i < n; i++) (i < net.nE ? (sumE += counts[i]) : (sumI += counts[i]));
  const rateE = sumE / net.nE / seconds;
  const rateI = sumI / net.nI / seconds;
  const steady = chunkMs.length > 1 ? chunkMs.slice(1) : chunkMs;
  const msPerStep = steady.reduce((a, b) => a + b, 0) / (steady.length * chunk);
  const traceSeconds = Math.max(0, chunkMs[0] - msPerStep * chunk) / 1000;
  const out = opts.out ?? 'coba-raster.svg';
  const ratesOut = opts.rates ?? 'coba-rates.svg';
  fs.writeFileSync(out, rasterSvg(raster, { steps, neurons: shownE + shownI, firstInhibitory: shownE, dt,
    title: `COBA, ${n} neurons (${shownE} E and ${shownI} I shown)` }));
  fs.writeFileSync(ratesOut, ratePlotSvg([{ name: 'E', color: '#1f5fbf', counts: popE, size: net.nE },
    { name: 'I', color: '#c0392b', counts: popI, size: net.nI }], { dt, binSteps: 10 }));
  if (opts.quiet !== true) {
    console.log(`COBA: ${n} neurons, ${steps} steps of ${dt} ms on ${backend} (${steps / chunk} jitted forLoop chunks)`);
    console.log(`E ${rateE.toFixed(1)} Hz`);
    console.log(`I ${rateI.toFixed(1)} Hz`);
    console.log(`${msPerStep.toFixed(3)} ms per simulated step (${(msPerStep * 10).toFixed(2)} s per simulated ` +
      `second); first chunk +${traceSeconds.toFixed(2)} s to trace and compile`);
    console.log(`raster written to ${out}, population rates to ${ratesOut}`);
  }
  return { rateE, rateI, totalSpikes: sumE + sumI, msPerStep, traceSeconds, backend };
}

if (require.main === module) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const num = (name: string) => (arg(name) === undefined ? undefined : Number(arg(name)));
  main({ n: num('n'), duration: num('duration'), chunk: num('chunk'), seed: num('seed'), out: arg('out'),
    rates: arg('rates') }).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

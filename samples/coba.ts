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
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import { cliArgs, RunResult, runSpikingNet } from './lib/spiking-run';

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

/** Runs the network; prints the E and I rates (Hz) and the time per step, writes the plots. */
export async function main(opts: CobaOptions = {}): Promise<RunResult> {
  const dt = COBA_PARAMS.dt;
  const steps = Math.round((opts.duration ?? 1000) / dt);
  await bst.backend.init();
  bst.environ.set({ dt });
  bst.random.seed(opts.seed ?? 42);
  const net = new CobaNet(opts.n ?? 4000, opts.seed ?? 42);
  bst.nn.initAllStates(net);
  return runSpikingNet(net, { name: 'COBA', steps, chunk: Math.min(opts.chunk ?? 1000, steps), dt,
    out: opts.out ?? 'coba-raster.svg', rates: opts.rates ?? 'coba-rates.svg', quiet: opts.quiet });
}

if (require.main === module) {
  const a = cliArgs();
  main({ n: a.num('n'), duration: a.num('duration'), chunk: a.num('chunk'), seed: a.num('seed'), out: a.str('out'),
    rates: a.str('rates') }).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

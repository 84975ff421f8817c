/**
 * The CUBA network of Vogels & Abbott (2005), benchmark 2 of Brette et al. (2007), as
 * Brian2's example runs it: 3,200 excitatory and 800 inhibitory LIF neurons,
 *
 *   dv/dt = (ge + gi - (v - E_l)) / tau_m,
 *
 * tau_m 20 ms, E_l -49 mV, V_reset -60 mV, V_th -50 mV, refractory 5 ms with v clamped;
 * current-based synapses ge, gi (in mV) decaying with 5 ms and 10 ms and jumping by
 * 1.62 mV (from E) or -9 mV (from I) on a spike; random connectivity with probability
 * 0.02 (`event.FixedProb`); v starts uniform in [-60, -50] mV; dt 0.1 ms.
 *
 * Run: node --conditions=brainstate-source -r ts-node/register/transpile-only samples/cuba.ts
 *      (options: --n 4000 --duration 1000 --chunk 1000 --out cuba-raster.svg --rates cuba-rates.svg)
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import { cliArgs, RunResult, runSpikingNet } from './lib/spiking-run';

/** The network's constants (Brette et al. 2007, benchmark 2, in mV and ms). */
export const CUBA_PARAMS = {
  tauM: 20, El: -49, vReset: -60, vTh: -50, tauRef: 5, tauE: 5, tauI: 10, wE: 1.62, wI: -9, inDegree: 80, dt: 0.1,
} as const;

/** The CUBA network: one LIF population, excitatory and inhibitory current-based projections. */
export class CubaNet extends bst.nn.Module {
  readonly n: number;
  readonly nE: number;
  readonly nI: number;
  N: bst.nn.LIF;
  E: bst.nn.AlignPostProj;
  I: bst.nn.AlignPostProj;

  constructor(n = 4000, seed = 7) {
    super();
    const p = CUBA_PARAMS;
    this.n = n;
    this.nE = Math.round(n * 0.8);
    this.nI = n - this.nE;
    this.N = new bst.nn.LIF(n, {
      tau: p.tauM, vTh: p.vTh, vReset: p.vReset, vRest: p.El, tauRef: p.tauRef, spkReset: 'hard', method: 'euler',
      vInit: new bst.nn.init.Uniform(-60, -50),
    });
    const prob = p.inDegree / n;
    this.E = new bst.nn.AlignPostProj({
      comm: new bst.event.FixedProb(this.nE, n, prob, p.wE, { seed }),
      syn: new bst.nn.Expon(n, { tau: p.tauE }), out: new bst.nn.CUBA(), post: this.N,
    });
    this.I = new bst.nn.AlignPostProj({
      comm: new bst.event.FixedProb(this.nI, n, prob, p.wI, { seed: seed + 1 }),
      syn: new bst.nn.Expon(n, { tau: p.tauI }), out: new bst.nn.CUBA(), post: this.N,
    });
  }

  /** One step: last step's spikes reach the synapses, then the neurons integrate. Returns the spikes. */
  override update(): tf.Tensor {
    const spk = this.N.getSpike();
    this.E.update(tf.slice(spk, [0], [this.nE]));
    this.I.update(tf.slice(spk, [this.nE], [this.nI]));
    return this.N.update(0);
  }
}

/** Options of {@link main}. */
export interface CubaOptions {
  n?: number;
  duration?: number;
  chunk?: number;
  seed?: number;
  out?: string;
  rates?: string;
  quiet?: boolean;
}

/** Runs the network; prints the E and I rates (Hz) and the time per step, writes the plots. */
export async function main(opts: CubaOptions = {}): Promise<RunResult> {
  const dt = CUBA_PARAMS.dt;
  const steps = Math.round((opts.duration ?? 1000) / dt);
  await bst.backend.init();
  bst.environ.set({ dt });
  bst.random.seed(opts.seed ?? 7);
  const net = new CubaNet(opts.n ?? 4000, opts.seed ?? 7);
  bst.nn.initAllStates(net);
  return runSpikingNet(net, { name: 'CUBA', steps, chunk: Math.min(opts.chunk ?? 1000, steps), dt,
    out: opts.out ?? 'cuba-raster.svg', rates: opts.rates ?? 'cuba-rates.svg', quiet: opts.quiet });
}

if (require.main === module) {
  const a = cliArgs();
  main({ n: a.num('n'), duration: a.num('duration'), chunk: a.num('chunk'), seed: a.num('seed'), out: a.str('out'),
    rates: a.str('rates') }).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

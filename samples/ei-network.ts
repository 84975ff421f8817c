/**
 * An excitatory/inhibitory network of leaky integrate-and-fire neurons (80% E, 20% I)
 * with sparse random connectivity (event-driven: `event.FixedProb`, only the synapses of
 * neurons that spiked are read) and exponential synapses, simulated for 1,000 steps of
 * 0.1 ms: each chunk of steps is one jitted `forLoop` call. Writes a spike raster (SVG)
 * and prints the mean firing rates.
 *
 * Run: node --conditions=brainstate-source -r ts-node/register/transpile-only samples/ei-network.ts
 *      (options: --n 4000 --steps 1000 --out ei-raster.svg)
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';

/** Sizes and constants of the network (as in brainpy's E/I examples, current-based, in mV and ms). */
export interface EINetOptions {
  n?: number;
  steps?: number;
  chunk?: number;
  connectProb?: number;
  seed?: number;
  out?: string;
  quiet?: boolean;
}

class EINet extends bst.nn.Module {
  readonly nE: number;
  readonly nI: number;
  neurons: bst.nn.LIF;
  synE: bst.nn.Expon;
  synI: bst.nn.Expon;
  /** Connectivity from the E and the I neurons to all, each with its weight as a ParamState. */
  connE: bst.event.FixedProb;
  connI: bst.event.FixedProb;
  /** The spikes of the last step, fed to the synapses at the next one. */
  spikes: bst.HiddenState;

  constructor(n: number, p: number) {
    super();
    this.nE = Math.round(n * 0.8);
    this.nI = n - this.nE;
    this.neurons = new bst.nn.LIF(n, { tau: 20, vTh: -50, vReset: -60, vRest: -60, spkReset: 'hard',
      vInit: bst.random.uniform([n], { minval: -60, maxval: -50 }) });
    this.synE = new bst.nn.Expon(n, { tau: 5 });
    this.synI = new bst.nn.Expon(n, { tau: 10 });
    // Sparse random connectivity: every neuron reaches n * p others (drawn from random.DEFAULT).
    this.connE = new bst.event.FixedProb(this.nE, n, p, 0.6 * 20 / (n * p));
    this.connI = new bst.event.FixedProb(this.nI, n, p, 6.7 * 20 / (n * p));
    this.spikes = new bst.HiddenState(tf.zeros([n]));
  }

  /** One step with external current `iExt` (mV): returns the spikes (float 0/1). */
  update(iExt: tf.Tensor): tf.Tensor {
    const s = this.spikes.value;
    const sE = tf.slice(s, [0], [this.nE]);
    const sI = tf.slice(s, [this.nE], [this.nI]);
    const gE = this.synE.update(this.connE.call(sE));
    const gI = this.synI.update(this.connI.call(sI));
    const spike = this.neurons.update(tf.add(iExt, tf.sub(gE, gI)));
    this.spikes.value = spike;
    return spike;
  }
}

/** Writes a raster of (step, neuron) spikes as an SVG: E neurons in blue, I in red. */
function rasterSvg(spikes: Uint8Array | Float32Array, steps: number, n: number, nE: number, dt: number): string {
  const w = 800;
  const h = 400;
  const dots: string[] = [];
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < n; i++) {
      if (spikes[t * n + i] !== 0) {
        dots.push(`<rect x="${(40 + (t / steps) * (w - 60)).toFixed(1)}" y="${(10 + (i / n) * (h - 50)).toFixed(1)}" ` +
          `width="1.2" height="1.2" fill="${i < nE ? '#1f5fbf' : '#c0392b'}"/>`);
      }
    }
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">`,
    '<rect width="100%" height="100%" fill="white"/>',
    ...dots,
    `<text x="${w / 2}" y="${h - 12}" text-anchor="middle">time (ms), 0 to ${(steps * dt).toFixed(0)}</text>`,
    `<text x="12" y="${h / 2}" transform="rotate(-90 12 ${h / 2})" text-anchor="middle">neuron (E blue, I red)</text>`,
    '</svg>',
  ].join('\n');
}

/** Runs the network; returns the mean firing rates (Hz) of the E and I populations. */
export async function main(opts: EINetOptions = {}): Promise<{ rateE: number; rateI: number; totalSpikes: number }> {
  const n = opts.n ?? 4000;
  const steps = opts.steps ?? 1000;
  const chunk = opts.chunk ?? 100;
  const dt = 0.1;
  if (steps % chunk !== 0) throw new Error(`steps (${steps}) must be a multiple of chunk (${chunk})`);
  const backendName = await bst.backend.init();
  bst.environ.set({ dt });
  bst.random.seed(opts.seed ?? 42);
  const net = new EINet(n, opts.connectProb ?? 0.02);
  bst.nn.initAllStates(net);

  // One jitted call runs `chunk` steps; the external current is a constant 12 mV drive.
  const iExt = tf.fill([chunk, n], 12);
  const runChunk = bst.transform.jit((drive: tf.Tensor) => bst.transform.forLoop((i: tf.Tensor) => net.update(i), drive) as tf.Tensor);
  const bar = opts.quiet === true ? undefined : new bst.transform.ProgressBar({ desc: `E/I network (${n} neurons, ${backendName})` });
  const rasters: tf.Tensor[] = [];
  const t0 = Date.now();
  for (let done = 0; done < steps; done += chunk) {
    rasters.push(runChunk(iExt));
    bar?.tick(done + chunk, steps);
  }
  const raster = tf.concat(rasters);
  const counts = await tf.sum(raster, 0).data(); // await: webgpu cannot read GPU data synchronously in Node
  const seconds = (steps * dt) / 1000;
  let sumE = 0;
  let sumI = 0;
  for (let i = 0; i < n; i++) (i < net.nE ? (sumE += counts[i]) : (sumI += counts[i]));
  const rateE = sumE / net.nE / seconds;
  const rateI = sumI / net.nI / seconds;
  const out = opts.out ?? 'ei-raster.svg';
  fs.writeFileSync(out, rasterSvg(await raster.data() as Float32Array, steps, n, net.nE, dt));
  if (opts.quiet !== true) {
    console.log(`simulated ${steps} steps of ${n} neurons in ${((Date.now() - t0) / 1000).toFixed(2)} s ` +
      `(${runChunk.traceCount} trace)`);
    console.log(`mean rate: E ${rateE.toFixed(1)} Hz, I ${rateI.toFixed(1)} Hz; raster written to ${out}`);
  }
  tf.dispose([iExt, raster, ...rasters]);
  return { rateE, rateI, totalSpikes: sumE + sumI };
}

if (require.main === module) {
  const arg = (name: string): number | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const outIdx = process.argv.indexOf('--out');
  main({ n: arg('n'), steps: arg('steps'), out: outIdx > 0 ? process.argv[outIdx + 1] : undefined }).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

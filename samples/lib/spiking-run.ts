/**
 * Running an E/I spiking network for the samples: jitted `forLoop` chunks, spike counts,
 * population rates, the raster and rate plots, and the time per simulated step.
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import { ratePlotSvg, rasterSvg } from './spike-plots';

/** A network whose `update()` advances one step and returns the spikes of all `n` neurons (E first). */
export interface SpikingNet {
  readonly n: number;
  readonly nE: number;
  readonly nI: number;
  update(): tf.Tensor;
}

/** How to run and what to write. */
export interface RunOptions {
  name: string;
  steps: number;
  chunk: number;
  dt: number;
  /** Raster and rate-plot paths. */
  out: string;
  rates: string;
  quiet?: boolean;
}

/** What a run measured. */
export interface RunResult {
  rateE: number;
  rateI: number;
  totalSpikes: number;
  /** Wall milliseconds per simulated step, after the first (tracing) chunk. */
  msPerStep: number;
  /** Seconds the first chunk took beyond a steady one: tracing and compiling. */
  traceSeconds: number;
  backend: string;
  /** Spikes drawn in the raster (neurons shown: up to 320 E and 80 I). */
  rasterSpikes: number;
}

/** Runs `net` for `steps` steps in jitted chunks of `chunk` steps; prints and plots as the samples do. */
export async function runSpikingNet(net: SpikingNet, o: RunOptions): Promise<RunResult> {
  if (o.steps % o.chunk !== 0) throw new Error(`the number of steps (${o.steps}) must be a multiple of chunk (${o.chunk})`);
  const { n, nE, nI } = net;
  const runChunk = bst.transform.jit((k: number) =>
    bst.transform.forLoop(() => net.update(), { length: k }) as tf.Tensor, { staticArgnums: 0 });
  const counts = new Float64Array(n);
  const shownE = Math.min(nE, 320);
  const shownI = Math.min(nI, 80);
  const raster: [number, number][] = [];
  const popE = new Float64Array(o.steps);
  const popI = new Float64Array(o.steps);
  const chunkMs: number[] = [];
  for (let done = 0; done < o.steps; done += o.chunk) {
    const t0 = performance.now();
    const spikes = runChunk(o.chunk);
    const values = await spikes.data(); // await: webgpu cannot read GPU data synchronously in Node
    chunkMs.push(performance.now() - t0);
    spikes.dispose();
    for (let s = 0; s < o.chunk; s++) {
      const row = s * n;
      for (let i = 0; i < n; i++) {
        if (values[row + i] === 0) continue;
        counts[i]++;
        if (i < nE) popE[done + s]++; else popI[done + s]++;
        if (i < shownE) raster.push([done + s, i]);
        else if (i >= nE && i < nE + shownI) raster.push([done + s, shownE + i - nE]);
      }
    }
  }
  const seconds = (o.steps * o.dt) / 1000;
  let sumE = 0;
  let sumI = 0;
  for (let i = 0; i < n; i++) (i < nE ? (sumE += counts[i]) : (sumI += counts[i]));
  const rateE = sumE / nE / seconds;
  const rateI = sumI / nI / seconds;
  const steady = chunkMs.length > 1 ? chunkMs.slice(1) : chunkMs;
  const msPerStep = steady.reduce((a, b) => a + b, 0) / (steady.length * o.chunk);
  const traceSeconds = Math.max(0, chunkMs[0] - msPerStep * o.chunk) / 1000;
  fs.writeFileSync(o.out, rasterSvg(raster, { steps: o.steps, neurons: shownE + shownI, firstInhibitory: shownE, dt: o.dt,
    title: `${o.name}, ${n} neurons (${shownE} E and ${shownI} I shown)` }));
  fs.writeFileSync(o.rates, ratePlotSvg([{ name: 'E', color: '#1f5fbf', counts: popE, size: nE },
    { name: 'I', color: '#c0392b', counts: popI, size: nI }], { dt: o.dt, binSteps: 10 }));
  const backend = bst.backend.name();
  if (o.quiet !== true) {
    console.log(`${o.name}: ${n} neurons, ${o.steps} steps of ${o.dt} ms on ${backend} ` +
      `(${o.steps / o.chunk} jitted forLoop chunks of ${o.chunk} steps)`);
    console.log(`E ${rateE.toFixed(1)} Hz`);
    console.log(`I ${rateI.toFixed(1)} Hz`);
    console.log(`${msPerStep.toFixed(3)} ms per simulated step (${(msPerStep * (1 / o.dt)).toFixed(2)} s per simulated ` +
      `second); the first chunk took ${traceSeconds.toFixed(2)} s more (tracing and compiling)`);
    console.log(`raster written to ${o.out}, population rates to ${o.rates}`);
  }
  return { rateE, rateI, totalSpikes: sumE + sumI, msPerStep, traceSeconds, backend, rasterSpikes: raster.length };
}

/** `--name value` from the command line, as a string or a number. */
export function cliArgs(): { str(name: string): string | undefined; num(name: string): number | undefined } {
  const str = (name: string): string | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  return { str, num: (name) => (str(name) === undefined ? undefined : Number(str(name))) };
}

/**
 * The COBA benchmark (samples/coba.ts) at several sizes, in-degree kept at 80: ms per
 * simulated step of jitted forLoop chunks, seconds per simulated second, E/I rates, the
 * first chunk's extra time (tracing and compiling), and memory.
 *
 * Each step's spikes are added to a per-neuron count state inside the loop (one more
 * elementwise op, fused with the neuron update), so nothing of size steps x n leaves the
 * loop even at 400,000 neurons.
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import { CobaNet, COBA_PARAMS } from '../../samples/coba';
import { median } from '../harness';

/** One COBA measurement. */
export interface CobaRow {
  readonly impl: string;
  readonly backend: string;
  readonly n: number;
  readonly steps: number;
  readonly msPerStep: number;
  /**
   * Process CPU time per step (brainstate-ts rows): on a machine shared with other work the
   * wall time of a big chunk counts the time slices others get, a small chunk's mostly not,
   * so growth in wall time there is inflated; CPU time is not (single-threaded run).
   */
  readonly cpuMsPerStep?: number;
  readonly rateE: number;
  readonly rateI: number;
  /** Seconds to build (brainstate-ts: trace and compile beyond a steady chunk; Brian2: code generation and compilation). */
  readonly buildSeconds: number;
  /** Seconds to draw the connectivity and make the states. */
  readonly setupSeconds?: number;
  /** Bytes the network's tensors hold (tfjs' own count). */
  readonly tensorBytes?: number;
  /** Resident set size of the process after the run (COBA runs in its own process, sizes ascending). */
  readonly rssBytes?: number;
}

/** Simulated milliseconds per size: 1 s at 4,000 neurons, less for the big ones (their rates settle within 100 ms). */
export function cobaDuration(n: number, quick: boolean): number {
  const full = n <= 4000 ? 1000 : n <= 40000 ? 200 : 50;
  return quick ? Math.min(full, 100) : full;
}

/** Runs COBA with `n` neurons for `duration` ms in jitted chunks of `chunk` steps on the current backend. */
export function runCoba(n: number, duration: number, chunk = 100): CobaRow {
  const dt = COBA_PARAMS.dt;
  bst.environ.set({ dt });
  bst.random.seed(42);
  const bytesBefore = tf.memory().numBytes;
  const t0 = performance.now();
  const net = new CobaNet(n, 42);
  bst.nn.initAllStates(net);
  const counts = new bst.HiddenState(tf.zeros([n]));
  const setupSeconds = (performance.now() - t0) / 1000;
  const steps = Math.round(duration / dt);
  const k = Math.min(chunk, steps);
  const run = bst.transform.jit(() => bst.transform.forLoop(() => {
    counts.value = tf.add(counts.value, net.update());
    return [];
  }, { length: k }));
  const times: number[] = [];
  const cpuTimes: number[] = [];
  const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  for (let done = 0; done < steps; done += k) {
    const c0 = performance.now();
    const u0 = cpuMs();
    run();
    counts.value.dataSync(); // wait for the chunk
    times.push(performance.now() - c0);
    cpuTimes.push(cpuMs() - u0);
  }
  const steady = times.length > 1 ? times.slice(1) : times;
  const msPerStep = median(steady) / k;
  const cpuMsPerStep = median(cpuTimes.length > 1 ? cpuTimes.slice(1) : cpuTimes) / k;
  const c = counts.value.dataSync();
  let sumE = 0;
  let sumI = 0;
  for (let i = 0; i < n; i++) (i < net.nE ? (sumE += c[i]) : (sumI += c[i]));
  const seconds = (Math.ceil(steps / k) * k * dt) / 1000;
  const row: CobaRow = {
    impl: 'brainstate-ts jit forLoop', backend: bst.backend.name(), n, steps: Math.ceil(steps / k) * k, msPerStep, cpuMsPerStep,
    rateE: sumE / net.nE / seconds, rateI: sumI / net.nI / seconds,
    buildSeconds: Math.max(0, times[0] - median(steady)) / 1000, setupSeconds,
    tensorBytes: tf.memory().numBytes - bytesBefore, rssBytes: process.memoryUsage().rss,
  };
  run.clearCache();
  // Release this size's network before the next one (connectivity indices, then state values).
  (net.E.comm as bst.event.SparseConn).dispose();
  (net.I.comm as bst.event.SparseConn).dispose();
  for (const s of [...net.states().toFlat().values(), counts]) s.value = tf.scalar(0);
  return row;
}

/** Formats COBA rows as one table (time per step, seconds per simulated second, rates, build time). */
export function formatCobaTable(rows: readonly CobaRow[]): string {
  const header = ['COBA', 'implementation', 'backend', 'steps', 'ms / step', 'CPU ms / step', 's / simulated s', 'E (Hz)', 'I (Hz)', 'build (s)', 'memory'];
  const ms = (v: number) => (v >= 0.1 ? v.toFixed(3) : v.toFixed(4));
  const mb = (b: number | undefined) => (b === undefined ? '-' : `${(b / 2 ** 20).toFixed(0)} MB`);
  // The big sizes simulate fewer steps (cobaDuration): the steps column says how many.
  const body = rows.map((r) => [`N=${r.n}`, r.impl, r.backend, `${r.steps} (${(r.steps * COBA_PARAMS.dt).toFixed(0)} ms)`,
    ms(r.msPerStep), r.cpuMsPerStep === undefined ? '-' : ms(r.cpuMsPerStep),
    (r.msPerStep * 10).toFixed(2), r.rateE.toFixed(1), r.rateI.toFixed(1), r.buildSeconds.toFixed(2),
    r.rssBytes === undefined ? '-' : `${mb(r.tensorBytes)} tensors, ${mb(r.rssBytes)} RSS`]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

/**
 * How the time per step grows from the smallest size to the largest, per implementation and
 * backend (issue 14's must-show: at most 120x from 4,000 to 400,000 neurons, linear being 100x),
 * one line each; empty when no implementation ran two sizes.
 */
export function formatCobaGrowth(rows: readonly CobaRow[], limitPer100x = 120): string {
  const groups = new Map<string, CobaRow[]>();
  for (const r of rows) {
    const key = `${r.impl} ${r.backend}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const lines: string[] = [];
  for (const [key, g] of groups) {
    if (g.length < 2) continue;
    const sorted = [...g].sort((a, b) => a.n - b.n);
    const [lo, hi] = [sorted[0], sorted[sorted.length - 1]];
    const factor = hi.n / lo.n;
    const limit = (limitPer100x * factor) / 100;
    const ratio = hi.msPerStep / lo.msPerStep;
    const rss = hi.rssBytes === undefined ? '' : `; RSS at ${hi.n}: ${(hi.rssBytes / 2 ** 20).toFixed(0)} MB`;
    const cpuRatio = lo.cpuMsPerStep === undefined || hi.cpuMsPerStep === undefined ? undefined : hi.cpuMsPerStep / lo.cpuMsPerStep;
    const cpu = cpuRatio === undefined ? '' : `; CPU time per step ${cpuRatio.toFixed(0)}x${cpuRatio <= limit ? ', met' : ', NOT met'}`;
    lines.push(`COBA growth ${lo.n} -> ${hi.n} neurons, ${key}: time per step ${ratio.toFixed(0)}x for ${factor}x the neurons ` +
      `(limit ${limit.toFixed(0)}x${ratio <= limit ? ', met' : ', NOT met'})${cpu}${rss}`);
  }
  return lines.join('\n');
}

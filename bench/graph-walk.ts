/**
 * Graph walking cost: microseconds per state of `treefySplit` + `treefyStates` on a
 * module holding an array of sub-modules, each with two states (one explicit, one
 * `@hidden`), at 100 and 10,000 states (and 1,000 in between). Walking is linear when
 * the per-state figure stays flat as the state count grows 100-fold.
 *
 * Run: node --conditions=brainstate-source -r ts-node/register/transpile-only bench/graph-walk.ts
 * (BRAINSTATE_BACKEND picks the backend; the walk itself does no tensor work.)
 */
import { PerformanceEntry, PerformanceObserver } from 'perf_hooks';
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import { hidden } from 'brainstate-ts/decorators';
import { median } from './harness';

class Cell extends bst.nn.Module {
  w: bst.ParamState;
  @hidden v: tf.Tensor;
  tau = 10; // a static attribute, as real cells have
  constructor(w: tf.Tensor, v: tf.Tensor) {
    super();
    this.w = new bst.ParamState(w);
    this.v = v;
  }
}

class Population extends bst.nn.Module {
  cells: Cell[];
  constructor(numStates: number, w: tf.Tensor, v: tf.Tensor) {
    super();
    this.cells = Array.from({ length: numStates / 2 }, () => new Cell(w, v));
  }
}

interface Row {
  states: number;
  split: number;
  states_: number;
  total: number;
  merge: number;
  /** Mean µs per state spent in garbage collection during the split+states timing. */
  gc: number;
}

/** Every GC pause V8 reports, for splitting time into walking and collecting. */
const gcPauses: PerformanceEntry[] = [];
const gcObserver = new PerformanceObserver((list) => gcPauses.push(...list.getEntries()));

/** Lets queued GC entries arrive, then sums the pauses that started in [t0, t1] (ms). */
async function gcTimeIn(t0: number, t1: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 10));
  return gcPauses.filter((e) => e.startTime >= t0 && e.startTime <= t1).reduce((a, e) => a + e.duration, 0);
}

/** Median µs per state over `samples` samples, each timing enough calls to last a few ms. */
async function measure(numStates: number, samples: number, w: tf.Tensor, v: tf.Tensor): Promise<Row> {
  const net = new Population(numStates, w, v);
  const reps = Math.max(1, Math.ceil(40_000 / numStates));
  const time = (fn: () => unknown): number[] => {
    for (let i = 0; i < 2; i++) fn(); // warm-up: JIT-compile the walker's hot paths
    const out: number[] = [];
    for (let s = 0; s < samples; s++) {
      const t0 = performance.now();
      for (let r = 0; r < reps; r++) fn();
      out.push(((performance.now() - t0) * 1000) / (reps * numStates));
    }
    return out;
  };
  const split = time(() => bst.graph.treefySplit(net, bst.ParamState, '...'));
  const states = time(() => bst.graph.treefyStates(net, bst.HiddenState));
  const t0 = performance.now();
  const both = time(() => {
    bst.graph.treefySplit(net, bst.ParamState, '...');
    bst.graph.treefyStates(net, bst.HiddenState);
  });
  const gcMs = await gcTimeIn(t0, performance.now());
  const [graphDef, params, rest] = bst.graph.treefySplit(net, bst.ParamState, '...');
  const merge = time(() => bst.graph.treefyMerge(graphDef, params, rest));
  return {
    states: numStates, split: median(split), states_: median(states), total: median(both), merge: median(merge),
    gc: (gcMs * 1000) / ((samples + 2) * reps * numStates),
  };
}

async function main(): Promise<void> {
  const backend = await bst.backend.init();
  // One tensor per kind, shared by every state: states count holders, and the bench
  // measures walking, not tensor allocation.
  const w = tf.scalar(1);
  const v = tf.scalar(0);
  gcObserver.observe({ entryTypes: ['gc'] });
  const rows: Row[] = [];
  for (const [n, samples] of [[100, 15], [1_000, 11], [10_000, 9]]) rows.push(await measure(n, samples, w, v));
  gcObserver.disconnect();
  const f = (x: number): string => x.toFixed(3).padStart(8);
  console.log(`graph walk, backend ${backend}, node ${process.version}: median µs per state`);
  console.log('  states   treefySplit  treefyStates  split+states  (of which GC, mean)   treefyMerge');
  for (const r of rows) {
    console.log(`  ${String(r.states).padStart(6)}   ${f(r.split)}      ${f(r.states_)}      ${f(r.total)}      ${f(r.gc)}` +
      `            ${f(r.merge)}`);
  }
  const ratio = rows[2].total / rows[0].total;
  const ratioNoGc = (rows[2].total - rows[2].gc) / (rows[0].total - rows[0].gc);
  console.log(`split+states per-state cost at 10,000 / at 100: ${ratio.toFixed(2)} ` +
    `(${ratioNoGc.toFixed(2)} without GC pauses; 1.00 = perfectly linear)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

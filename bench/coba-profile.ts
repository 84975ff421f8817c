/**
 * Where the COBA step's time goes: per kernel, eagerly and jitted, on one backend; what
 * the event-driven product alone costs; and what tracing a jitted forLoop chunk costs.
 * Numbers to plan the whole-step compiler work with, not a pass/fail bench.
 *
 * Run: node --conditions=brainstate-source -r ts-node/register/transpile-only bench/coba-profile.ts wasm 4000
 *
 * Jitted per-kernel times come from wrapping every registered kernel of the backend with
 * a timer before anything is traced; the fused elementwise kernels the compiler generates
 * are not registered kernels, so their time is the remainder ("fused + dispatch").
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import { CobaNet, COBA_PARAMS } from '../samples/coba';
import { median } from './harness';

const timers = new Map<string, { ms: number; calls: number }>();
let timing = false;

/** Wraps every kernel registered for `backendName` with a timer (before any jit is built). */
function instrument(backendName: string): void {
  for (const k of tf.getKernelsForBackend(backendName)) {
    const inner = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, backendName);
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        if (!timing) return inner(args);
        const t0 = performance.now();
        const out = inner(args);
        const e = timers.get(k.kernelName) ?? { ms: 0, calls: 0 };
        e.ms += performance.now() - t0;
        e.calls++;
        timers.set(k.kernelName, e);
        return out;
      },
    });
  }
}

function report(title: string, totalMs: number, steps: number): void {
  const rows = [...timers.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const counted = rows.reduce((a, [, e]) => a + e.ms, 0);
  console.log(`\n${title}: ${(totalMs / steps).toFixed(4)} ms per step`);
  for (const [name, e] of rows) {
    console.log(`  ${name.padEnd(28)} ${(e.ms / steps * 1000).toFixed(1).padStart(8)} us/step  ${(e.calls / steps).toFixed(1)} calls/step`);
  }
  console.log(`  ${'(fused kernels + dispatch)'.padEnd(28)} ${((totalMs - counted) / steps * 1000).toFixed(1).padStart(8)} us/step`);
  timers.clear();
}

async function main(): Promise<void> {
  const backendName = await bst.backend.init(process.argv[2] ?? 'wasm');
  const n = Number(process.argv[3] ?? 4000);
  instrument(backendName);
  bst.environ.set({ dt: COBA_PARAMS.dt });
  bst.random.seed(42);
  const net = new CobaNet(n, 42);
  bst.nn.initAllStates(net);
  console.log(`COBA profile: ${n} neurons on ${backendName} (shared machine: times are indicative)`);
  // Warm up into the network's steady regime, jitted.
  const warm = bst.transform.jit(() => bst.transform.forLoop(() => net.update(), { length: 500 }) as tf.Tensor);
  warm().dispose();
  warm.clearCache();

  // 1. Eager steps.
  const eagerSteps = 50;
  timing = true;
  let t0 = performance.now();
  for (let i = 0; i < eagerSteps; i++) tf.tidy(() => { net.update().dataSync(); });
  report('eager step (tfjs op by op)', performance.now() - t0, eagerSteps);

  // 2. One jitted step per call.
  const step = bst.transform.jit(() => net.update());
  step().dispose();
  console.log(`\njitted step: ${step.lower().numKernels} kernels per step; the program:\n${step.lower().toString()}`);
  const jitSteps = 1000;
  timers.clear();
  t0 = performance.now();
  for (let i = 0; i < jitSteps; i++) step().dispose();
  net.N.V.value.dataSync();
  report('jitted step, one call per step', performance.now() - t0, jitSteps);

  // 3. A jitted forLoop of 100 steps per call (the samples' path), without returning spikes.
  const chunk = bst.transform.jit(() => bst.transform.forLoop(() => { net.update(); return []; }, { length: 100 }));
  chunk();
  timers.clear();
  t0 = performance.now();
  for (let i = 0; i < 10; i++) chunk();
  net.N.V.value.dataSync();
  report('jitted forLoop, 100 steps per call', performance.now() - t0, 1000);
  timing = false;

  // 4. The event-driven product alone: E -> all, with this step's spikes.
  const conn = net.E.comm as bst.event.FixedProb;
  const frac = 22 * COBA_PARAMS.dt / 1000;
  const spikes = tf.cast(tf.less(bst.random.uniform([net.nE]), frac), 'float32');
  const kernel = tf.getKernel(bst.event.EVENT_CSR_MATVEC, backendName)!.kernelFunc;
  const reps = 2000;
  const eager: number[] = [];
  const raw: number[] = [];
  for (let b = 0; b < 5; b++) {
    let s0 = performance.now();
    for (let i = 0; i < reps; i++) conn.call(spikes).dispose();
    eager.push((performance.now() - s0) / reps);
    s0 = performance.now();
    const backend = tf.engine().backend;
    for (let i = 0; i < reps; i++) {
      const out = kernel({ inputs: { spikes, indptr: conn.indptr, indices: conn.indices, weight: conn.weight.value },
        backend, attrs: { nPost: n } }) as tf.TensorInfo;
      backend.disposeData(out.dataId);
    }
    raw.push((performance.now() - s0) / reps);
  }
  console.log(`\nevent-driven product E -> all (${net.nE} x ${n}, ${conn.nnz} synapses, ~${Math.round(frac * net.nE)} spikes): ` +
    `${(median(eager) * 1000).toFixed(1)} us per call through tf (checks + engine), ` +
    `${(median(raw) * 1000).toFixed(1)} us through the kernel function alone`);
  spikes.dispose();

  // 5. Tracing a jitted forLoop chunk of 1000 steps: compile() only, then the first call against a steady one.
  for (const k of [100, 1000]) {
    const f = bst.transform.jit(() => bst.transform.forLoop(() => { net.update(); return []; }, { length: k }));
    let c0 = performance.now();
    f.compile();
    const compileMs = performance.now() - c0;
    c0 = performance.now();
    f();
    net.N.V.value.dataSync();
    const firstMs = performance.now() - c0;
    c0 = performance.now();
    f();
    net.N.V.value.dataSync();
    const steadyMs = performance.now() - c0;
    console.log(`jitted forLoop of ${k} steps: compile() ${compileMs.toFixed(0)} ms (the trace runs the loop once), ` +
      `first call after it ${firstMs.toFixed(0)} ms, a steady call ${steadyMs.toFixed(0)} ms`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

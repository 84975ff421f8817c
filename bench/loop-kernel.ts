/**
 * Whole-loop (and whole-step) kernels against the step-by-step scan (and kernel-by-kernel step), in one process, interleaved blocks,
 * medians of process CPU time and wall time (CPU time stays steady on a shared machine,
 * see bench/cpu-time.ts): COBA at N neurons (100-step jitted forLoop chunks) and the
 * 1000-step LIF simulation of N=1e4 in one jitted forLoop.
 *
 * Run: node --conditions=brainstate-source -r ts-node/register/transpile-only bench/loop-kernel.ts wasm 4000 [blocks]
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import { withWholeLoops } from '../src/compiler/fusion/loop-kernel';
import { CobaNet, COBA_PARAMS } from '../samples/coba';
import { lifSimInputs, lifSimStep } from './workloads/lif-sim';
import { median, timed } from './harness';

function compare(title: string, perCall: number, variants: [string, () => void][], blocks: number): void {
  const cpu = variants.map(() => [] as number[]);
  const wall = variants.map(() => [] as number[]);
  for (const [, run] of variants) run();
  for (let b = 0; b < blocks; b++) {
    variants.forEach(([, run], k) => {
      const [c, w] = timed(run);
      cpu[k].push(c / perCall);
      wall[k].push(w / perCall);
    });
  }
  console.log(title);
  variants.forEach(([name], k) => console.log(`  ${name.padEnd(34)} cpu ${median(cpu[k]).toFixed(4)} ms, wall ${median(wall[k]).toFixed(4)} ms`));
}

async function main(): Promise<void> {
  const backendName = await bst.backend.init(process.argv[2] ?? 'wasm');
  const n = Number(process.argv[3] ?? 4000);
  const blocks = Number(process.argv[4] ?? 9);
  console.log(`whole-loop kernels on ${backendName} (medians of ${blocks} interleaved blocks; per step)`);
  bst.environ.set({ dt: COBA_PARAMS.dt });
  bst.random.seed(42);
  const net = new CobaNet(n, 42);
  bst.nn.initAllStates(net);
  const chunk = 100;
  const make = () => bst.transform.jit(() => bst.transform.forLoop(() => { net.update(); return []; }, { length: chunk }));
  const whole = make();
  const stepwise = make();
  const sync = () => net.N.V.value.dataSync();
  whole();
  withWholeLoops(false, () => stepwise());
  compare(`COBA N=${n}, ${chunk}-step chunks`, chunk, [
    ['whole-loop kernel', () => { whole(); sync(); }],
    ['step by step', () => { stepwise(); sync(); }],
  ], blocks);

  const stepWhole = bst.transform.jit(() => net.update());
  const stepNodes = bst.transform.jit(() => net.update());
  stepWhole().dispose();
  withWholeLoops(false, () => stepNodes().dispose());
  compare(`COBA N=${n}, one jitted step per call (x${chunk})`, chunk, [
    ['whole-step kernel', () => { for (let i = 0; i < chunk; i++) stepWhole().dispose(); sync(); }],
    ['kernel by kernel', () => { for (let i = 0; i < chunk; i++) stepNodes().dispose(); sync(); }],
  ], blocks);

  const steps = 1000;
  const N = 1e4;
  const inputs = lifSimInputs(steps, N);
  const v = new bst.HiddenState(tf.zeros([N]));
  const body = (i: tf.Tensor) => lifSimStep(v, i);
  const lifWhole = bst.transform.jit((x: tf.Tensor) => bst.transform.forLoop(body, x) as tf.Tensor);
  const lifStep = bst.transform.jit((x: tf.Tensor) => bst.transform.forLoop(body, x) as tf.Tensor);
  const t0 = performance.now();
  lifWhole(inputs).dispose();
  const first = performance.now() - t0;
  withWholeLoops(false, () => lifStep(inputs).dispose());
  compare(`LIF simulation, ${steps} steps, N=1e4, one jitted forLoop`, 1, [
    ['whole-loop kernel', () => lifWhole(inputs).dispose()],
    ['step by step', () => lifStep(inputs).dispose()],
  ], blocks);
  console.log(`  first call of the whole-loop forLoop (trace, compile and run): ${first.toFixed(1)} ms`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

/**
 * Where the 1000-step LIF simulation (N=1e4, one jitted forLoop) spends its time on one
 * backend: the whole call, against the memory it must touch (reading the [1000, 1e4]
 * float32 inputs, writing the [1000, 1e4] bool spikes) measured in the same process.
 *
 * Run: node --conditions=brainstate-source -r ts-node/register/transpile-only bench/lif-loop-profile.ts wasm [blocks]
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import { pointwiseLoopCallCount, wholeLoopCallCount, withPointwiseLoops } from '../src/compiler/fusion/loop-kernel';
import { lifSimInputs, lifSimStep } from './workloads/lif-sim';
import { median, timed } from './harness';

async function main(): Promise<void> {
  const backendName = await bst.backend.init(process.argv[2] ?? 'wasm');
  const blocks = Number(process.argv[3] ?? 15);
  const steps = Number(process.env.STEPS ?? 1000);
  const N = Number(process.env.N ?? 1e4);
  const inputs = lifSimInputs(steps, N);
  const v = new bst.HiddenState(tf.zeros([N]));
  const body = (i: tf.Tensor) => lifSimStep(v, i);
  const loop = bst.transform.jit((x: tf.Tensor) => bst.transform.forLoop(body, x) as tf.Tensor);
  const t0 = performance.now();
  loop(inputs).dispose();
  console.log(`first call ${(performance.now() - t0).toFixed(1)} ms; whole-loop calls ${wholeLoopCallCount()}, pointwise ${pointwiseLoopCallCount()}`);
  if (process.env.SHOW) console.log(loop.lower(inputs).toString());
  const old = bst.transform.jit((x: tf.Tensor) => bst.transform.forLoop(body, x) as tf.Tensor);
  withPointwiseLoops(false, () => old(inputs).dispose());
  const src = new Float32Array(steps * N).map((_, i) => i);
  const dst = new Float32Array(steps * N);
  const variants: [string, () => void][] = [
    ['jit forLoop', () => loop(inputs).dispose()],
    ['jit forLoop, step by step in wasm', () => old(inputs).dispose()],
    ['memcpy 40 MB (JS typed array)', () => dst.set(src)],
  ];
  const cpu = variants.map(() => [] as number[]);
  const wall = variants.map(() => [] as number[]);
  for (const [, run] of variants) run();
  for (let b = 0; b < blocks; b++) variants.forEach(([, run], k) => {
    const [c, w] = timed(run);
    cpu[k].push(c);
    wall[k].push(w);
  });
  variants.forEach(([name], k) => console.log(`  ${name.padEnd(34)} cpu ${median(cpu[k]).toFixed(2)} ms, wall ${median(wall[k]).toFixed(2)} ms (min ${Math.min(...wall[k]).toFixed(2)})`));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

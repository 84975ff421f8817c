/**
 * The CPU cost per dispatch of a step on webgpu, on tiny shapes (GPU work negligible), with
 * the cached dispatch recorder (src/backend/webgpu/record-cache.ts) and queue uploads
 * (queue-upload.ts) on, and both off (tfjs-webgpu's own), in interleaved rounds of the
 * same process (medians). Env: D (width, 16), N (steps per
 * round, 300), R (rounds, 5), ONLY (eager | jit).
 *
 *   node --conditions=brainstate-source -r ts-node/register/transpile-only bench/webgpu-overhead.ts
 */
import { readFileSync } from 'fs';
import * as tf from '@tensorflow/tfjs';
import * as bst from '../src';
import { countDispatches, gpuIdle } from '../src/backend/webgpu/webgpu-engine';
import { recordCacheStats, setRecordCache } from '../src/backend/webgpu/record-cache';
import { setQueueUpload } from '../src/backend/webgpu/queue-upload';
import { onGpu } from './workloads/mlp-gpu';

/** This (main) thread's CPU ms where Linux says it (/proc), else NaN: Dawn's and SwiftShader's own threads are not ours. */
function mainThreadMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // utime + stime, in 10 ms ticks
  } catch {
    return NaN;
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  await bst.backend.init('webgpu');
  const backend = tf.backend();
  bst.random.seed(0);
  const D = Number(process.env.D ?? 16);
  const N = Number(process.env.N ?? 300);
  const R = Number(process.env.R ?? 5);
  const net = new bst.nn.Sequential(new bst.nn.Linear(D, D), new bst.nn.ReLU(), new bst.nn.Linear(D, 4));
  const params = net.states(bst.ParamState);
  const opt = new bst.optim.SGD(0.01);
  opt.registerTrainableWeights(params);
  const loss = (xb: tf.Tensor, yb: tf.Tensor) => tf.losses.softmaxCrossEntropy(yb, net.call(xb) as tf.Tensor) as tf.Scalar;
  const stepFn = (xb: tf.Tensor, yb: tf.Tensor) => {
    const [grads, value] = bst.transform.grad(loss, { gradStates: params, returnValue: true })(xb, yb);
    opt.update(grads);
    return value;
  };
  const x = onGpu(tf.randomUniform([8, D]) as tf.Tensor2D);
  const y = onGpu(tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], 'int32'), 4) as tf.Tensor2D);
  const jitted = bst.transform.jit(stepFn);
  const variants = ([['eager', stepFn], ['jit', jitted]] as const).filter(([n]) => (process.env.ONLY ?? n) === n);
  for (const [name, f] of variants) {
    for (let i = 0; i < 20; i++) f(x, y).dispose();
    await gpuIdle(backend);
    const d = countDispatches(() => f(x, y).dispose()).dispatches;
    const rows: Record<'off' | 'on', { t: number[]; submit: number[]; cpu: number[]; main: number[] }> = {
      off: { t: [], submit: [], cpu: [], main: [] }, on: { t: [], submit: [], cpu: [], main: [] } };
    for (let r = 0; r < R; r++) {
      for (const mode of ['off', 'on'] as const) {
        // Switched after a drain (gpuIdle below): nothing recorded is left unsubmitted.
        setRecordCache(mode === 'on');
        setQueueUpload(mode === 'on');
        for (let i = 0; i < 10; i++) f(x, y).dispose();
        await gpuIdle(backend);
        const made = recordCacheStats(backend)!.bindGroupsMade;
        const t0 = performance.now(); const c0 = process.cpuUsage(); const m0 = mainThreadMs();
        for (let i = 0; i < N; i++) f(x, y).dispose();
        rows[mode].submit.push((performance.now() - t0) / N);
        // Before the drain: waiting for the GPU, Dawn polls on this thread.
        rows[mode].main.push((mainThreadMs() - m0) / N);
        await gpuIdle(backend);
        rows[mode].t.push((performance.now() - t0) / N);
        const c = process.cpuUsage(c0);
        rows[mode].cpu.push((c.user + c.system) / 1000 / N);
        if (mode === 'on' && r === R - 1) {
          console.log(`${name}: bind groups made per step with the cache on: ${((recordCacheStats(backend)!.bindGroupsMade - made) / N).toFixed(2)}`);
        }
      }
    }
    for (const mode of ['off', 'on'] as const) {
      const m = rows[mode];
      console.log(`${name} (recorder and uploads ${mode}): ${d} dispatches, ${median(m.t).toFixed(3)} ms/step ` +
        `(${median(m.submit).toFixed(3)} before the GPU drains), CPU ${median(m.cpu).toFixed(3)} ms/step (all threads), ` +
        `main thread until submitted ${median(m.main).toFixed(3)} ms/step = ${(median(m.main) * 1000 / d).toFixed(1)} us/dispatch`);
    }
  }
  setRecordCache(true);
  setQueueUpload(true);
}
main().catch((e) => { console.error(e); process.exit(1); });

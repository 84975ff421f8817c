/**
 * `npm run bench -- --backend webgpu`: GPU programs dispatched per step and ms per step of
 * the LIF step and the MLP SGD and Adam steps on the webgpu backend, eagerly, jitted without fusion,
 * jitted with fused WGSL kernels, and @jax-js/jax's jit on the same WebGPU adapter, in one
 * process (interleaved blocks, medians). BENCH_ONLY=MLP (a regular expression) runs the
 * tables whose title matches; BENCH_QUICK=1 fewer blocks; BENCH_BLOCKS=n n blocks (a
 * shared machine's noise wants more); BENCH_RECORD_CACHE=off records every dispatch and
 * uploads host data through tfjs-webgpu's own recordAndSubmit and uploadToGPU (the baseline
 * of the cached recorder and queue uploads).
 *
 * Dispatches are counted at the WebGPU API (`GPUComputePassEncoder.dispatchWorkgroups`),
 * the same way for tfjs and jax-js. On SwiftShader (a CPU-emulated GPU) absolute times
 * mean little; counts and same-run ratios do.
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from '../src';
import { mlpGpuBatch, mlpTrainStep, onGpu } from './workloads/mlp-gpu';
import { withCompilerOptions } from '../src/compiler/options';
import { setRecordCache } from '../src/backend/webgpu/record-cache';
import { setQueueUpload } from '../src/backend/webgpu/queue-upload';

interface Variant {
  readonly name: string;
  /** Runs `k` steps; resolves when the GPU has finished them. */
  run(k: number): Promise<void>;
}

let dispatched = 0;
function countApiDispatches(): void {
  const enc = (globalThis as unknown as { GPUComputePassEncoder?: { prototype: Record<string, unknown> } }).GPUComputePassEncoder;
  if (enc === undefined) throw new Error('bench/webgpu: no GPUComputePassEncoder global (the webgpu package installs it)');
  const original = enc.prototype.dispatchWorkgroups as (...a: unknown[]) => unknown;
  enc.prototype.dispatchWorkgroups = function (this: unknown, ...a: unknown[]) {
    dispatched++;
    return original.apply(this, a);
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** One LIF Euler step: 7 elementwise kernels eagerly. */
function lifStep(v: bst.HiddenState, input: tf.Tensor): tf.Tensor {
  const next = tf.add(v.value, tf.mul(0.01, tf.add(tf.neg(v.value), input)));
  const spike = tf.greaterEqual(next, 1);
  v.value = tf.where(spike, tf.zerosLike(next), next);
  return spike;
}

async function lifVariants(n: number, jax: JaxLike | undefined): Promise<Variant[]> {
  const input = onGpu(tf.linspace(0, 3, n));
  const ours = (name: string, fusion: boolean | undefined): Variant => {
    const v = new bst.HiddenState(onGpu(tf.zeros([n])));
    const jitted = fusion === undefined ? undefined : bst.transform.jit((x: tf.Tensor) => lifStep(v, x));
    if (jitted !== undefined) withCompilerOptions({ fusion }, () => jitted.compile(input));
    const step = jitted ?? ((x: tf.Tensor) => tf.tidy(() => lifStep(v, x)));
    return {
      name,
      async run(k) {
        for (let i = 0; i < k; i++) step(input).dispose();
        await v.value.data();
      },
    };
  };
  const vs = [ours('eager', undefined), ours('jit unfused', false), ours('jit fused', true)];
  if (jax !== undefined) {
    const np = jax.numpy;
    const step = jax.jit((v: JaxArr, i: JaxArr) => {
      const next = v.ref.add(v.mul(-1).add(i).mul(0.01));
      const spike = next.ref.greaterEqual(1);
      return [np.where(spike.ref, 0, next), spike];
    });
    let v = np.zeros([n]);
    const i = np.linspace(0, 3, n);
    vs.push({
      name: 'jax-js jit',
      async run(k) {
        for (let r = 0; r < k; r++) {
          const [nv, s] = step(v, i.ref) as JaxArr[];
          v = nv;
          s.dispose();
        }
        await v.ref.data();
      },
    });
  }
  return vs;
}

async function mlpVariants(batch: number, jax: JaxLike | undefined, optimiser: 'sgd' | 'adam' = 'sgd'): Promise<Variant[]> {
  const { x, y } = mlpGpuBatch(batch);
  const ours = (name: string, fusion: boolean | undefined): Variant => {
    const raw = mlpTrainStep(optimiser);
    const jitted = fusion === undefined ? undefined : bst.transform.jit(raw);
    if (jitted !== undefined) withCompilerOptions({ fusion }, () => jitted.compile(x, y));
    const step = jitted ?? ((a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => raw(a, b)));
    return {
      name,
      async run(k) {
        let l: tf.Tensor | undefined;
        for (let i = 0; i < k; i++) {
          l?.dispose();
          l = step(x, y);
        }
        await l!.data();
        l!.dispose();
      },
    };
  };
  const vs = [ours('eager', undefined), ours('jit unfused', false), ours('jit fused', true)];
  if (jax !== undefined && optimiser === 'sgd') {
    const { numpy: np, nn, random } = jax;
    const [k1, k2] = random.split(random.key(0), 2);
    type P = { w1: JaxArr; b1: JaxArr; w2: JaxArr; b2: JaxArr };
    let p: P = { w1: random.normal(k1, [784, 256]).mul(0.05), b1: np.zeros([256]), w2: random.normal(k2, [256, 10]).mul(0.05),
      b2: np.zeros([10]) };
    const xj = np.array(Array.from({ length: batch * 784 }, (_, i) => (Math.sin(i * 0.37) + 1) / 2)).reshape([batch, 784]);
    const yj = nn.oneHot(np.array(Array.from({ length: batch }, (_, i) => i % 10), { dtype: 'int32' }), 10);
    const lossJ = (q: P, xb: JaxArr, yb: JaxArr) => {
      const h = nn.relu(np.matmul(xb, q.w1).add(q.b1));
      const o = np.matmul(h, q.w2).add(q.b2);
      return nn.logSoftmax(o, -1).mul(yb).sum().mul(-1 / batch);
    };
    const step = jax.jit((q: P, xb: JaxArr, yb: JaxArr): [P, JaxArr] => {
      const [l, g] = jax.valueAndGrad(lossJ)({ w1: q.w1.ref, b1: q.b1.ref, w2: q.w2.ref, b2: q.b2.ref }, xb, yb) as [JaxArr, P];
      return [{ w1: q.w1.sub(g.w1.mul(0.01)), b1: q.b1.sub(g.b1.mul(0.01)), w2: q.w2.sub(g.w2.mul(0.01)),
        b2: q.b2.sub(g.b2.mul(0.01)) }, l];
    });
    vs.push({
      name: 'jax-js jit',
      async run(k) {
        let l: JaxArr | undefined;
        for (let r = 0; r < k; r++) {
          l?.dispose();
          const [next, loss] = step(p, xj.ref, yj.ref);
          p = next;
          l = loss;
        }
        await l!.data();
      },
    });
  }
  return vs;
}

/** Only the tables whose title matches BENCH_ONLY (a regular expression, e.g. `MLP`), when set. */
const ONLY = process.env.BENCH_ONLY === undefined || process.env.BENCH_ONLY === '' ? undefined : new RegExp(process.env.BENCH_ONLY);

/**
 * Dispatches of one step (after warm-up), and ms per step: wall-clock and the process's
 * CPU time (SwiftShader runs the GPU's work on this process's threads, so CPU time counts
 * the work done whatever else runs on a shared machine), medians of interleaved blocks.
 */
async function measure(title: string, make: () => Promise<Variant[]>, steps: number, blocks: number): Promise<void> {
  if (ONLY !== undefined && !ONLY.test(title)) return;
  const variants = await make();
  const counts = new Map<string, number>();
  for (const v of variants) {
    await v.run(2); // trace, compile, warm the pipelines
    const before = dispatched;
    await v.run(1);
    counts.set(v.name, dispatched - before);
  }
  const times = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  const cpu = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (let b = 0; b < blocks; b++) {
    for (const v of variants) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      await v.run(steps);
      const c = process.cpuUsage(c0);
      times.get(v.name)!.push((performance.now() - t0) / steps);
      cpu.get(v.name)!.push((c.user + c.system) / 1000 / steps);
    }
  }
  const refName = times.has('jax-js jit') ? 'jax-js jit' : 'eager';
  const ref = median(times.get(refName)!);
  const refCpu = median(cpu.get(refName)!);
  console.log(`\n${title}`);
  console.log(`| variant | dispatches per step | ms per step | vs ${refName} | CPU ms per step | vs ${refName} |`);
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const v of variants) {
    const ms = median(times.get(v.name)!);
    const c = median(cpu.get(v.name)!);
    console.log(`| ${v.name} | ${counts.get(v.name)} | ${ms.toFixed(3)} | ${(ms / ref).toFixed(2)}x | ${c.toFixed(1)} | ${(c / refCpu).toFixed(2)}x |`);
  }
}

interface JaxArr {
  readonly ref: JaxArr;
  add(o: JaxArr | number): JaxArr;
  sub(o: JaxArr | number): JaxArr;
  mul(o: JaxArr | number): JaxArr;
  greaterEqual(o: JaxArr | number): JaxArr;
  sum(): JaxArr;
  reshape(s: number[]): JaxArr;
  dispose(): void;
  data(): Promise<ArrayLike<number>>;
}
interface JaxLike {
  init(...d: string[]): Promise<unknown>;
  defaultDevice(d: string): unknown;
  jit<F>(f: F): F;
  valueAndGrad<F extends (...a: never[]) => unknown>(f: F): (...a: Parameters<F>) => unknown;
  numpy: {
    zeros(s: number[]): JaxArr; linspace(a: number, b: number, n: number): JaxArr; where(c: JaxArr, a: JaxArr | number, b: JaxArr): JaxArr;
    array(v: number[], o?: { dtype: string }): JaxArr; matmul(a: JaxArr, b: JaxArr): JaxArr;
  };
  nn: { relu(x: JaxArr): JaxArr; logSoftmax(x: JaxArr, axis: number): JaxArr; oneHot(x: JaxArr, n: number): JaxArr };
  random: { key(s: number): JaxArr; split(k: JaxArr, n: number): JaxArr[]; normal(k: JaxArr, s: number[]): JaxArr };
}

/** @jax-js/jax on the WebGPU adapter tfjs uses (navigator.gpu and a userAgent), or undefined with the reason printed. */
async function loadJaxWebGPU(): Promise<JaxLike | undefined> {
  try {
    const nav = (globalThis as { navigator?: { userAgent?: string } }).navigator;
    if (nav !== undefined && nav.userAgent === undefined) Object.defineProperty(nav, 'userAgent', { value: 'Node.js', configurable: true });
    const jax = (await import('@jax-js/jax')) as unknown as JaxLike;
    await jax.init('webgpu');
    jax.defaultDevice('webgpu');
    return jax;
  } catch (e) {
    console.log(`@jax-js/jax on webgpu unavailable: ${(e as Error).message}`);
    return undefined;
  }
}

/** Runs the webgpu bench. */
export async function benchWebGPU(): Promise<void> {
  await bst.backend.init('webgpu');
  const a = bst.backend.webgpuAdapter()!;
  console.log(`webgpu adapter: ${a.description} (${a.software ? 'software' : 'hardware'}); machine shared: times are indicative`);
  countApiDispatches();
  // BENCH_RECORD_CACHE=off: every dispatch recorded and every upload made by tfjs-webgpu's own
  // recordAndSubmit and uploadToGPU (the baseline of src/backend/webgpu/record-cache.ts and queue-upload.ts).
  if (process.env.BENCH_RECORD_CACHE === 'off') {
    setRecordCache(false);
    setQueueUpload(false);
    console.log('dispatch recording and uploads: tfjs-webgpu\'s own (BENCH_RECORD_CACHE=off)');
  }
  const jax = await loadJaxWebGPU();
  const quick = process.env.BENCH_QUICK === '1';
  const blocks = process.env.BENCH_BLOCKS === undefined ? (quick ? 3 : 5) : Number(process.env.BENCH_BLOCKS);
  await measure('LIF step, 4,096 neurons', () => lifVariants(4096, jax), quick ? 5 : 20, blocks);
  await measure('LIF step, 100,000 neurons', () => lifVariants(100000, jax), quick ? 3 : 10, blocks);
  await measure('MLP 784-256-10 SGD step, batch 128', () => mlpVariants(128, jax), quick ? 2 : 5, blocks);
  // jax-js has no Adam here: the ratio is against eager.
  await measure('MLP 784-256-10 Adam step, batch 128', () => mlpVariants(128, undefined, 'adam'), quick ? 2 : 5, blocks);
}

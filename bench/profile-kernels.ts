/**
 * Where a training step's time goes, kernel by kernel: runs one bench workload's eager
 * step under `tf.profile` (which times every kernel the engine dispatches) and prints
 * the kernels with the most time, summed over repeats, next to the jitted step's total.
 *
 * Run: BRAINSTATE_BACKEND=wasm node --conditions=brainstate-source -r ts-node/register/transpile-only \
 *   bench/profile-kernels.ts [mlp|conv-net|lstm] [repeats]
 * (numbers on a shared machine are noisy: compare shares, not milliseconds).
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';

interface KernelRow { name: string; ms: number; calls: number }

async function main(): Promise<void> {
  const backend = await bst.backend.init();
  const which = process.argv[2] ?? 'mlp';
  const repeats = Number(process.argv[3] ?? 20);
  const c = which === 'conv-net' ? await (await import('./workloads/conv-net')).convNetCase(64)
    : which === 'lstm' ? await (await import('./workloads/lstm')).lstmCase(16)
      : await (await import('./workloads/mlp')).mlpCase(128);
  const eager = c.variants.find((v) => v.name === 'eager');
  const jit = c.variants.find((v) => v.name === 'jit');
  if (eager === undefined || jit === undefined) throw new Error('workload without eager / jit variants');
  eager.run(2);
  jit.run(2);
  const rows = new Map<string, KernelRow>();
  let total = 0;
  const t0 = performance.now();
  for (let r = 0; r < repeats; r++) {
    const info = await tf.profile(() => { eager.run(1); });
    for (const k of info.kernels) {
      const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      const key = `${k.name} ${k.inputShapes.map((s) => `[${(s ?? []).join(',')}]`).join(' ')}`;
      const row = rows.get(key) ?? { name: key, ms: 0, calls: 0 };
      row.ms += ms;
      row.calls += 1;
      rows.set(key, row);
      total += ms;
    }
  }
  const eagerMs = (performance.now() - t0) / repeats;
  const t1 = performance.now();
  jit.run(repeats);
  const jitMs = (performance.now() - t1) / repeats;
  const sorted = [...rows.values()].sort((a, b) => b.ms - a.ms);
  console.log(`${c.workload} (${c.size}) on ${backend}: eager step ${eagerMs.toFixed(2)} ms under the profiler ` +
    `(kernels ${(total / repeats).toFixed(2)} ms), jitted step ${jitMs.toFixed(2)} ms`);
  console.log('| kernel and input shapes | ms per step | share | calls per step |');
  console.log('|---|---|---|---|');
  for (const r of sorted.slice(0, 15)) {
    console.log(`| ${r.name} | ${(r.ms / repeats).toFixed(3)} | ${((100 * r.ms) / total).toFixed(1)}% | ${r.calls / repeats} |`);
  }
  for (const v of c.variants) v.dispose?.();
  if (which === 'mlp') mlpProgramKernels(repeats);
}

/**
 * The kernels of the jitted MLP step (as `jit(...).lower()` prints them: matmuls with
 * untransposed operands after explicit Transposes, reductions, the fused elementwise
 * kernels), each timed alone at its shapes with the median of interleaved repeats.
 */
function mlpProgramKernels(repeats: number): void {
  const r = (shape: number[]) => tf.keep(tf.randomUniform(shape));
  const a = r([128, 784]); const c = r([784, 256]); const k = r([128, 256]); const e = r([256, 10]);
  const v = r([128, 10]); const bh = r([784, 256]);
  const cases: [string, () => tf.Tensor][] = [
    ['BatchMatMul [128,784]x[784,256] (forward)', () => tf.matMul(a, c)],
    ['Transpose [128,784] -> [784,128]', () => tf.transpose(a)],
    ['BatchMatMul [784,128]x[128,256] (dW1, after the Transpose)', () => tf.matMul(tf.transpose(a), k)],
    ['BatchMatMul [128,784]x[128,256] transposeA (eager dW1)', () => tf.matMul(a, k, true, false)],
    ['BatchMatMul [128,256]x[256,10] (forward)', () => tf.matMul(k, e)],
    ['BatchMatMul [128,10]x[10,256] (dH)', () => tf.matMul(v, tf.transpose(e))],
    ['BatchMatMul [256,128]x[128,10] (dW2)', () => tf.matMul(tf.transpose(k), v)],
    ['SGD update [784,256] (2 kernels; fused in the jit)', () => tf.sub(c, tf.mul(0.01, bh))],
    ['Relu + Step [128,256]', () => tf.add(tf.relu(k), tf.step(k))],
    ['Sum [128,256] axis 0', () => tf.sum(k, 0)],
  ];
  const times = cases.map(() => [] as number[]);
  for (let b = 0; b < Math.max(5, repeats); b++) {
    cases.forEach(([, f], i) => {
      const t0 = performance.now();
      const out = f();
      out.dataSync();
      times[i].push(performance.now() - t0);
      tf.dispose(out);
    });
  }
  console.log('\nKernels of the jitted step, each alone (median ms):');
  console.log('| kernel | ms |');
  console.log('|---|---|');
  cases.forEach(([name], i) => {
    const s = times[i].sort((x, y) => x - y);
    console.log(`| ${name} | ${s[s.length >> 1].toFixed(3)} |`);
  });
  tf.dispose([a, c, k, e, v, bh]);
}

main().catch((e) => { console.error(e); process.exit(1); });

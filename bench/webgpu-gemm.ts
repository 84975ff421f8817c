/**
 * The webgpu matrix product's tilings side by side (src/backend/webgpu/matmul-program.ts):
 * each product shape of the MLP 784-256-10 training step, each tiling, timed in
 * interleaved blocks in one process (medians of wall and CPU ms per product; SwiftShader
 * runs the GPU's work on this process's threads), and every tiling's bits
 * checked against the first's (the sums run in k order whatever the tiling).
 *
 * Run: node --conditions=brainstate-source -r ts-node/register/transpile-only bench/webgpu-gemm.ts
 * (SwiftShader on a shared machine: compare ratios within a row, not milliseconds).
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from '../src';
import { planMatMul } from '../src/backend/gemm/plan';
import { BASE_TILING, MatMulTiling, matMulProgram } from '../src/backend/webgpu/matmul-program';
import { gpuIdle, runProgram } from '../src/backend/webgpu/webgpu-engine';
import { median } from './harness';
import { onGpu } from './workloads/mlp-gpu';

const SHAPES: [number[], number[], boolean, boolean][] = [
  [[128, 784], [784, 256], false, false], [[128, 256], [256, 10], false, false], [[128, 10], [256, 10], false, true],
  [[128, 256], [128, 10], true, false], [[128, 784], [128, 256], true, false],
];

const TILINGS: MatMulTiling[] = (process.env.TILINGS ?? 'base,4x4v64,4x4v256,8x4v64,4x8v64,8x8v64,4x4s64').split(',').map((s) => {
  if (s === 'base') return BASE_TILING;
  const m = /^(\d+)x(\d+)([vs])(\d+)$/.exec(s);
  if (m === null) throw new Error(`bench/webgpu-gemm: bad tiling ${s} (want e.g. 4x4v64)`);
  return { tm: +m[1], tn: +m[2], vec4: m[3] === 'v', workgroup: +m[4] };
});
const name = (t: MatMulTiling) => `${t.tm}x${t.tn}${t.vec4 ? 'v' : 's'}${t.workgroup}`;

async function main(): Promise<void> {
  await bst.backend.init('webgpu');
  const backend = tf.backend();
  const reps = Number(process.env.REPS ?? 5);
  const blocks = Number(process.env.BLOCKS ?? 5);
  const only = process.env.SHAPE === undefined ? undefined : Number(process.env.SHAPE);
  for (const [si, [as, bs, ta, tb]] of SHAPES.entries()) {
    if (only !== undefined && only !== si) continue;
    const plan = planMatMul(as, bs, ta, tb)!;
    const a = onGpu(tf.randomUniform(as, -1, 1));
    const b = onGpu(tf.randomUniform(bs, -1, 1));
    // EPILOGUE=1: with a bias and relu (as the jit's fused dense layers).
    const bias = onGpu(tf.randomUniform([plan.N], -1, 1));
    const epi = process.env.EPILOGUE === '1';
    const run = (t: MatMulTiling) => runProgram(backend, matMulProgram(plan, [], [], epi ? { activation: 'relu', bias: [plan.N] } : undefined, t),
      epi ? [a, b, bias] : [a, b], 'float32');
    const first = run(TILINGS[0]);
    const ref = new Int32Array(new Float32Array(await tf.engine().makeTensorFromDataId(first.dataId, first.shape, 'float32').data()).buffer);
    const same = new Map<string, boolean>();
    for (const t of TILINGS) {
      const o = run(t);
      const got = new Int32Array(new Float32Array(await tf.engine().makeTensorFromDataId(o.dataId, o.shape, 'float32').data()).buffer);
      same.set(name(t), got.every((x, i) => x === ref[i]));
    }
    const times = new Map<string, number[]>(TILINGS.map((t) => [name(t), []]));
    const cpu = new Map<string, number[]>(TILINGS.map((t) => [name(t), []]));
    for (let k = 0; k < blocks; k++) {
      for (const t of TILINGS) {
        await gpuIdle(backend);
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        const outs = [];
        for (let r = 0; r < reps; r++) outs.push(run(t));
        await gpuIdle(backend);
        times.get(name(t))!.push((performance.now() - t0) / reps);
        const c = process.cpuUsage(c0);
        cpu.get(name(t))!.push((c.user + c.system) / 1000 / reps);
        for (const o of outs) (backend as unknown as { disposeData(id: object): void }).disposeData(o.dataId);
      }
    }
    const base = median(times.get(name(TILINGS[0]))!);
    const baseCpu = median(cpu.get(name(TILINGS[0]))!);
    console.log(`\nmatMul([${as}], [${bs}], ${ta}, ${tb})${epi ? ' + bias, relu' : ''}: M ${plan.M} N ${plan.N} K ${plan.K}`);
    for (const t of TILINGS) {
      const ms = median(times.get(name(t))!);
      const c = median(cpu.get(name(t))!);
      console.log(`  ${name(t).padEnd(9)} ${ms.toFixed(2).padStart(7)} ms  ${(ms / base).toFixed(2)}x  CPU ${c.toFixed(1).padStart(6)} ms  ` +
        `${(c / baseCpu).toFixed(2)}x  bits ${same.get(name(t)) ? 'equal' : 'DIFFER'}`);
    }
    tf.dispose([a, b, bias]);
  }
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });

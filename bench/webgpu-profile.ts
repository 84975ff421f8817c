/**
 * Where the jitted MLP 784-256-10 SGD step's time goes on webgpu, program by program:
 * records every WGSL program one jitted step dispatches (tfjs's and the fused ones), then
 * replays each alone on fresh inputs of the same shapes, waiting for the GPU after each
 * block, and prints the median ms (wall and the process's CPU time: SwiftShader runs the
 * GPU's work on this process's threads) per program next to the whole step's.
 *
 * Run: node --conditions=brainstate-source -r ts-node/register/transpile-only bench/webgpu-profile.ts [sgd|adam]
 * (SwiftShader on a shared machine: compare shares, not milliseconds).
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import * as bst from '../src';
import { gpuIdle } from '../src/backend/webgpu/webgpu-engine';
import { mlpGpuBatch, mlpTrainStep, onGpu } from './workloads/mlp-gpu';

interface Info { dataId: object; shape: number[]; dtype: tf.DataType }
interface Recorded { program: WebGPUProgram; key: string; inputs: { shape: number[]; dtype: tf.DataType }[]; dtype: tf.DataType; uniforms: unknown }
type Run = (p: WebGPUProgram, i: Info[], d: tf.DataType, u?: unknown, o?: Info) => Info;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function main(): Promise<void> {
  await bst.backend.init('webgpu');
  const backend = tf.backend() as unknown as { runWebGPUProgram: Run };
  const optimiser = process.argv[2] ?? 'sgd';
  const batch = 128;
  const { x, y } = mlpGpuBatch(batch);
  const step = bst.transform.jit(mlpTrainStep(optimiser === 'sgd' ? 'sgd' : 'adam'));
  for (let i = 0; i < 3; i++) step(x, y).dispose();
  await gpuIdle(backend);
  const whole: number[] = [];
  const wholeCpu: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < 3; i++) step(x, y).dispose();
    await gpuIdle(backend);
    whole.push((performance.now() - t0) / 3);
    const c = process.cpuUsage(c0);
    wholeCpu.push((c.user + c.system) / 1000 / 3);
  }

  const recorded: Recorded[] = [];
  const run = backend.runWebGPUProgram;
  backend.runWebGPUProgram = function (this: unknown, p, i, d, u, o) {
    recorded.push({ program: p, key: p.shaderKey, inputs: i.map((t) => ({ shape: [...t.shape], dtype: t.dtype })), dtype: d, uniforms: u });
    return run.call(this, p, i, d, u, o);
  };
  step(x, y).dispose();
  backend.runWebGPUProgram = run;
  await gpuIdle(backend);

  const rows: { name: string; ms: number; cpu: number }[] = [];
  for (const r of recorded) {
    const ins = r.inputs.map((s) => onGpu(s.dtype === 'int32' ? tf.zeros(s.shape, 'int32') : tf.randomUniform(s.shape)));
    const infos = ins.map((t) => ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }));
    const once = () => {
      // runWebGPUProgram appends the inputs' shapes to program.shaderKey each time: without
      // the recorded key, every replay would miss the pipeline cache and time a compile.
      r.program.shaderKey = r.key;
      const out = backend.runWebGPUProgram(r.program, infos, r.dtype, r.uniforms);
      (tf.backend() as unknown as { disposeData(id: object): void }).disposeData(out.dataId);
    };
    once();
    await gpuIdle(backend);
    const ts: number[] = [];
    const cs: number[] = [];
    for (let k = 0; k < 3; k++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      for (let j = 0; j < 10; j++) once();
      await gpuIdle(backend);
      ts.push((performance.now() - t0) / 10);
      const c = process.cpuUsage(c0);
      cs.push((c.user + c.system) / 1000 / 10);
    }
    ins.forEach((t) => t.dispose());
    const p = r.program as WebGPUProgram & { workgroupSize?: number[]; dispatch?: number[] };
    const name = `${p.shaderKey.slice(0, 60)} in ${r.inputs.map((s) => `[${s.shape}]`).join(' ')} wg [${p.workgroupSize}] dispatch [${p.dispatch}]`;
    rows.push({ name, ms: median(ts), cpu: median(cs) });
  }
  const sum = rows.reduce((a, b) => a + b.ms, 0);
  const sumCpu = rows.reduce((a, b) => a + b.cpu, 0);
  console.log(`whole jitted step: ${median(whole).toFixed(1)} ms (CPU ${median(wholeCpu).toFixed(1)}); ${rows.length} programs, ` +
    `replayed alone: ${sum.toFixed(1)} ms in all (CPU ${sumCpu.toFixed(1)})`);
  for (const r of rows) console.log(`${r.ms.toFixed(2).padStart(9)} ms  CPU ${r.cpu.toFixed(2).padStart(7)} ms  ${r.name.replace(/\s+/g, ' ')}`);
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });

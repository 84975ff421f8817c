/**
 * Peak memory of a value-and-grad through a loop: scan vs checkpointedScan (issue 16), at
 * 100, 400, 1,600 and 6,400 steps, eagerly and under jit.
 *
 * Two meters: the peak of `tf.memory().numBytes` (polled at each buffer the backend writes:
 * every tensor the engine tracks, which is all of an eager run; under jit a compiled loop's
 * buffers are not tensors, so it undercounts there) and the backend's live bytes (every data
 * buffer the backend holds, which also counts what a compiled loop allocates without
 * tensors, so it is the meter under jit). Memory is deterministic; times are not measured.
 *
 * Run: node --conditions=brainstate-source -r ts-node/register/transpile-only bench/checkpoint-memory.ts [cpu|wasm]
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from '../src';

interface Meter { live: number; peak: number; enginePeak: number }

/** Counts the bytes of every buffer the backend writes and frees (this bench only: it wraps the backend). */
function meterBackend(): Meter {
  const b = tf.backend() as unknown as {
    write(values: unknown, shape: number[], dtype: string): object;
    disposeData(id: object, force?: boolean): boolean;
  };
  const m: Meter = { live: 0, peak: 0, enginePeak: 0 };
  const engineState = (tf.engine() as unknown as { state: { numBytes: number } }).state;
  const sizes = new Map<object, number>();
  const write = b.write.bind(b);
  const dispose = b.disposeData.bind(b);
  b.write = (values, shape, dtype) => {
    const id = write(values, shape, dtype);
    const n = shape.reduce((a, x) => a * x, 1) * (dtype === 'complex64' ? 8 : 4);
    sizes.set(id, n);
    m.live += n;
    m.peak = Math.max(m.peak, m.live);
    // tf.memory().numBytes as the engine has it now (the new buffer's tensor is registered next).
    m.enginePeak = Math.max(m.enginePeak, engineState.numBytes + n);
    return id;
  };
  b.disposeData = (id, force) => {
    const gone = dispose(id, force);
    if (gone && sizes.has(id)) {
      m.live -= sizes.get(id)!;
      sizes.delete(id);
    }
    return gone;
  };
  return m;
}

async function main(): Promise<void> {
  const backend = process.argv[2] ?? 'cpu';
  await bst.backend.init(backend as 'cpu');
  const meter = meterBackend();
  const n = 256;
  const w = new bst.ParamState(tf.randomNormal([n], 0, 0.1, 'float32', 1));
  const v = new bst.HiddenState(tf.zeros([n]));
  // A leaky integrator driven through a nonlinearity: v ← 0.95 v + tanh(w · v + 1); loss = final Σ v².
  const body = (c: tf.Tensor): [tf.Tensor, undefined] => {
    v.value = tf.add(tf.mul(v.value, 0.95), tf.tanh(tf.add(tf.mul(w.value, v.value), tf.mul(c, 0.01))));
    return [tf.add(c, 1), undefined];
  };
  const lossOf = (steps: number, checkpointed: boolean) => (): tf.Scalar => {
    v.value = tf.zeros([n]);
    if (checkpointed) bst.transform.checkpointedScan(body, tf.scalar(0), undefined, { length: steps });
    else bst.transform.scan(body, tf.scalar(0), undefined, { length: steps });
    return tf.sum(tf.square(v.value)) as tf.Scalar;
  };
  console.log(`backend ${backend}; carry ${n} float32 (${n * 4} B); base 16; shared machine`);
  console.log('| steps | mode | scan peak (numBytes) | checkpointed peak (numBytes) | scan peak (backend) | checkpointed peak (backend) | backend ratio |');
  console.log('|---|---|---|---|---|---|---|');
  for (const steps of [100, 400, 1600, 6400]) {
    for (const mode of ['eager', 'jit'] as const) {
      const peaks: number[][] = [];
      for (const ck of [false, true]) {
        const g = bst.transform.valueAndGrad(lossOf(steps, ck), { gradStates: w });
        const run = mode === 'jit' ? bst.transform.jit(g) : g;
        if (mode === 'jit') tf.dispose(run() as unknown as tf.Tensor[]); // trace outside the measure
        meter.peak = meter.live;
        const before = tf.memory().numBytes;
        meter.enginePeak = before;
        const base = meter.live;
        tf.dispose(run() as unknown as tf.Tensor[]);
        peaks.push([meter.enginePeak - before, meter.peak - base]);
      }
      const kb = (x: number) => `${(x / 1024).toFixed(0)} KiB`;
      console.log(`| ${steps} | ${mode} | ${kb(peaks[0][0])} | ${kb(peaks[1][0])} | ${kb(peaks[0][1])} | ${kb(peaks[1][1])} | ${(peaks[0][1] / peaks[1][1]).toFixed(1)}x |`);
    }
  }
}

void main();

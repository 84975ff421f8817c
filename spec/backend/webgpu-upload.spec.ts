/**
 * Host data uploaded through the queue on webgpu (src/backend/webgpu/queue-upload.ts): the
 * values tfjs-webgpu's own staging copy gives (float32 with -0, NaN, infinities and
 * denormals; int32 extremes; bool; a Float32Array behind int32 data), uploads into buffers
 * the pool hands back while commands are still unsubmitted, and a jitted step's results and
 * tfjs's pool with and without it. Runs in the webgpu suite; skipped elsewhere, saying so.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { expectSameBits, runOnlyInWebgpuSuite } from '../helpers';
import { gpuIdle, isOnDevice, uploadToGpu } from '../../src/backend/webgpu/webgpu-engine';
import { setQueueUpload } from '../../src/backend/webgpu/queue-upload';

const FLOATS = [0, -0, 1, -1.5, NaN, Infinity, -Infinity, 1e-40, -1e-40, 3.4028235e38, 16777217, 0.1];
const INTS = [0, 1, -1, 2147483647, -2147483648, 16777217, -16777217, 46341];

/** The values of tensors made from `make()`, uploaded, then put through a GPU kernel and read back. */
async function roundTrip(queue: boolean, make: () => tf.Tensor[]): Promise<number[][]> {
  await gpuIdle(tf.backend());
  const was = setQueueUpload(queue);
  try {
    const ts = make();
    const out: number[][] = [];
    for (const t of ts) {
      uploadToGpu(tf.backend(), t.dataId);
      expect(isOnDevice(tf.backend(), t.dataId)).to.equal(true);
      // A GPU kernel over the uploaded buffer (an int32 or bool cast keeps the bits; float32 adds -0).
      const r = t.dtype === 'float32' ? tf.add(t, tf.fill(t.shape, -0)) : tf.cast(t, 'int32');
      out.push([...await r.data()]);
      r.dispose();
    }
    tf.dispose(ts);
    await gpuIdle(tf.backend());
    return out;
  } finally {
    setQueueUpload(was);
  }
}

const spread = (values: number[], n: number) => Array.from({ length: n }, (_, i) => values[i % values.length]);

describe('webgpu: host data uploaded through the queue', () => {
  runOnlyInWebgpuSuite('webgpu upload specs');

  it('uploads the values tfjs-webgpu\'s staging copy uploads, for every dtype it keeps on the host', async () => {
    const make = () => [
      tf.tensor1d(spread(FLOATS, 2048)),
      tf.tensor1d(spread(INTS, 2048), 'int32'),
      tf.tensor1d(spread([1, 0, 1, 1, 0], 2048), 'bool'),
      tf.tensor1d(FLOATS), // small: tfjs forwards kernels over it to its CPU forms until it is uploaded
      tf.abs(tf.tensor1d([-2147483648, 5, -7], 'int32')), // tfjs's CPU Abs: a Float32Array behind int32 data
    ];
    const got = await roundTrip(true, make);
    expectSameBits(got, await roundTrip(false, make));
    expect(Object.is(got[0][1], -0)).to.equal(true);
    expect(got[1].slice(0, INTS.length)).to.deep.equal(INTS);
  });

  it('an upload into a buffer the pool hands back before the commands using it were submitted reads its own values', async () => {
    await gpuIdle(tf.backend());
    const n = 4096;
    const results: number[][] = [];
    const kept: tf.Tensor[] = [];
    for (let k = 0; k < 6; k++) {
      const t = tf.fill([n], k + 1);
      uploadToGpu(tf.backend(), t.dataId);
      kept.push(tf.add(t, tf.fill([n], -0))); // recorded, not submitted: the buffer is released at the next submit
      t.dispose();
      const u = tf.tensor1d(new Float32Array(n).fill(10 * (k + 1))); // may reuse a buffer the pool got back meanwhile
      uploadToGpu(tf.backend(), u.dataId);
      kept.push(tf.add(u, tf.fill([n], -0)));
      u.dispose();
    }
    for (const t of kept) results.push([...new Set(await t.data())]);
    tf.dispose(kept);
    expect(results).to.deep.equal([1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60].map((v) => [v]));
  });

  it('a jitted step with small constants gives the same bits with and without, and tfjs\'s pool stays flat', async () => {
    const x = tf.tensor1d(spread(FLOATS.filter((v) => Number.isFinite(v)), 2048));
    uploadToGpu(tf.backend(), x.dataId);
    const run = async (queue: boolean): Promise<number[][]> => {
      await gpuIdle(tf.backend());
      const was = setQueueUpload(queue);
      try {
        // tf.scalar(...) constants are fresh host data at every call, uploaded by the GPU kernels reading them.
        const f = bst.transform.jit((t: tf.Tensor) => tf.div(tf.mul(t, tf.scalar(3)), tf.add(tf.abs(t), tf.scalar(0.5))));
        const out: number[][] = [];
        for (let i = 0; i < 3; i++) {
          const r = f(x);
          out.push([...await r.data()]);
          r.dispose();
        }
        // tfjs's pool grows over the first calls (buffers released at submits, every 15 dispatches), then stays.
        for (let i = 0; i < 50; i++) f(x).dispose();
        await gpuIdle(tf.backend());
        const before = tf.memory() as tf.MemoryInfo & { numBytesInGPU: number; numBytesAllocatedInGPU: number };
        for (let i = 0; i < 50; i++) f(x).dispose();
        await gpuIdle(tf.backend());
        const after = tf.memory() as typeof before;
        expect(after.numTensors).to.equal(before.numTensors);
        expect(after.numBytesInGPU).to.equal(before.numBytesInGPU);
        expect(after.numBytesAllocatedInGPU).to.equal(before.numBytesAllocatedInGPU);
        f.clearCache();
        return out;
      } finally {
        setQueueUpload(was);
      }
    };
    const off = await run(false);
    expectSameBits(await run(true), off);
    x.dispose();
  });
});

/**
 * The cached dispatch recorder of the webgpu backend (src/backend/webgpu/record-cache.ts):
 * results bit for bit as tfjs-webgpu's own `recordAndSubmit` gives them (a jitted training
 * step, eager ops, uniform values that differ only in their bits), a steady replay that
 * reuses its uniform buffers and bind groups, and tfjs's buffer pool flat. Runs in the
 * webgpu suite (`BRAINSTATE_BACKEND=webgpu`); skipped elsewhere, saying so.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { expectSameBits, runOnlyInWebgpuSuite } from '../helpers';
import { countDispatches, gpuIdle, uploadToGpu } from '../../src/backend/webgpu/webgpu-engine';
import { BIND_GROUP_LIMIT, packedUniforms, recordCacheStats, setRecordCache, UNIFORM_LIMIT } from '../../src/backend/webgpu/record-cache';

const onGpu = <T extends tf.Tensor>(t: T): T => { uploadToGpu(tf.backend(), t.dataId); return t; };

/** A small MLP's Adam step (fresh weights from seed 3) on a batch on the GPU, and its parameters. */
function trainer(): { step: (x: tf.Tensor, y: tf.Tensor) => tf.Scalar; params: bst.ParamState[]; x: tf.Tensor; y: tf.Tensor } {
  bst.random.seed(3);
  const net = new bst.nn.Sequential(new bst.nn.Linear(64, 48), new bst.nn.ReLU(), new bst.nn.Linear(48, 10));
  const states = net.states(bst.ParamState);
  const opt = new bst.optim.Adam(1e-2);
  opt.registerTrainableWeights(states);
  const x = onGpu(tf.tensor2d(Array.from({ length: 32 * 64 }, (_, i) => Math.sin(i * 0.37)), [32, 64]));
  const y = onGpu(tf.oneHot(tf.tensor1d(Array.from({ length: 32 }, (_, i) => i % 10), 'int32'), 10));
  const loss = (xb: tf.Tensor, yb: tf.Tensor) => tf.losses.softmaxCrossEntropy(yb, net.call(xb) as tf.Tensor) as tf.Scalar;
  const step = (xb: tf.Tensor, yb: tf.Tensor): tf.Scalar => {
    const [grads, value] = bst.transform.grad(loss, { gradStates: states, returnValue: true })(xb, yb);
    opt.update(grads);
    return value;
  };
  return { step, params: states.toFlat().values() as bst.ParamState[], x, y };
}

const leaves = (v: unknown): tf.Tensor[] => (v instanceof tf.Tensor ? [v] : Object.values(v as object).flatMap(leaves));

/** The losses and final parameter values of `steps` steps, with the cached recorder on or off. */
async function train(steps: number, cached: boolean, jit: boolean): Promise<number[][]> {
  const was = setRecordCache(cached);
  try {
    const { step, params, x, y } = trainer();
    const run = jit ? bst.transform.jit(step) : (xb: tf.Tensor, yb: tf.Tensor) => tf.tidy(() => step(xb, yb));
    const out: number[][] = [];
    for (let i = 0; i < steps; i++) {
      const l = run(x, y);
      out.push([...await l.data()]);
      l.dispose();
    }
    for (const t of params.flatMap((p) => leaves(p.value))) out.push([...await t.data()]);
    tf.dispose([x, y]);
    return out;
  } finally {
    setRecordCache(was);
  }
}

describe('webgpu: the cached dispatch recorder', () => {
  runOnlyInWebgpuSuite('webgpu recorder specs');

  it('packs each dispatch\'s uniforms byte for byte as tfjs-webgpu\'s own makeUniforms writes them', async () => {
    type Rec = (p: unknown, o: { dataId: object; shape: number[] }, i: { dataId: object; shape: number[] }[], u?: never) => void;
    const b = tf.backend() as unknown as { recordAndSubmit: Rec; queue: { writeBuffer(...a: unknown[]): void } };
    const rec = b.recordAndSubmit;
    const write = b.queue.writeBuffer;
    const ours: (Uint8Array | undefined)[] = [];
    const theirs: Uint8Array[] = [];
    const was = setRecordCache(false);
    b.recordAndSubmit = function (this: unknown, p, o, i, u) {
      const own = (u as { type: string; data: number[] }[] | undefined)?.map((d) => ({ type: d.type, data: [...d.data] }));
      ours.push(packedUniforms(p, o, i, own));
      rec.call(this, p, o, i, u);
    };
    b.queue.writeBuffer = function (this: unknown, ...a: unknown[]) {
      const [buffer, , data, offset, size] = a as [{ usage: number }, number, ArrayBuffer, number, number];
      // Uniform buffers only (host data is uploaded through the queue too).
      const uniform = (globalThis as unknown as { GPUBufferUsage: { UNIFORM: number } }).GPUBufferUsage.UNIFORM;
      if ((buffer.usage & uniform) !== 0) theirs.push(new Uint8Array(data.slice(offset, offset + size)));
      write.apply(this, a);
    };
    try {
      const x = onGpu(tf.linspace(-3, 3, 2304));
      const shapes = [[2304], [48, 48], [4, 12, 48], [2, 3, 8, 48], [2, 3, 2, 4, 48], [2, 3, 2, 4, 6, 8]];
      const outs: tf.Tensor[] = [];
      for (const s of shapes) {
        const t = x.reshape(s);
        outs.push(tf.add(t, 1), tf.clipByValue(t, -0, 0.5), tf.sum(t, -1), tf.transpose(t), tf.slice(t, s.map(() => 0), s.map((d) => Math.max(1, d - 1))));
        // (tfjs-webgpu's pad program does not compile above rank 4.)
        if (s.length <= 4) outs.push(tf.pad(t, s.map(() => [1, 0] as [number, number])));
      }
      const sq = x.reshape([48, 48]);
      outs.push(tf.matMul(sq, sq), tf.max(sq, 0), tf.mul(tf.abs(sq), tf.scalar(3)), tf.where(tf.greater(sq, 0), sq, tf.neg(sq)));
      const f = bst.transform.jit((t: tf.Tensor) => tf.mul(tf.abs(t), tf.scalar(2)).add(tf.exp(t)));
      f(sq).dispose();
      outs.push(f(sq));
      await Promise.all(outs.map((o) => o.data()));
      tf.dispose([x, ...outs]);
      f.clearCache();
    } finally {
      b.recordAndSubmit = rec;
      b.queue.writeBuffer = write;
      setRecordCache(was);
    }
    expect(ours.length).to.be.above(30);
    expect(ours.length).to.equal(theirs.length);
    ours.forEach((o, k) => expect(o === undefined ? undefined : [...o], `dispatch ${k}`).to.deep.equal([...theirs[k]]));
  });

  it('a jitted Adam training step gives the same bits as with tfjs\'s own recording, step after step', async () => {
    const want = await train(6, false, true);
    expectSameBits(await train(6, true, true), want);
  });

  it('eager training steps give the same bits as with tfjs\'s own recording', async () => {
    expectSameBits(await train(3, true, false), await train(3, false, false));
  });

  it('dispatches that differ only in a uniform\'s bits (0 and -0; 2 and 3) each get their own values', async () => {
    const x = onGpu(tf.linspace(-4, -1, 2048));
    const results = async (cached: boolean): Promise<number[][]> => {
      const was = setRecordCache(cached);
      try {
        const out: number[][] = [];
        // tfjs's clip program takes its bounds as uniforms: -0 and 0 give one pipeline, and -0 or +0 out.
        for (const lo of [0, -0, 0, -0]) out.push([...await tf.clipByValue(x, lo, 0.5).data()]);
        // A generated program whose constant is a uniform: one pipeline for both functions.
        for (const c of [2, 3, 2]) {
          const f = bst.transform.jit((t: tf.Tensor) => tf.mul(tf.abs(t), tf.scalar(c)));
          f(x).dispose();
          out.push([...await f(x).data()]);
          f.clearCache();
        }
        return out;
      } finally {
        setRecordCache(was);
      }
    };
    const got = await results(true);
    expectSameBits(got, await results(false));
    expect([Object.is(got[0][0], 0), Object.is(got[1][0], -0), Object.is(got[2][0], 0), Object.is(got[3][0], -0)])
      .to.deep.equal([true, true, true, true]);
    expect([got[4][0], got[5][0], got[6][0]]).to.deep.equal([8, 12, 8]);
    x.dispose();
  });

  it('a steady jitted replay reuses its uniform buffers and bind groups; tfjs\'s buffer pool stays flat', async () => {
    const { step, x, y } = trainer();
    const jitted = bst.transform.jit(step);
    for (let i = 0; i < 40; i++) jitted(x, y).dispose();
    await gpuIdle(tf.backend());
    const before = recordCacheStats(tf.backend())!;
    const memBefore = tf.memory() as tf.MemoryInfo & { numBytesInGPU: number; numBytesAllocatedInGPU: number };
    const calls = 200;
    let dispatches = 0;
    for (let i = 0; i < calls; i++) dispatches += countDispatches(() => jitted(x, y).dispose()).dispatches;
    await gpuIdle(tf.backend());
    const after = recordCacheStats(tf.backend())!;
    const memAfter = tf.memory() as typeof memBefore;
    // The same uniform values at every call: no new uniform buffer.
    expect(after.uniformBuffersMade).to.equal(before.uniformBuffersMade);
    // tfjs's pool hands the same buffers back in (nearly) the same order: most dispatches reuse a bind group.
    expect(after.bindGroupsMade - before.bindGroupsMade).to.be.below(dispatches / 4);
    expect(after.bindGroupsHeld).to.be.at.most(BIND_GROUP_LIMIT);
    expect(after.uniformBuffersHeld).to.be.at.most(UNIFORM_LIMIT);
    expect(memAfter.numTensors).to.equal(memBefore.numTensors);
    expect(memAfter.numBytesInGPU).to.equal(memBefore.numBytesInGPU);
    expect(memAfter.numBytesAllocatedInGPU).to.equal(memBefore.numBytesAllocatedInGPU);
    jitted.clearCache();
    tf.dispose([x, y]);
  });
});

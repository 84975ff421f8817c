/**
 * The project's custom kernels on the backend under test against their JS memory loops
 * (the cpu kernels): on webgpu these are the WGSL programs (src/event/webgpu-csr.ts,
 * src/backend/training-kernels/max-pool-wgsl.ts), on cpu and wasm the loops themselves.
 *
 * Tolerance: the CSR sums run in the loops' order in float32, so they differ only where a
 * GPU contracts `a * b + c` into a fused multiply-add (WGSL allows it): a few ulp of the
 * partial sums, checked as |got - loop| <= 3.2e-6 * max(1, |loop|) (values here are below 10).
 * The max-pool gradient adds float32 values in the loop's order: equal bit for bit, where
 * the backend's kernel is the project's (cpu, webgpu; tfjs-wasm's own breaks ties elsewhere).
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { TRAINING_KERNELS } from '../../src/backend/training-kernels';
import { geometry3d, maxPoolBackprop } from '../../src/backend/training-kernels/geometry';
import { CSR_MATVEC_KERNEL, CSR_WEIGHT_GRAD_KERNEL, EVENT_CSR_MATVEC_KERNEL, runCsrKernel } from '../../src/event/csr-kernels';
import type { CustomKernelRecord, KernelAttrs } from '../../src/event/kernel-record';

/** A deterministic generator (LCG) for fixtures. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
}

/** A CSR structure with empty rows and duplicate synapses, unsorted within rows. */
function csr(nPre: number, nPost: number, rand: () => number) {
  const indptr = [0];
  const indices: number[] = [];
  for (let i = 0; i < nPre; i++) {
    const d = i % 5 === 1 ? 0 : Math.floor(rand() * 6);
    for (let k = 0; k < d; k++) indices.push(Math.floor(rand() * nPost));
    if (d > 0 && i % 7 === 0) indices.push(indices[indices.length - 1]);
    indptr.push(indices.length);
  }
  return { indptr: tf.tensor1d(indptr, 'int32'), indices: tf.tensor1d(indices, 'int32'), nnz: indices.length };
}

/** The record's memory loop on host copies of `inputs` (in the record's input order). */
async function reference(record: CustomKernelRecord, inputs: tf.Tensor[], attrs: KernelAttrs): Promise<Float32Array> {
  const out = new Float32Array(tf.util.sizeFromShape(record.outputOf(inputs, attrs).shape));
  const arrays = await Promise.all(inputs.map(async (t) => Float32Array.from(await t.data())));
  record.memoryLoop(arrays, out, inputs, attrs);
  return out;
}

async function expectCloseToLoop(got: tf.Tensor, want: Float32Array, what: string): Promise<void> {
  const g = await got.data();
  expect(g.length, what).to.equal(want.length);
  for (let i = 0; i < g.length; i++) {
    expect(Math.abs(g[i] - want[i]), `${what}[${i}]: ${g[i]} vs ${want[i]}`).to.be.at.most(3.2e-6 * Math.max(1, Math.abs(want[i])));
  }
}

describe(`custom kernels on the current backend equal their JS loops`, () => {
  it('event CSR products and the weight gradient: bool and float spikes, batches, shared and per-synapse weights', async () => {
    const rand = lcg(5);
    const nPre = 37;
    const nPost = 23;
    const { indptr, indices, nnz } = csr(nPre, nPost, rand);
    const wSyn = tf.tensor1d(Array.from({ length: nnz }, () => rand() * 2 - 1));
    const wOne = tf.scalar(0.375);
    const boolSpikes = tf.tensor2d(Array.from({ length: 3 * nPre }, () => (rand() < 0.3 ? 1 : 0)), [3, nPre]).cast('bool');
    const floatSpikes = tf.tensor1d(Array.from({ length: nPre }, () => (rand() < 0.4 ? rand() * 4 - 2 : 0)));
    const x = tf.tensor2d(Array.from({ length: 2 * nPost }, () => rand() * 2 - 1), [2, nPost]);
    const dy = tf.tensor2d(Array.from({ length: 3 * nPost }, () => rand() * 2 - 1), [3, nPost]);
    for (const weight of [wSyn, wOne]) {
      for (const spikes of [boolSpikes, floatSpikes]) {
        const got = runCsrKernel(EVENT_CSR_MATVEC_KERNEL.name, { spikes, indptr, indices, weight }, { nPost });
        await expectCloseToLoop(got, await reference(EVENT_CSR_MATVEC_KERNEL, [spikes, indptr, indices, weight], { nPost }),
          `event product (${spikes.dtype} spikes, weight rank ${weight.rank})`);
        got.dispose();
      }
      const gathered = runCsrKernel(CSR_MATVEC_KERNEL.name, { x, indptr, indices, weight }, { nPre });
      await expectCloseToLoop(gathered, await reference(CSR_MATVEC_KERNEL, [x, indptr, indices, weight], { nPre }),
        `gather product (weight rank ${weight.rank})`);
      gathered.dispose();
      const homogeneous = weight.rank === 0;
      const dw = runCsrKernel(CSR_WEIGHT_GRAD_KERNEL.name, { spikes: boolSpikes, indptr, indices, dy }, { homogeneous });
      await expectCloseToLoop(dw, await reference(CSR_WEIGHT_GRAD_KERNEL, [boolSpikes, indptr, indices, dy], { homogeneous }),
        `weight gradient (homogeneous ${homogeneous})`);
      dw.dispose();
    }
    tf.dispose([indptr, indices, wSyn, wOne, boolSpikes, floatSpikes, x, dy]);
  });

  it('the maxPool3d gradient equals the JS loop bit for bit (overlapping windows, ties, padding)', async function () {
    if (!TRAINING_KERNELS.some((k) => k.kernelName === 'MaxPool3DGrad' && k.backendName === tf.getBackend())) {
      console.log(`      MaxPool3DGrad on ${tf.getBackend()} is tfjs's own (it picks another element on ties): not this spec's`);
      this.skip();
    }
    const rand = lcg(9);
    // Values on a coarse grid, so windows hold ties (the first largest element wins).
    const x = tf.tensor5d(Array.from({ length: 2 * 5 * 4 * 6 * 2 }, () => Math.floor(rand() * 7) - 3), [2, 5, 4, 6, 2]);
    for (const [filter, stride, pad] of [[[2, 3, 2], 1, 'valid'], [[3, 2, 2], 2, 'same'], [[2, 2, 3], [1, 2, 1], 'same']] as const) {
      const f = (a: tf.Tensor) => tf.maxPool3d(a as tf.Tensor5D, filter as [number, number, number], stride as number, pad);
      const y = f(x);
      const dy = tf.tensor(Array.from({ length: y.size }, () => rand() * 2 - 1), y.shape);
      const [got] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(f(a), dy)))([x]);
      const info = tf.backend_util.computePool3DInfo(x.shape as [number, number, number, number, number],
        filter as [number, number, number], stride as number, 1, pad);
      const want = new Float32Array(x.size);
      maxPoolBackprop(await x.data(), await dy.data(), geometry3d(info), want);
      expect(Array.from(await got.data()), `filter [${filter}], stride ${stride}, ${pad}`).to.deep.equal(Array.from(want));
      tf.dispose([y, dy, got]);
    }
    x.dispose();
  });
});

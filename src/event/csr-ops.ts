/**
 * The public face of the CSR kernels: `spikes -> post-synaptic input` with argument
 * checks, a dtype rule, and a fallback made of ordinary tfjs ops (gather and a segment
 * sum) on backends that have no memory kernel (tensorflow, webgpu).
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import { CSR_MATVEC, EVENT_CSR_MATVEC, runCsrKernel } from './csr-kernels';
import { hasImpl } from './kernel-record';
import type { CsrLayout } from './layout';

function describe(t: tf.Tensor): string {
  return `a ${t.dtype} tensor of shape [${t.shape.join(',')}]`;
}

/** `weight` must be float32 `[]` or `[nnz]`. */
export function checkWeight(weight: tf.Tensor, nnz: number, where: string): void {
  if (weight.dtype !== 'float32' || !(weight.rank === 0 || (weight.rank === 1 && weight.shape[0] === nnz))) {
    throw new BrainStateError(`${where}: expected the weight to be a float32 scalar (one weight for every synapse) ` +
      `or a float32 tensor of shape [${nnz}] (one per synapse), got ${describe(weight)}.`);
  }
}

/** Spikes as the kernel takes them: bool or float32 (int32 is cast), last axis nPre. */
function spikesFor(spikes: tf.Tensor, nPre: number, where: string): tf.Tensor {
  if (!(spikes instanceof tf.Tensor)) {
    throw new BrainStateError(`${where}: expected the spikes as a tensor (bool, or float for surrogate spikes), got ` +
      `${typeof spikes}.`);
  }
  if (spikes.rank === 0 || spikes.shape[spikes.rank - 1] !== nPre) {
    throw new BrainStateError(`${where}: expected spikes of shape [..., ${nPre}] (one per pre-synaptic neuron, after ` +
      `any batch axes), got ${describe(spikes)}.`);
  }
  if (spikes.dtype === 'bool' || spikes.dtype === 'float32') return spikes;
  if (spikes.dtype === 'int32') return tf.cast(spikes, 'float32');
  throw new BrainStateError(`${where}: expected bool or float32 spikes, got ${describe(spikes)}.`);
}

/**
 * Post-synaptic input `y[..., j] = sum_i spikes[..., i] W[i, j]` of the connectivity
 * `layout` with `weight`, event-driven: rows of neurons whose spike is 0 are skipped
 * (so, unlike a dense product, a 0 spike times an infinite weight contributes 0). Float
 * spikes multiply their rows. Differentiable with respect to `weight` and float spikes.
 *
 * @example
 * ```ts
 * const y = eventCsrMatVec(tf.tensor1d([true, false], 'bool'), layout, tf.scalar(0.5), 'CSR.call');
 * ```
 */
export function eventCsrMatVec(spikes: tf.Tensor, layout: CsrLayout, weight: tf.Tensor, where: string): tf.Tensor {
  checkWeight(weight, layout.nnz, where);
  return tf.tidy(() => {
    const s = spikesFor(spikes, layout.nPre, where);
    const inputs = { spikes: s, indptr: layout.indptr, indices: layout.indices, weight };
    if (hasImpl(EVENT_CSR_MATVEC, tf.getBackend())) return runCsrKernel(EVENT_CSR_MATVEC, inputs, { nPost: layout.nPost });
    return eventCsrMatVecOps(s, layout, weight);
  });
}

/** `W @ x` over the last axis of `x` (`[..., nPost]` to `[..., nPre]`), every row. */
export function csrMatVec(x: tf.Tensor, layout: CsrLayout, weight: tf.Tensor, where: string): tf.Tensor {
  checkWeight(weight, layout.nnz, where);
  if (x.rank === 0 || x.shape[x.rank - 1] !== layout.nPost || x.dtype !== 'float32') {
    throw new BrainStateError(`${where}: expected a float32 tensor of shape [..., ${layout.nPost}], got ${describe(x)}.`);
  }
  return tf.tidy(() => {
    const inputs = { x, indptr: layout.indptr, indices: layout.indices, weight };
    if (hasImpl(CSR_MATVEC, tf.getBackend())) return runCsrKernel(CSR_MATVEC, inputs, { nPre: layout.nPre });
    const lead = x.shape.slice(0, -1);
    const flat = tf.reshape(x, [-1, layout.nPost]);
    const terms = tf.mul(tf.gather(flat, layout.indices, 1), weight);                    // [B, nnz]
    const sums = tf.unsortedSegmentSum(tf.transpose(terms), layout.rows(), layout.nPre); // [nPre, B]
    return tf.reshape(tf.transpose(sums), [...lead, layout.nPre]);
  });
}

/**
 * The same product as {@link eventCsrMatVec} with ordinary tfjs ops (every synapse is
 * read): the fallback on backends without the memory kernel, and a cross-check.
 */
export function eventCsrMatVecOps(spikes: tf.Tensor, layout: CsrLayout, weight: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const s = spikes.dtype === 'float32' ? spikes : tf.cast(spikes, 'float32');
    const lead = s.shape.slice(0, -1);
    const flat = tf.reshape(s, [-1, layout.nPre]);
    if (layout.nnz === 0) return tf.zeros([...lead, layout.nPost]);
    const terms = tf.mul(tf.gather(flat, layout.rows(), 1), weight);                       // [B, nnz]
    const sums = tf.unsortedSegmentSum(tf.transpose(terms), layout.indices, layout.nPost); // [nPost, B]
    return tf.reshape(tf.transpose(sums), [...lead, layout.nPost]);
  });
}

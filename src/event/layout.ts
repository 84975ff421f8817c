/**
 * `CsrLayout`: the validated structure of a sparse connectivity (which pre-synaptic
 * neuron reaches which post-synaptic ones), stored by pre-synaptic rows as int32 tensors
 * that the event-driven kernels read.
 */
import * as tf from '@tensorflow/tfjs';
import { canReadSync } from '../backend/tfjs-engine';
import { BrainStateError } from '../errors';

/** Index arrays as users give them. */
export type IndexArray = ArrayLike<number> | tf.Tensor;

/** The host copy of index arrays, as int32. */
export function toInt32(x: IndexArray, name: string, where: string): Int32Array {
  if (x instanceof tf.Tensor) {
    if (x.rank !== 1 || (x.dtype !== 'int32' && x.dtype !== 'float32')) {
      throw new BrainStateError(`${where}: expected ${name} to be a 1-D int32 tensor or an array of integers, got ` +
        `a ${x.dtype} tensor of shape [${x.shape.join(',')}].`);
    }
    x = x.dataSync();
  }
  const out = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!Number.isInteger(v)) {
      throw new BrainStateError(`${where}: expected ${name} to hold integers, got ${v} at position ${i}.`);
    }
    out[i] = v;
  }
  return out;
}

/** Throws unless `shape` is `[nPre, nPost]` with non-negative integers. */
export function checkConnShape(shape: readonly number[], where: string): [number, number] {
  if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new BrainStateError(`${where}: expected shape [nPre, nPost] (two non-negative integers), got ` +
      `${JSON.stringify(shape)}.`);
  }
  return [shape[0], shape[1]];
}

/**
 * The CSR structure of a connectivity of shape `[nPre, nPost]`: row `i` (pre-synaptic
 * neuron `i`) holds synapses `indptr[i] .. indptr[i + 1] - 1`, whose post-synaptic
 * targets are `indices[k]`. The tensors are kept (they outlive any enclosing `tf.tidy`)
 * and are constants of every jitted program that uses them.
 */
export class CsrLayout {
  readonly indptr: tf.Tensor1D;
  readonly indices: tf.Tensor1D;
  private rowsOfSynapses: tf.Tensor1D | undefined;

  // Host copies of the structure: on webgpu the tensors may live on the GPU only, where
  // they cannot be read synchronously (rows(), toDense()).
  private constructor(readonly nPre: number, readonly nPost: number, private readonly hostIndptr: Int32Array,
    private readonly hostIndices: Int32Array) {
    const indptr = hostIndptr;
    const indices = hostIndices;
    this.indptr = tf.keep(tf.tensor1d(indptr, 'int32'));
    this.indices = tf.keep(tf.tensor1d(indices, 'int32'));
  }

  /** The number of stored synapses. */
  get nnz(): number {
    return this.indices.shape[0];
  }

  /**
   * A layout from host arrays, checked: `indptr` has `nPre + 1` non-decreasing entries from
   * 0 to `indices.length`, and every index lies in `[0, nPost)`.
   */
  static fromArrays(indptr: Int32Array, indices: Int32Array, shape: [number, number], where: string): CsrLayout {
    const [nPre, nPost] = shape;
    if (indptr.length !== nPre + 1) {
      throw new BrainStateError(`${where}: expected indptr to have nPre + 1 = ${nPre + 1} entries, got ` +
        `${indptr.length}; indptr[i] is where row i starts, and indptr[nPre] the number of synapses.`);
    }
    if (indptr[0] !== 0 || indptr[nPre] !== indices.length) {
      throw new BrainStateError(`${where}: expected indptr to run from 0 to indices.length (${indices.length}), ` +
        `got ${indptr[0]} .. ${indptr[nPre]}.`);
    }
    for (let i = 0; i < nPre; i++) {
      if (indptr[i + 1] < indptr[i]) {
        throw new BrainStateError(`${where}: expected indptr to be non-decreasing, got indptr[${i}] = ${indptr[i]} ` +
          `> indptr[${i + 1}] = ${indptr[i + 1]}.`);
      }
    }
    for (let k = 0; k < indices.length; k++) {
      const j = indices[k];
      if (j < 0 || j >= nPost) {
        throw new BrainStateError(`${where}: expected every post-synaptic index in [0, ${nPost}), got ${j} at ` +
          `position ${k}.`);
      }
    }
    return new CsrLayout(nPre, nPost, indptr, indices);
  }

  /** The pre-synaptic row of every synapse, int32 `[nnz]` (made on first use, for tf-op fallbacks). */
  rows(): tf.Tensor1D {
    if (this.rowsOfSynapses === undefined) {
      const indptr = this.hostIndptr;
      const rows = new Int32Array(this.nnz);
      for (let i = 0; i < this.nPre; i++) rows.fill(i, indptr[i], indptr[i + 1]);
      this.rowsOfSynapses = tf.keep(tf.tensor1d(rows, 'int32'));
    }
    return this.rowsOfSynapses;
  }

  /** The dense `[nPre, nPost]` matrix with `weight` (scalar or per synapse) at every synapse, duplicates summed. */
  toDense(weight: tf.Tensor): tf.Tensor2D {
    const indptr = this.hostIndptr;
    const indices = this.hostIndices;
    const homogeneous = weight.rank === 0;
    if (!canReadSync(weight)) {
      // Weights on the GPU (webgpu): scattered there, duplicates summed by the segment sum.
      return tf.tidy(() => {
        const cells = new Int32Array(this.nnz);
        for (let i = 0; i < this.nPre; i++) for (let k = indptr[i]; k < indptr[i + 1]; k++) cells[k] = i * this.nPost + indices[k];
        const flat = tf.tensor1d(cells, 'int32');
        const w = homogeneous ? tf.mul(tf.ones([this.nnz]), weight) : weight;
        return tf.reshape(tf.unsortedSegmentSum(w, flat, this.nPre * this.nPost), [this.nPre, this.nPost]) as tf.Tensor2D;
      });
    }
    const w = weight.dataSync();
    const dense = new Float32Array(this.nPre * this.nPost);
    for (let i = 0; i < this.nPre; i++) {
      for (let k = indptr[i]; k < indptr[i + 1]; k++) dense[i * this.nPost + indices[k]] += homogeneous ? w[0] : w[k];
    }
    return tf.tensor2d(dense, [this.nPre, this.nPost]);
  }

  /** Releases the index tensors (the layout cannot be used afterwards). */
  dispose(): void {
    this.indptr.dispose();
    this.indices.dispose();
    this.rowsOfSynapses?.dispose();
  }
}

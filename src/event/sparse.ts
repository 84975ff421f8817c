/**
 * Sparse connectivity modules, brainevent's `CSR` and `COO`: a fixed structure (which
 * pre-synaptic neuron reaches which post-synaptic ones) and a weight state, called with
 * spikes to give the post-synaptic input, event-driven.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import { InitSpec, param } from '../nn/init';
import { Module } from '../nn/module';
import { ParamState, State } from '../state';
import { checkWeight, eventCsrMatVec } from './csr-ops';
import { checkConnShape, CsrLayout, IndexArray, toInt32 } from './layout';

/**
 * A connectivity's weight: a number (one weight for every synapse), a float32 tensor
 * (scalar, or one value per synapse), an initialiser called with `[nnz]`, or a state of
 * your own (used as is, e.g. to share it).
 */
export type WeightSpec = number | tf.Tensor | InitSpec | State<tf.Tensor>;

/** The weight state from `spec`: a `ParamState` unless a state was given. */
export function weightState(spec: WeightSpec, nnz: number, where: string): State<tf.Tensor> {
  if (spec instanceof State) {
    checkWeight(spec.value, nnz, where);
    return spec;
  }
  let value: tf.Tensor;
  if (typeof spec === 'number') value = tf.scalar(spec);
  else if (spec instanceof tf.Tensor) value = spec.dtype === 'float32' ? tf.clone(spec) : tf.cast(spec, 'float32');
  else value = param(spec, [nnz], `${where}(weight)`);
  try {
    checkWeight(value, nnz, where);
  } catch (e) {
    value.dispose();
    throw e;
  }
  return new ParamState(value, { name: 'weight' });
}

/**
 * The base of the connectivity modules: a {@link CsrLayout} plus a weight state.
 * `call(spikes)` maps `[..., nPre]` spikes (bool, or float: they multiply) to the
 * `[..., nPost]` post-synaptic input, reading only the rows of neurons that spiked.
 */
export class SparseConn extends Module {
  /** `[nPre, nPost]`. */
  readonly shape: [number, number];
  /** The structure (int32 index tensors). */
  readonly layout: CsrLayout;
  /** The weights: float32 `[]` (homogeneous) or `[nnz]` in CSR order. */
  weight: State<tf.Tensor>;

  protected constructor(layout: CsrLayout, weight: WeightSpec, where: string) {
    super();
    this.layout = layout;
    this.shape = [layout.nPre, layout.nPost];
    try {
      this.weight = weightState(weight, layout.nnz, where);
    } catch (e) {
      layout.dispose();
      throw e;
    }
  }

  /** The number of stored synapses. */
  get nnz(): number {
    return this.layout.nnz;
  }

  /** Row pointers, int32 `[nPre + 1]`. */
  get indptr(): tf.Tensor1D {
    return this.layout.indptr;
  }

  /** Post-synaptic index of each synapse, int32 `[nnz]`. */
  get indices(): tf.Tensor1D {
    return this.layout.indices;
  }

  /** The post-synaptic input of `spikes` (`[..., nPre]` to `[..., nPost]`). */
  override update(spikes: tf.Tensor): tf.Tensor {
    return eventCsrMatVec(spikes, this.layout, this.weight.value, `${this.constructor.name}.call`);
  }

  override call(spikes: tf.Tensor): tf.Tensor {
    return this.update(spikes);
  }

  /**
   * Releases the index tensors (kept outside any `tf.tidy` while the module lives); the
   * module cannot be called afterwards. The weight is a state: it is released when the
   * state is written or dropped.
   */
  dispose(): void {
    this.layout.dispose();
  }

  /** The dense `[nPre, nPost]` weight matrix (duplicate synapses summed): for checks and small models. */
  toDense(): tf.Tensor2D {
    return this.layout.toDense(this.weight.value);
  }
}

/**
 * Connectivity given in compressed sparse rows, as brainevent's `CSR((data, indices,
 * indptr), shape)`: row `i` (pre-synaptic neuron `i`) has synapses `indptr[i]` to
 * `indptr[i + 1] - 1`, reaching post-synaptic neurons `indices[k]` with weight `data`
 * (one number for all, or one per synapse).
 *
 * @example
 * ```ts
 * // 3 pre, 2 post: 0 -> {0, 1}, 1 -> {}, 2 -> {1}
 * const conn = new bst.event.CSR(tf.tensor1d([1, 2, 3]), [0, 1, 1], [0, 2, 2, 3], [3, 2]);
 * conn.call(tf.tensor1d([1, 0, 1])).print();   // [1, 5]
 * ```
 * @see COO
 * @see FixedProb
 */
export class CSR extends SparseConn {
  constructor(data: WeightSpec, indices: IndexArray, indptr: IndexArray, shape: readonly number[]) {
    const where = 'event.CSR';
    const s = checkConnShape(shape, where);
    super(CsrLayout.fromArrays(toInt32(indptr, 'indptr', where), toInt32(indices, 'indices', where), s, where), data,
      where);
  }
}

/**
 * Connectivity given as coordinate lists, as brainevent's `COO((data, row, col), shape)`:
 * synapse `k` goes from pre-synaptic `row[k]` to post-synaptic `col[k]`. It is stored by
 * rows (a stable sort by `row`), so `weight` is in that order; `perm[m]` is the list
 * position of stored synapse `m`. A per-synapse weight state of your own is used as is
 * only when `row` is already sorted.
 *
 * @example
 * ```ts
 * const conn = new bst.event.COO(0.5, [2, 0, 0], [1, 0, 1], [3, 2]);
 * conn.call(tf.tensor1d([1, 0, 1])).print();   // [0.5, 1]
 * ```
 * @see CSR
 */
export class COO extends SparseConn {
  /** Stored synapse `m` is list entry `perm[m]`. */
  readonly perm: Int32Array;

  constructor(data: WeightSpec, row: IndexArray, col: IndexArray, shape: readonly number[]) {
    const where = 'event.COO';
    const [nPre, nPost] = checkConnShape(shape, where);
    const rows = toInt32(row, 'row', where);
    const cols = toInt32(col, 'col', where);
    if (rows.length !== cols.length) {
      throw new BrainStateError(`${where}: expected row and col of equal length, got ${rows.length} and ${cols.length}.`);
    }
    for (let k = 0; k < rows.length; k++) {
      if (rows[k] < 0 || rows[k] >= nPre) {
        throw new BrainStateError(`${where}: expected every row index in [0, ${nPre}), got ${rows[k]} at position ${k}.`);
      }
    }
    // Counting sort by row: stable, O(nnz + nPre).
    const indptr = new Int32Array(nPre + 1);
    for (let k = 0; k < rows.length; k++) indptr[rows[k] + 1]++;
    for (let i = 0; i < nPre; i++) indptr[i + 1] += indptr[i];
    const fill = indptr.slice(0, nPre);
    const perm = new Int32Array(rows.length);
    for (let k = 0; k < rows.length; k++) perm[fill[rows[k]]++] = k;
    const sorted = perm.every((p, m) => p === m);
    const indices = sorted ? cols : Int32Array.from(perm, (p) => cols[p]);
    super(CsrLayout.fromArrays(indptr, indices, [nPre, nPost], where), COO.permuted(data, perm, sorted, where), where);
    this.perm = perm;
  }

  /** `data` in stored order. */
  private static permuted(data: WeightSpec, perm: Int32Array, sorted: boolean, where: string): WeightSpec {
    if (sorted) return data;
    const value = data instanceof State ? data.value : data instanceof tf.Tensor ? data : undefined;
    if (value === undefined || value.rank === 0) return data;
    if (data instanceof State) {
      throw new BrainStateError(`${where}: a per-synapse weight state can only be used as is when row is sorted ` +
        '(its values would have to move); sort the synapses by row, or pass the weight as a tensor.');
    }
    if (value.rank !== 1 || value.shape[0] !== perm.length) return data; // weightState reports the shape
    return tf.tidy(() => tf.gather(value, tf.tensor1d(perm, 'int32')));
  }
}

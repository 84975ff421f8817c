/**
 * `Embedding`, as BrainState's `nn.Embedding`: a table `[numEmbeddings, ...embeddingSize]`
 * looked up by integer indices. Its gradient is tfjs's `UnsortedSegmentSum`, which the
 * wasm backend lacks; brainstate-ts registers one (`src/backend/training-kernels`).
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import { LongTermState, ParamState } from '../state';
import { InitSpec, LecunUniform, param } from './init';
import { Module, Size, toSize } from './module';

/** Options of {@link Embedding} (BrainState's names and defaults). */
export interface EmbeddingOptions {
  /** Table initialiser (default `LecunUniform()`). */
  embeddingInit?: InitSpec;
  /** A row that is zero and gets no gradient (e.g. the padding token). */
  paddingIdx?: number;
  /** Rows looked up are rescaled to at most this norm (in the output; the table is not rewritten). */
  maxNorm?: number;
  /** The p of the norm for `maxNorm` (default 2). */
  normType?: number;
  /** Keep the table fixed: it is held in a `LongTermState`, so gradients and optimisers skip it (default false). */
  freeze?: boolean;
  /** A name for the module. */
  name?: string;
}

/**
 * A lookup table: `call(indices)` returns `table[indices]`, shape `[...indices.shape, ...embeddingSize]`.
 *
 * @example
 * ```ts
 * const emb = new bst.nn.Embedding(1000, 32);
 * emb.call(tf.tensor2d([[1, 2, 3]], [1, 3], 'int32')).shape;   // [1, 3, 32]
 * ```
 */
export class Embedding extends Module {
  declare outSize: Size;
  readonly numEmbeddings: number;
  readonly embeddingSize: Size;
  readonly paddingIdx: number | undefined;
  readonly maxNorm: number | undefined;
  readonly normType: number;
  /** The table (a `ParamState`, or a `LongTermState` when frozen). */
  readonly weight: ParamState | LongTermState;

  /**
   * @param numEmbeddings - rows of the table.
   * @param embeddingSize - the shape of one row (a number or a shape).
   * @param options - initialiser, `paddingIdx`, `maxNorm`, `normType`, `freeze`, `name`.
   */
  constructor(numEmbeddings: number, embeddingSize: number | readonly number[], options: EmbeddingOptions = {}) {
    super(options.name);
    if (!Number.isInteger(numEmbeddings) || numEmbeddings < 1) {
      throw new BrainStateError(`Embedding: expected numEmbeddings to be a positive integer, got ${numEmbeddings}.`);
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingSize = toSize(embeddingSize, 'Embedding(embeddingSize)');
    this.outSize = this.embeddingSize;
    const pad = options.paddingIdx;
    if (pad !== undefined && (!Number.isInteger(pad) || pad < 0 || pad >= numEmbeddings)) {
      throw new BrainStateError(`Embedding: expected paddingIdx in [0, ${numEmbeddings}), got ${pad}.`);
    }
    this.paddingIdx = pad;
    if (options.maxNorm !== undefined && !(options.maxNorm > 0)) {
      throw new BrainStateError(`Embedding: expected maxNorm to be positive, got ${options.maxNorm}.`);
    }
    this.maxNorm = options.maxNorm;
    this.normType = options.normType ?? 2;
    let table = param(options.embeddingInit ?? new LecunUniform(), [numEmbeddings, ...this.embeddingSize],
      'Embedding(embeddingInit)');
    if (pad !== undefined) {
      const t = table;
      table = tf.tidy(() => tf.mul(t, this.rowMask(t.rank)));
      t.dispose();
    }
    this.weight = options.freeze === true ? new LongTermState(table, { name: 'weight' })
      : new ParamState(table, { name: 'weight' });
  }

  /** A [numEmbeddings, 1, ...] mask that is 0 at `paddingIdx`. */
  private rowMask(rank: number): tf.Tensor {
    const m = new Float32Array(this.numEmbeddings).fill(1);
    m[this.paddingIdx as number] = 0;
    return tf.tensor(m, [this.numEmbeddings, ...new Array(rank - 1).fill(1)]);
  }

  /**
   * The rows at `indices` (an int32 tensor of any shape).
   * @throws BrainStateError for non-integer indices.
   */
  override update(indices: tf.Tensor): tf.Tensor {
    if (indices.dtype !== 'int32') {
      throw new BrainStateError(`Embedding.call: expected int32 indices, got ${indices.dtype}; cast with ` +
        "tf.cast(indices, 'int32').");
    }
    const table = this.weight.value;
    return tf.tidy(() => {
      const w = this.paddingIdx === undefined ? table : tf.mul(table, this.rowMask(table.rank));
      const flat = tf.reshape(indices, [-1]);
      let rows = tf.gather(w, flat);
      if (this.maxNorm !== undefined) {
        const r2 = tf.reshape(rows, [rows.shape[0], -1]);
        const norms = tf.norm(r2, this.normType, 1, true);
        const scale = tf.minimum(1, tf.div(this.maxNorm, tf.add(norms, 1e-8)));
        rows = tf.reshape(tf.mul(r2, scale), rows.shape);
      }
      return tf.reshape(rows, [...indices.shape, ...this.embeddingSize]);
    });
  }

  override call(indices: tf.Tensor): tf.Tensor {
    return this.update(indices);
  }
}

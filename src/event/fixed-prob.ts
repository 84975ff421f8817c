/**
 * `FixedProb`: random connectivity with a fixed number of synapses per neuron, drawn
 * from a Threefry key, as BrainState's `EventFixedProb` (brainevent's `FixedPostNumConn`).
 */
import { canReadSync } from '../backend/tfjs-engine';
import { BackendError, BrainStateError } from '../errors';
import { splitKey } from '../random';
import { seedToKey } from '../random/threefry';
import { drawFixedDegree, transposeCsr } from './connectivity';
import { CsrLayout } from './layout';
import { SparseConn, WeightSpec } from './sparse';

/** Options of {@link FixedProb}. */
export interface FixedProbOptions {
  /**
   * Seed of the draw; the same seed gives the same connectivity everywhere. Omitted: a
   * key is split off `random.DEFAULT` (so `random.seed` makes it reproducible).
   */
  seed?: number;
  /** Allow a pair to be drawn more than once (default true, as BrainState). */
  allowMultiConn?: boolean;
  /** Allow neuron `i` to connect to neuron `i` (default true); false assumes pre and post are one population. */
  includeSelf?: boolean;
  /**
   * False (default, as BrainState): every pre-synaptic neuron reaches `floor(nPost * prob)`
   * post-synaptic ones. True: every post-synaptic neuron receives `floor(nPre * prob)`
   * synapses (a fixed in-degree, as NEST's `fixed_indegree`).
   */
  fixedInDegree?: boolean;
}

/** `floor(n * prob)`, robust to the rounding of products such as 4000 * 0.02. */
function degreeOf(n: number, prob: number): number {
  return Math.floor(n * prob + 1e-9);
}

/**
 * Random connectivity of `nPre` to `nPost` neurons with connection probability `prob`,
 * realised as a fixed number of synapses per neuron (`floor(nPost * prob)` per
 * pre-synaptic neuron, or `floor(nPre * prob)` per post-synaptic one with
 * `fixedInDegree`). `weight` is one number for every synapse, a tensor or initialiser of
 * one value per synapse (`[nnz]`, in CSR order), or a state of your own. `call(spikes)`
 * is event-driven: only the synapses of neurons that spiked are read.
 *
 * @example
 * ```ts
 * const conn = new bst.event.FixedProb(3200, 4000, 0.02, 0.6, { seed: 42 });
 * conn.nnz;                                                    // 3200 * 80
 * const ge = conn.call(tf.greater(bst.random.uniform([3200]), 0.99));   // Tensor[4000]
 * ```
 * @see CSR
 */
export class FixedProb extends SparseConn {
  readonly prob: number;
  readonly seed: number | undefined;
  readonly allowMultiConn: boolean;
  readonly includeSelf: boolean;
  readonly fixedInDegree: boolean;

  constructor(nPre: number, nPost: number, prob: number, weight: WeightSpec, options: FixedProbOptions = {}) {
    const where = 'event.FixedProb';
    for (const [name, v] of [['nPre', nPre], ['nPost', nPost]] as const) {
      if (!Number.isInteger(v) || v < 0) {
        throw new BrainStateError(`${where}: expected ${name} to be a non-negative integer, got ${v}.`);
      }
    }
    if (typeof prob !== 'number' || !(prob >= 0 && prob <= 1)) {
      throw new BrainStateError(`${where}: expected prob in [0, 1], got ${prob}.`);
    }
    const seed = options.seed;
    if (seed !== undefined && !Number.isSafeInteger(seed)) {
      throw new BrainStateError(`${where}: expected an integer seed, got ${seed}.`);
    }
    const allowMultiConn = options.allowMultiConn ?? true;
    const includeSelf = options.includeSelf ?? true;
    const fixedInDegree = options.fixedInDegree ?? false;
    let key: [number, number];
    if (seed !== undefined) {
      key = seedToKey(seed);
    } else {
      const k = splitKey();
      if (!canReadSync(k)) {
        k.dispose();
        throw new BackendError(`${where}: without options.seed the structure is drawn from the default random key, ` +
          'which lives on the GPU here (webgpu) and cannot be read synchronously; pass options.seed (an integer).');
      }
      const v = k.dataSync();
      key = [v[0] >>> 0, v[1] >>> 0];
      k.dispose();
    }
    const opts = { allowMultiConn, excludeDiagonal: !includeSelf };
    let csr;
    if (fixedInDegree) {
      const byPost = drawFixedDegree(nPost, nPre, degreeOf(nPre, prob), key, opts);
      csr = transposeCsr(byPost.indptr, byPost.indices, nPre);
    } else {
      csr = drawFixedDegree(nPre, nPost, degreeOf(nPost, prob), key, opts);
    }
    super(CsrLayout.fromArrays(csr.indptr, csr.indices, [nPre, nPost], where), weight, where);
    this.prob = prob;
    this.seed = seed;
    this.allowMultiConn = allowMultiConn;
    this.includeSelf = includeSelf;
    this.fixedInDegree = fixedInDegree;
  }
}

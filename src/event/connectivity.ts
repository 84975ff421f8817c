/**
 * Drawing random fixed-degree connectivity in JavaScript from a Threefry key, so the same
 * seed gives the same network on every backend and in every run.
 *
 * Numbers come from JAX's Threefry-2x32 block function in counter mode (counter = the
 * index of the draw); a bounded integer is `floor(bits * n / 2^32)`, whose bias is below
 * `n / 2^32`, far under any statistical use of a connectivity.
 */
import { OUT, threefryBlock } from '../random/threefry';

/** A stream of uint32 numbers from a Threefry key (two numbers per block). */
class BitStream {
  private counter = 0;
  private spare: number | undefined;

  constructor(private readonly k0: number, private readonly k1: number) {}

  next(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    const c = this.counter++;
    threefryBlock(this.k0, this.k1, Math.floor(c / 4294967296) >>> 0, c >>> 0);
    this.spare = OUT[1];
    return OUT[0];
  }

  /** An integer in `[0, n)`. */
  below(n: number): number {
    return Math.floor((this.next() * n) / 4294967296);
  }
}

/** Options of {@link drawFixedDegree}. */
export interface FixedDegreeOptions {
  /** Draw targets with replacement (a pair may be connected more than once). */
  readonly allowMultiConn: boolean;
  /** Skip target `r` for row `r` (no self-connections when rows and columns are one population). */
  readonly excludeDiagonal: boolean;
}

/**
 * Row `r` of `nRows` gets `degree` distinct (unless `allowMultiConn`) column indices in
 * `[0, nCols)`, sorted ascending. Returns the CSR arrays. Without replacement the degree
 * is capped at the columns available.
 */
export function drawFixedDegree(nRows: number, nCols: number, degree: number, key: readonly [number, number],
  opts: FixedDegreeOptions): { indptr: Int32Array; indices: Int32Array } {
  const bits = new BitStream(key[0] >>> 0, key[1] >>> 0);
  const degreeOf = (r: number): number => {
    const available = nCols - (opts.excludeDiagonal && r < nCols ? 1 : 0);
    if (available <= 0) return 0;
    return opts.allowMultiConn ? degree : Math.min(degree, available);
  };
  const indptr = new Int32Array(nRows + 1);
  for (let r = 0; r < nRows; r++) indptr[r + 1] = indptr[r] + degreeOf(r);
  const indices = new Int32Array(indptr[nRows]);
  const marked = opts.allowMultiConn ? undefined : new Uint8Array(nCols);
  for (let r = 0; r < nRows; r++) {
    const start = indptr[r];
    const d = indptr[r + 1] - start;
    const skip = opts.excludeDiagonal && r < nCols;
    const n = nCols - (skip ? 1 : 0);
    // Draws in [0, n) map past the diagonal: v >= r becomes v + 1.
    const lift = (v: number) => (skip && v >= r ? v + 1 : v);
    if (marked === undefined) {
      for (let k = 0; k < d; k++) indices[start + k] = lift(bits.below(n));
    } else {
      // Floyd's algorithm: d distinct values of [0, n) in O(d).
      for (let j = n - d, k = 0; j < n; j++, k++) {
        const t = bits.below(j + 1);
        const v = marked[t] === 1 ? j : t;
        marked[v] = 1;
        indices[start + k] = v;
      }
      for (let k = 0; k < d; k++) {
        marked[indices[start + k]] = 0;
        indices[start + k] = lift(indices[start + k]);
      }
    }
    indices.subarray(start, start + d).sort();
  }
  return { indptr, indices };
}

/**
 * The CSR arrays (by rows of a `[nRows, nCols]` matrix) of the transpose of a CSR
 * `[nCols, nRows]` structure: used to turn a fixed in-degree draw (rows = post-synaptic)
 * into rows by pre-synaptic neuron. Within each new row, indices come out ascending.
 */
export function transposeCsr(indptr: Int32Array, indices: Int32Array, nCols: number): { indptr: Int32Array; indices: Int32Array } {
  const nRows = indptr.length - 1;
  const outPtr = new Int32Array(nCols + 1);
  for (let k = 0; k < indices.length; k++) outPtr[indices[k] + 1]++;
  for (let c = 0; c < nCols; c++) outPtr[c + 1] += outPtr[c];
  const fill = outPtr.slice(0, nCols);
  const outIdx = new Int32Array(indices.length);
  for (let r = 0; r < nRows; r++) {
    for (let k = indptr[r]; k < indptr[r + 1]; k++) outIdx[fill[indices[k]]++] = r;
  }
  return { indptr: outPtr, indices: outIdx };
}

/**
 * What one `BatchMatMul` asks for: the 2-D product's sizes and operand strides, and for
 * each output batch entry which batch entries of `a` and `b` it multiplies (NumPy
 * broadcasting of the leading dimensions, as `tf.matMul` documents).
 */

/** One `BatchMatMul`, planned. */
export interface MatMulPlan {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  /** Element strides of A[i, k] and B[k, j] within one batch entry. */
  readonly sAm: number;
  readonly sAk: number;
  readonly sBk: number;
  readonly sBn: number;
  /** Output shape: broadcast batch dimensions, then `[M, N]`. */
  readonly outShape: number[];
  /** For output batch entry `i`: the batch entry of `a` (`aIndex[i]`) and of `b`. */
  readonly aIndex: Int32Array;
  readonly bIndex: Int32Array;
}

const size = (s: readonly number[]): number => s.reduce((p, q) => p * q, 1);

/** Flat index into `dims` (broadcast against `out`) of each flat index of `out`. */
function broadcastIndex(dims: readonly number[], out: readonly number[]): Int32Array {
  const n = size(out);
  const idx = new Int32Array(n);
  const pad = out.length - dims.length;
  for (let i = 0; i < n; i++) {
    let rem = i;
    let flat = 0;
    let stride = 1;
    for (let d = out.length - 1; d >= 0; d--) {
      const coord = rem % out[d];
      rem = Math.floor(rem / out[d]);
      const own = d - pad;
      if (own >= 0) {
        if (dims[own] !== 1) flat += coord * stride;
        stride *= dims[own];
      }
    }
    idx[i] = flat;
  }
  return idx;
}

/**
 * The plan of `matMul(a, b, transposeA, transposeB)` for operands of these shapes, or
 * undefined when the shapes do not multiply (the caller lets tfjs's kernel throw its
 * own error).
 */
export function planMatMul(aShape: readonly number[], bShape: readonly number[], transposeA: boolean,
  transposeB: boolean): MatMulPlan | undefined {
  const ra = aShape.length;
  const rb = bShape.length;
  if (ra < 2 || rb < 2) return undefined;
  const [a0, a1] = [aShape[ra - 2], aShape[ra - 1]];
  const [b0, b1] = [bShape[rb - 2], bShape[rb - 1]];
  const M = transposeA ? a1 : a0;
  const K = transposeA ? a0 : a1;
  const N = transposeB ? b0 : b1;
  if ((transposeB ? b1 : b0) !== K) return undefined;
  const da = aShape.slice(0, -2);
  const db = bShape.slice(0, -2);
  const rank = Math.max(da.length, db.length);
  const outer: number[] = [];
  for (let d = 0; d < rank; d++) {
    const x = da[d - (rank - da.length)] ?? 1;
    const y = db[d - (rank - db.length)] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    outer.push(x === 1 ? y : x);
  }
  return {
    M, N, K,
    sAm: transposeA ? 1 : K, sAk: transposeA ? M : 1,
    sBk: transposeB ? 1 : N, sBn: transposeB ? K : 1,
    outShape: [...outer, M, N],
    aIndex: broadcastIndex(da, outer),
    bIndex: broadcastIndex(db, outer),
  };
}

/** Multiply-adds of the whole plan. */
export function planMacs(p: MatMulPlan): number {
  return p.aIndex.length * p.M * p.N * p.K;
}

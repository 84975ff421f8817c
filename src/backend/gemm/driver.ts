/**
 * The JavaScript view of the generated GEMM module: its exports, the tile and block
 * sizes it was generated with, and the scratch one call needs. The blocking loops live
 * in the module (`gemm`), so a product is one call from JavaScript.
 */

/** The exports of one instance of the GEMM module (byte addresses; strides in elements). */
export interface GemmExports {
  packA(src: number, sM: number, sK: number, dst: number, M: number, K: number): void;
  packB(src: number, sK: number, sN: number, dst: number, K: number, N: number): void;
  macro(pa: number, b: number, c: number, M: number, N: number, K: number, ldc: number, accumulate: number,
    tile: number, bColBytes: number, bRowBytes: number): void;
  /**
   * `C[M, N] = A · B` (K >= 1) with A[i, k] at `a + 4 (i sAm + k sAk)`, B[k, j] at
   * `b + 4 (k sBk + j sBn)`, C row-major with `ldc` floats per row; `scratch` is 16-byte
   * aligned with {@link scratchBytes} free bytes; `kc`, `mc`, `nc` the block sizes;
   * `directB` (1, only with `sBn == 1`): full panels of B are read in place, not packed.
   */
  gemm(a: number, sAm: number, sAk: number, b: number, sBk: number, sBn: number, c: number, ldc: number, M: number,
    N: number, K: number, scratch: number, kc: number, mc: number, nc: number, directB: number): void;
}

/** Tile and block sizes the module and its callers agree on. */
export interface Blocking {
  readonly mr: number;
  readonly nr: number;
  /** Block of the shared dimension (rows of a packed panel). */
  readonly kc: number;
  /** Rows of A packed at once. */
  readonly mc: number;
  /** Columns of B packed at once. */
  readonly nc: number;
}

const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m;

/** Bytes of scratch one `gemm` call needs. */
export function scratchBytes(blk: Blocking): number {
  return roundUp(blk.mc, blk.mr) * blk.kc * 4 + roundUp(blk.nc, blk.nr) * blk.kc * 4 + blk.mr * blk.nr * 4;
}

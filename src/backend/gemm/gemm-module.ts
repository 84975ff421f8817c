/**
 * Generates the GEMM WebAssembly module: packing routines that copy blocks of A and B
 * into zero-padded panels (any strides, so every transpose combination is a packing
 * detail), and a macro-kernel that sweeps an `MR x NR` register-blocked micro-kernel
 * over the packed panels.
 *
 * The micro-kernel keeps `MR * NR / 4` f32x4 accumulators in registers; each step of
 * the shared dimension loads `NR / 4` vectors of B, broadcasts `MR` values of A
 * (`v128.load32_splat`) and does `MR * NR / 4` multiply-adds. V8 on x64 gives
 * WebAssembly 15 vector registers (xmm15 is its scratch), so `MR * NR / 4 + NR / 4 + 1`
 * must stay within 15: 4x8 uses 11, 5x8 13, 6x8 15.
 *
 * Layouts (float32, byte addresses in the imported memory):
 * - packed A: `ceil(M / MR)` panels of `K x MR` (row `k` holds A[i0..i0+MR, k]);
 * - packed B: `ceil(N / NR)` panels of `K x NR` (row `k` holds B[k, j0..j0+NR]);
 * - C: row-major with leading dimension `ldc`; the macro-kernel stores into it, or adds
 *   to it (`accumulate`, for the second and later blocks of a blocked shared dimension).
 */
import { assemble, bump, Code, F32, FunctionBuilder, I32, V128, w } from './assembler';

/** Shape of the generated code. */
export interface GemmModuleOptions {
  /** Rows of the micro-kernel tile. */
  readonly mr: number;
  /** Columns of the micro-kernel tile (a multiple of 4). */
  readonly nr: number;
  /** Use relaxed-SIMD `f32x4.relaxed_madd` (only where it validates). */
  readonly fma: boolean;
  /** Import a shared memory (threads) with this many maximum pages; undefined: not shared. */
  readonly sharedMaxPages?: number;
}

/**
 * Copies the full panels (of `width` columns, a multiple of 4) of a source whose rows
 * are contiguous, panel by panel, down the rows: vector copies, and the writes run
 * straight through each panel. (Row by row across all panels was 4x slower here: the
 * writes then stride by a whole panel.)
 */
function panelCopy(f: FunctionBuilder, p: { src: number; sK4: number; dst: number; K: number; panelBytes: number; N: number },
  width: number): Code {
  const k = f.local(I32);
  const j0 = f.local(I32);
  const s = f.local(I32);
  const d = f.local(I32);
  const nFull = f.local(I32);
  return [
    ...w.get(p.N), ...w.i32(-width), ...w.and, ...w.set(nFull),
    ...w.forLoop(j0, w.i32(0), w.get(nFull), width, [
      ...w.get(p.src), ...w.get(j0), ...w.i32(2), ...w.shl, ...w.add, ...w.set(s),
      ...w.get(p.dst), ...w.get(j0), ...w.i32(width), ...w.divS, ...w.get(p.panelBytes), ...w.mul, ...w.add, ...w.set(d),
      ...w.forLoop(k, w.i32(0), w.get(p.K), 1, [
        ...Array.from({ length: width / 4 }, (_, q) => [...w.get(d), ...w.get(s), ...w.v128Load(16 * q, 2),
          ...w.v128Store(16 * q, 2)]).flat(),
        ...w.get(s), ...w.get(p.sK4), ...w.add, ...w.set(s),
        ...bump(d, width * 4),
      ]),
    ]),
  ];
}

/**
 * Packs the panel of `width` columns starting at column `j0` element by element
 * (any strides, and the zero-padded last panel), reading down each column.
 */
function columnCopy(f: FunctionBuilder, p: { src: number; sK4: number; sN: number; dst: number; K: number; N: number },
  j0: number, width: number): Code {
  const jj = f.local(I32);
  const k = f.local(I32);
  const s = f.local(I32);
  const d = f.local(I32);
  return w.forLoop(jj, w.i32(0), w.i32(width), 1, [
    ...w.get(p.dst), ...w.get(jj), ...w.i32(2), ...w.shl, ...w.add, ...w.set(d),
    ...w.if([...w.get(j0), ...w.get(jj), ...w.add, ...w.get(p.N), ...w.ltS],
      [
        ...w.get(p.src), ...w.get(j0), ...w.get(jj), ...w.add, ...w.get(p.sN), ...w.mul, ...w.i32(2), ...w.shl, ...w.add,
        ...w.set(s),
        ...w.forLoop(k, w.i32(0), w.get(p.K), 1, [
          ...w.get(d), ...w.get(s), ...w.f32Load(), ...w.f32Store(),
          ...w.get(s), ...w.get(p.sK4), ...w.add, ...w.set(s),
          ...bump(d, width * 4),
        ]),
      ],
      w.forLoop(k, w.i32(0), w.get(p.K), 1, [...w.get(d), ...w.f32Const0, ...w.f32Store(), ...bump(d, width * 4)])),
  ]);
}

/**
 * A packing function: `name(src, sK, sN, dst, K, N)` copies X[k, j] = src[k sK + j sN]
 * (element strides) into panels of `width` columns (`K x width` each, row-major), the
 * last one zero-padded. B is packed with `width = NR`; A, as Aᵀ, with `width = MR`.
 */
function packer(name: string, width: number) {
  const f = new FunctionBuilder(name, [I32, I32, I32, I32, I32, I32]);
  const [src, sK, sN, dst, K, N] = [0, 1, 2, 3, 4, 5];
  const sK4 = f.local(I32);
  const panelBytes = f.local(I32);
  const j0 = f.local(I32);
  const p = { src, sK4, sN, dst, K, N, panelBytes };
  const pd = f.local(I32);
  const q = { ...p, dst: pd };
  const body: Code = [
    ...w.get(sK), ...w.i32(2), ...w.shl, ...w.set(sK4),
    ...w.get(K), ...w.i32(width * 4), ...w.mul, ...w.set(panelBytes),
    ...(width % 4 === 0
      ? w.if([...w.get(sN), ...w.i32(1), ...w.eq],
        [
          // Rows contiguous: full panels by vector copies, then the last partial panel.
          ...panelCopy(f, p, width),
          ...w.get(N), ...w.i32(-width), ...w.and, ...w.set(j0),
          ...w.if([...w.get(j0), ...w.get(N), ...w.ltS], [
            ...w.get(dst), ...w.get(j0), ...w.i32(width), ...w.divS, ...w.get(panelBytes), ...w.mul, ...w.add, ...w.set(pd),
            ...columnCopy(f, q, j0, width),
          ]),
        ],
        [])
      : []),
    ...w.if(width % 4 === 0 ? [...w.get(sN), ...w.i32(1), ...w.ne] : w.i32(1),
      w.forLoop(j0, w.i32(0), w.get(N), width, [
        ...w.get(dst), ...w.get(j0), ...w.i32(width), ...w.divS, ...w.get(panelBytes), ...w.mul, ...w.add, ...w.set(pd),
        ...columnCopy(f, q, j0, width),
      ])),
  ];
  return f.done(body);
}

/** `packB(src, sK, sN, dst, K, N)`: B[k, j] = src[k sK + j sN] into panels of NR columns. */
const packB = (o: GemmModuleOptions) => packer('packB', o.nr);

/**
 * `packA(src, sM, sK, dst, M, K)`: A[i, k] = src[i sM + k sK] into panels of MR rows
 * (each `K x MR`: the packing of Aᵀ into column panels, by `packAT`).
 */
function packA() {
  const f = new FunctionBuilder('packA', [I32, I32, I32, I32, I32, I32]);
  const [src, sM, sK, dst, M, K] = [0, 1, 2, 3, 4, 5];
  return f.done([...w.get(src), ...w.get(sK), ...w.get(sM), ...w.get(dst), ...w.get(K), ...w.get(M), ...w.call(FN.packAT)]);
}

/**
 * `macro(pa, b, c, M, N, K, ldc, accumulate, tile, bColBytes, bRowBytes)`: C[0..M, 0..N]
 * (+)= packed A x B over K (>= 1). B[k, j] is at `b + j bColBytes + k bRowBytes` for the
 * first column of each NR-wide panel (`4 K, 4 NR` for packed panels). `tile` is scratch
 * for MR*NR floats (edge tiles go through it).
 */
function macro(o: GemmModuleOptions) {
  const f = new FunctionBuilder('macro', [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [pa, pb, c, M, N, K, ldc, accumulate, tile, bColBytes, bRowBytes] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const { mr, nr } = o;
  const nq = nr / 4;
  const jn = f.local(I32);
  const im = f.local(I32);
  const a = f.local(I32);
  const b = f.local(I32);
  const kk = f.local(I32);
  const r = f.local(I32);
  const ldc4 = f.local(I32);
  const i = f.local(I32);
  const j = f.local(I32);
  const rows = f.local(I32);
  const cols = f.local(I32);
  const t = f.local(I32);
  const v = f.local(F32);
  const acc = Array.from({ length: mr * nq }, () => f.local(V128));
  const bv = Array.from({ length: nq }, () => f.local(V128));
  const av = f.local(V128);
  const ac = (ii: number, q: number) => acc[ii * nq + q];

  const madd = (ii: number, q: number): Code => [...(o.fma
    ? [...w.get(av), ...w.get(bv[q]), ...w.get(ac(ii, q)), ...w.f32x4RelaxedMadd]
    : [...w.get(ac(ii, q)), ...w.get(av), ...w.get(bv[q]), ...w.f32x4Mul, ...w.f32x4Add]), ...w.set(ac(ii, q))];
  // One step of the shared dimension: NR/4 vectors of B, then each of the MR values of A
  // broadcast and multiplied into its row of accumulators.
  const step: Code = [];
  for (let q = 0; q < nq; q++) step.push(...w.get(b), ...w.v128Load(16 * q, 2), ...w.set(bv[q]));
  for (let ii = 0; ii < mr; ii++) {
    step.push(...w.get(a), ...w.load32Splat(ii * 4), ...w.set(av));
    for (let q = 0; q < nq; q++) step.push(...madd(ii, q));
  }
  const kLoop: Code = [
    ...acc.flatMap((x) => [...w.v128Zero, ...w.set(x)]),
    ...w.get(K), ...w.set(kk),
    ...w.countDown(kk, [...step, ...bump(a, mr * 4), ...w.get(b), ...w.get(bRowBytes), ...w.add, ...w.set(b)]),
  ];
  // Full tile: straight into C (adding what is there when accumulating).
  const storeFull = (add: boolean): Code => {
    const code: Code = [];
    for (let ii = 0; ii < mr; ii++) {
      for (let q = 0; q < nq; q++) {
        code.push(...w.get(r), ...(add ? [...w.get(r), ...w.v128Load(16 * q, 2), ...w.get(ac(ii, q)), ...w.f32x4Add]
          : w.get(ac(ii, q))), ...w.v128Store(16 * q, 2));
      }
      if (ii < mr - 1) code.push(...w.get(r), ...w.get(ldc4), ...w.add, ...w.set(r));
    }
    return code;
  };
  // Edge tile: accumulators to the scratch tile, then the valid part element by element.
  const storeEdge: Code = [
    ...acc.flatMap((x, n) => [...w.get(tile), ...w.get(x), ...w.v128Store(16 * n, 2)]),
    ...w.get(M), ...w.get(im), ...w.sub, ...w.set(rows),
    ...w.i32(mr), ...w.get(rows), ...w.get(rows), ...w.i32(mr), ...w.gtS, ...w.select, ...w.set(rows),
    ...w.get(N), ...w.get(jn), ...w.sub, ...w.set(cols),
    ...w.i32(nr), ...w.get(cols), ...w.get(cols), ...w.i32(nr), ...w.gtS, ...w.select, ...w.set(cols),
    ...w.forLoop(i, w.i32(0), w.get(rows), 1, [
      ...w.forLoop(j, w.i32(0), w.get(cols), 1, [
        ...w.get(r), ...w.get(j), ...w.i32(2), ...w.shl, ...w.add, ...w.set(t),
        ...w.get(tile), ...w.get(i), ...w.i32(nr * 4), ...w.mul, ...w.add, ...w.get(j), ...w.i32(2), ...w.shl, ...w.add,
        ...w.f32Load(), ...w.set(v),
        ...w.if(w.get(accumulate), [...w.get(v), ...w.get(t), ...w.f32Load(), ...w.f32Add, ...w.set(v)]),
        ...w.get(t), ...w.get(v), ...w.f32Store(),
      ]),
      ...w.get(r), ...w.get(ldc4), ...w.add, ...w.set(r),
    ]),
  ];
  const body: Code = [
    ...w.get(ldc), ...w.i32(2), ...w.shl, ...w.set(ldc4),
    ...w.forLoop(jn, w.i32(0), w.get(N), nr, [
      ...w.forLoop(im, w.i32(0), w.get(M), mr, [
        // The panels of this tile: A panel im / MR (K rows of MR), B at column jn.
        ...w.get(pa), ...w.get(im), ...w.get(K), ...w.mul, ...w.i32(2), ...w.shl, ...w.add, ...w.set(a),
        ...w.get(pb), ...w.get(jn), ...w.get(bColBytes), ...w.mul, ...w.add, ...w.set(b),
        ...kLoop,
        ...w.get(c), ...w.get(im), ...w.get(ldc), ...w.mul, ...w.get(jn), ...w.add, ...w.i32(2), ...w.shl, ...w.add, ...w.set(r),
        ...w.if([...w.get(im), ...w.i32(mr), ...w.add, ...w.get(M), ...w.leS,
          ...w.get(jn), ...w.i32(nr), ...w.add, ...w.get(N), ...w.leS, ...w.and],
        w.if(w.get(accumulate), storeFull(true), storeFull(false)),
        storeEdge),
      ]),
    ]),
  ];
  return f.done(body);
}

/**
 * `gemm(a, sAm, sAk, b, sBk, sBn, c, ldc, M, N, K, scratch, kc, mc, nc, directB)`: the
 * whole product (K >= 1), blocked as in Goto's algorithm: for each block of `nc`
 * columns and each block of `kc` steps of the shared dimension, that block of B is
 * packed once (so it stays in L2), then for each block of `mc` rows A is packed and
 * swept by the macro-kernel. With `directB` (only when `sBn == 1`), the full NR-wide
 * panels of B are read where they are instead (for at most MR rows, a packed panel would
 * be read once: the copy would only add to the time); the last partial panel is packed.
 * `scratch` holds `roundUp(mc, MR) kc + roundUp(nc, NR) kc + MR NR` floats.
 */
function gemm(o: GemmModuleOptions) {
  const f = new FunctionBuilder('gemm', [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [a, sAm, sAk, b, sBk, sBn, c, ldc, M, N, K, scratch, kc, mc, nc, directB] =
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
  const pb = f.local(I32);
  const tile = f.local(I32);
  const j0 = f.local(I32);
  const nb = f.local(I32);
  const k0 = f.local(I32);
  const kb = f.local(I32);
  const i0 = f.local(I32);
  const mb = f.local(I32);
  const bk = f.local(I32);
  const nIn = f.local(I32);
  const roundUpTimesKc4 = (n: number, m: number): Code =>
    [...w.get(n), ...w.i32(m - 1), ...w.add, ...w.i32(m), ...w.divS, ...w.i32(m), ...w.mul, ...w.get(kc), ...w.mul, ...w.i32(2), ...w.shl];
  const min = (x: Code, y: Code, out: number): Code => [...x, ...y, ...x, ...y, ...w.ltS, ...w.select, ...w.set(out)];
  const x4 = (code: Code): Code => [...code, ...w.i32(2), ...w.shl];
  // The macro-kernel over columns [col, col + n) of this block, B at `bAddr` with the given steps.
  const macroCall = (bAddr: Code, col: Code, n: Code, bColBytes: Code, bRowBytes: Code): Code => [
    ...w.get(scratch), ...bAddr,
    ...w.get(c), ...x4([...w.get(i0), ...w.get(ldc), ...w.mul, ...w.get(j0), ...w.add, ...col, ...w.add]), ...w.add,
    ...w.get(mb), ...n, ...w.get(kb), ...w.get(ldc), ...w.get(k0), ...w.i32(0), ...w.gtS, ...w.get(tile),
    ...bColBytes, ...bRowBytes, ...w.call(FN.macro),
  ];
  const body: Code = [
    ...w.get(scratch), ...roundUpTimesKc4(mc, o.mr), ...w.add, ...w.set(pb),
    ...w.get(pb), ...roundUpTimesKc4(nc, o.nr), ...w.add, ...w.set(tile),
    ...w.forLoop(j0, w.i32(0), w.get(N), 0, [
      ...min(w.get(nc), [...w.get(N), ...w.get(j0), ...w.sub], nb),
      // Columns read in place: whole panels, and only when asked.
      ...w.get(directB), ...w.get(nb), ...w.i32(-o.nr), ...w.and, ...w.mul, ...w.set(nIn),
      ...w.forLoop(k0, w.i32(0), w.get(K), 0, [
        ...min(w.get(kc), [...w.get(K), ...w.get(k0), ...w.sub], kb),
        ...w.get(b), ...x4([...w.get(k0), ...w.get(sBk), ...w.mul, ...w.get(j0), ...w.get(sBn), ...w.mul, ...w.add]), ...w.add,
        ...w.set(bk),
        ...w.if([...w.get(nIn), ...w.get(nb), ...w.ltS], [
          ...w.get(bk), ...x4([...w.get(nIn), ...w.get(sBn), ...w.mul]), ...w.add,
          ...w.get(sBk), ...w.get(sBn), ...w.get(pb), ...w.get(kb), ...w.get(nb), ...w.get(nIn), ...w.sub, ...w.call(FN.packB),
        ]),
        ...w.forLoop(i0, w.i32(0), w.get(M), 0, [
          ...min(w.get(mc), [...w.get(M), ...w.get(i0), ...w.sub], mb),
          ...w.get(a), ...x4([...w.get(i0), ...w.get(sAm), ...w.mul, ...w.get(k0), ...w.get(sAk), ...w.mul, ...w.add]), ...w.add,
          ...w.get(sAm), ...w.get(sAk), ...w.get(scratch), ...w.get(mb), ...w.get(kb), ...w.call(FN.packA),
          ...w.if([...w.get(nIn), ...w.i32(0), ...w.gtS],
            macroCall(w.get(bk), w.i32(0), w.get(nIn), w.i32(4), x4(w.get(sBk)))),
          ...w.if([...w.get(nIn), ...w.get(nb), ...w.ltS],
            macroCall(w.get(pb), w.get(nIn), [...w.get(nb), ...w.get(nIn), ...w.sub], x4(w.get(kb)), w.i32(o.nr * 4))),
          ...w.get(i0), ...w.get(mc), ...w.add, ...w.set(i0),
        ]),
        ...w.get(k0), ...w.get(kc), ...w.add, ...w.set(k0),
      ]),
      ...w.get(j0), ...w.get(nc), ...w.add, ...w.set(j0),
    ]),
  ];
  return f.done(body);
}

/** Function indices, in module order. */
const FN = { packA: 0, packB: 1, macro: 2, gemm: 3, packAT: 4 } as const;

/** The module's bytes for `o`. */
export function gemmModuleBytes(o: GemmModuleOptions): Uint8Array {
  return assemble({ shared: o.sharedMaxPages !== undefined, maxPages: o.sharedMaxPages },
    [packA(), packB(o), macro(o), gemm(o), packer('packAT', o.mr)]);
}

/**
 * Outer products: the `BatchMatMul`s whose shared dimension is 1 (`K == 1`), such as a
 * per-example weight gradient `xᵀ · dy` (one example: [784, 1] x [1, 256]) and its
 * batched form under `vmap(grad)` ([128, 784, 1] x [128, 1, 256], 103 MB of output).
 *
 * Why a kernel of its own: such a product does no reduction, so its cost is writing
 * `M N` floats, and the GEMM's packing and tiling only add to it (the batched case above
 * took 46 ms on wasm through the GEMM against 11 ms to fill that many bytes). Here each
 * row of C is a vector of B scaled by one value of A, written straight to C with SIMD.
 *
 * Same bits as the GEMM: it computes `0 + a * b` per element (its accumulators start at
 * zero; with or without a fused multiply-add that is `round(a * b)`, and a `-0` product
 * becomes `+0`), and so does this kernel (`a * b + 0`).
 */
import { assemble, bumpBy, Code, F32, FunctionBuilder, I32, V128, w } from './assembler';
import { WA, WasmMemory } from './compiled';
import type { MatMulPlan } from './plan';

/**
 * `outer(a, b, c, M, N)`: `C[i, j] = A[i] * B[j] + 0` for `i < M`, `j < N`, with A, B
 * and C (row-major, `N` floats per row) contiguous float32 at byte addresses `a`, `b`,
 * `c`. Four vectors per step, then single vectors, then single floats.
 */
function outerFunction(): ReturnType<FunctionBuilder['done']> {
  const f = new FunctionBuilder('outer', [I32, I32, I32, I32, I32]);
  const [a, b, c, M, N] = [0, 1, 2, 3, 4];
  const i = f.local(I32);
  const j = f.local(I32);
  const rowBytes = f.local(I32);
  const blocks = f.local(I32);
  const vectors = f.local(I32);
  const s = f.local(F32);
  const v = f.local(V128);
  const vector = (offset: number): Code => [
    ...w.get(c), ...w.get(j), ...w.add,
    ...w.get(v), ...w.get(b), ...w.get(j), ...w.add, ...w.v128Load(offset, 2), ...w.f32x4Mul, ...w.v128Zero, ...w.f32x4Add,
    ...w.v128Store(offset, 2),
  ];
  const body: Code = [
    ...w.get(N), ...w.i32(2), ...w.shl, ...w.set(rowBytes),
    ...w.get(rowBytes), ...w.i32(-64), ...w.and, ...w.set(blocks),
    ...w.get(rowBytes), ...w.i32(-16), ...w.and, ...w.set(vectors),
    ...w.forLoop(i, w.i32(0), w.get(M), 1, [
      ...w.get(a), ...w.get(i), ...w.i32(2), ...w.shl, ...w.add, ...w.f32Load(), ...w.tee(s), ...w.f32x4Splat, ...w.set(v),
      ...w.forLoop(j, w.i32(0), w.get(blocks), 64, [...vector(0), ...vector(16), ...vector(32), ...vector(48)]),
      ...w.forLoop(j, w.get(j), w.get(vectors), 16, vector(0)),
      ...w.forLoop(j, w.get(j), w.get(rowBytes), 4, [
        ...w.get(c), ...w.get(j), ...w.add,
        ...w.get(s), ...w.get(b), ...w.get(j), ...w.add, ...w.f32Load(), ...w.f32Mul, ...w.f32Const0, ...w.f32Add,
        ...w.f32Store(),
      ]),
      ...bumpBy(c, rowBytes),
    ]),
  ];
  return f.done(body);
}

type OuterFn = (a: number, b: number, c: number, M: number, N: number) => void;

let compiled: object | undefined;
const instances = new WeakMap<object, OuterFn>();

/** The `outer` function instantiated on `memory` (compiled once, one instance per memory). */
function outerOn(memory: WasmMemory): OuterFn {
  let fn = instances.get(memory);
  if (fn === undefined) {
    compiled ??= new WA!.Module(assemble({ shared: false }, [outerFunction()]));
    fn = new WA!.Instance(compiled, { env: { memory } }).exports.outer as OuterFn;
    instances.set(memory, fn);
  }
  return fn;
}

/** Whether `p` is an outer product (this file's kernels take it). */
export function isOuterProduct(p: MatMulPlan): boolean {
  return p.K === 1;
}

/**
 * Runs outer product `p` in place on `memory` (tfjs-wasm's heap): A at byte address `a`,
 * B at `b`, the output at `c`. With `K == 1` every operand is contiguous whatever the
 * transpose flags (A[i, 0] at `i`, B[0, j] at `j`), so a batch entry is one call.
 */
export function runOuterInPlace(memory: WasmMemory, p: MatMulPlan, a: number, b: number, c: number): void {
  const outer = outerOn(memory);
  for (let e = 0; e < p.aIndex.length; e++) outer(a + 4 * p.aIndex[e] * p.M, b + 4 * p.bIndex[e] * p.N, c + 4 * e * p.M * p.N, p.M, p.N);
}

const PAGE = 65536;
/** Bytes of C computed per call on the private memory before they are copied out (stays in L2). */
const CHUNK_BYTES = 1 << 18;
let privateMemory: WasmMemory | undefined;

/**
 * Runs outer product `p` for operands in typed arrays (the cpu backend): each batch
 * entry's A and B go to a private memory, and C is computed there in chunks of rows
 * that stay in cache, each copied into `out`: one pass over the output.
 */
export function runOuterCopying(p: MatMulPlan, a: ArrayLike<number>, b: ArrayLike<number>, out: Float32Array): void {
  const { M, N } = p;
  if (M === 0 || N === 0) return;
  const rows = Math.max(1, Math.min(M, Math.floor(CHUNK_BYTES / (4 * N))));
  const aOff = 0;
  const bOff = Math.ceil((4 * M) / 64) * 64;
  const cOff = bOff + Math.ceil((4 * N) / 64) * 64;
  const end = cOff + 4 * rows * N;
  privateMemory ??= new WA!.Memory({ initial: 1 });
  if (end > privateMemory.buffer.byteLength) privateMemory.grow(Math.ceil((end - privateMemory.buffer.byteLength) / PAGE));
  const outer = outerOn(privateMemory);
  const f32 = new Float32Array(privateMemory.buffer);
  const af = a as Float32Array;
  const bf = b as Float32Array;
  for (let e = 0; e < p.aIndex.length; e++) {
    f32.set(af.subarray(p.aIndex[e] * M, (p.aIndex[e] + 1) * M), aOff / 4);
    f32.set(bf.subarray(p.bIndex[e] * N, (p.bIndex[e] + 1) * N), bOff / 4);
    for (let r0 = 0; r0 < M; r0 += rows) {
      const r = Math.min(rows, M - r0);
      outer(aOff + 4 * r0, bOff, cOff, r, N);
      out.set(f32.subarray(cOff / 4, cOff / 4 + r * N), (e * M + r0) * N);
    }
  }
}

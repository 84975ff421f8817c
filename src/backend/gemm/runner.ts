/**
 * Running a planned product: in place on a WebAssembly memory that holds the operands
 * (tfjs-wasm's heap), or by copying the operands into a private memory (the cpu
 * backend's typed arrays; or any backend when the product is split across threads,
 * since tfjs-wasm's heap is not shared). Copies cost one pass over A, B and C, small
 * beside the `M N K` multiply-adds of the products routed here.
 */
import { BackendError } from '../../errors';
import { BLOCKING, gemmModule, instantiate, relaxedSimdValidates, SHARED_MAX_PAGES, WA, WasmMemory } from './compiled';
import { matMulOptions, onMatMulOptionsChange } from './config';
import { GemmExports, scratchBytes } from './driver';
import type { MatMulPlan } from './plan';
import { CONTROL_BYTES, GemmPool, threadsAvailable } from './threads';

/**
 * Multiply-adds per product below which a product stays on one thread: the hand-off to
 * a worker costs tens of microseconds (measured: bench/workloads/gemm.ts).
 */
export const THREAD_MIN_MACS = 2e6;

const PAGE = 65536;
const align = (n: number, m = 64): number => Math.ceil(n / m) * m;

/** Whether products use `relaxed_madd` now. */
export function fmaInUse(): boolean {
  const f = matMulOptions().fma;
  if (f === 'auto') return relaxedSimdValidates();
  if (f && !relaxedSimdValidates()) {
    throw new BackendError('backend.setMatMulOptions: fma is true, but this WebAssembly engine does not validate ' +
      'relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd); use fma: \'auto\' or false.');
  }
  return f;
}

let heapInstances = new WeakMap<object, GemmExports>();

interface PrivateMemory {
  readonly memory: WasmMemory;
  readonly exports: GemmExports;
  readonly shared: boolean;
  readonly fma: boolean;
  pool?: GemmPool;
}
let priv: PrivateMemory | undefined;
let heapFma: boolean | undefined;

// Compiled code depends on `fma` only; the pool grows to the largest `threads` asked for
// and products use as many workers as `threads` says (so changing options costs nothing).
onMatMulOptionsChange(() => {
  const fma = fmaInUse();
  if (priv !== undefined && (priv.fma !== fma || (!priv.shared && matMulOptions().threads > 1 && threadsAvailable()))) {
    priv.pool?.close();
    priv = undefined;
  }
  if (heapFma !== fma) heapInstances = new WeakMap();
});

/** Threads a product of `macs` multiply-adds would like (before asking whether workers are ready). */
function wantedThreads(macs: number): number {
  const t = matMulOptions().threads;
  return t > 1 && macs >= THREAD_MIN_MACS && threadsAvailable() ? t : 1;
}

function privateMemory(): PrivateMemory {
  if (priv === undefined) {
    const shared = matMulOptions().threads > 1 && threadsAvailable();
    const memory = shared ? new WA!.Memory({ initial: 16, maximum: SHARED_MAX_PAGES, shared: true })
      : new WA!.Memory({ initial: 16 });
    const fma = fmaInUse();
    priv = { memory, shared, fma, exports: instantiate(gemmModule(shared, fma), memory) };
  }
  return priv;
}

/** The arguments of the module's `gemm` for output batch entry `i`, with operands at `a`, `b` and output at `c`. */
function argsFor(p: MatMulPlan, i: number, a: number, b: number, c: number, scratch: number): number[] {
  return [a + 4 * p.aIndex[i] * p.M * p.K, p.sAm, p.sAk, b + 4 * p.bIndex[i] * p.K * p.N, p.sBk, p.sBn,
    c + 4 * i * p.M * p.N, p.N, p.M, p.N, p.K, scratch, BLOCKING.kc, BLOCKING.mc, BLOCKING.nc,
    p.sBn === 1 && p.M <= BLOCKING.mr ? 1 : 0];
}

/** Bytes of scratch one thread needs for `p` (plus 16 to align an unaligned allocation). */
export function scratchFor(p: MatMulPlan): number {
  return scratchBytes(BLOCKING) + 16;
}

/**
 * Runs `p` in place on `memory` (tfjs-wasm's heap): operands at byte addresses `a` and
 * `b`, output at `c`, `scratchFor(p)` bytes of scratch at `scratch`. `K` must be >= 1.
 */
export function runInPlace(memory: WasmMemory, p: MatMulPlan, a: number, b: number, c: number, scratch: number): void {
  let x = heapInstances.get(memory);
  if (x === undefined) {
    heapFma = fmaInUse();
    x = instantiate(gemmModule(false, heapFma), memory);
    heapInstances.set(memory, x);
  }
  const s = align(scratch, 16);
  const gemm = x.gemm as (...args: number[]) => void;
  for (let i = 0; i < p.aIndex.length; i++) gemm(...argsFor(p, i, a, b, c, s));
}

/** Parts of one product's arguments for `t` threads: split along N when M <= N, else along M. */
function split(p: MatMulPlan, args: number[], t: number, scratch: (k: number) => number): number[][] {
  const parts: number[][] = [];
  if (p.M <= p.N) {
    const chunk = Math.ceil(p.N / t / BLOCKING.nr) * BLOCKING.nr;
    for (let n0 = 0, k = 0; n0 < p.N; n0 += chunk, k++) {
      const part = [...args];
      part[3] += 4 * n0 * p.sBn;
      part[6] += 4 * n0;
      part[9] = Math.min(chunk, p.N - n0);
      part[11] = scratch(k);
      parts.push(part);
    }
  } else {
    const chunk = Math.ceil(p.M / t / BLOCKING.mr) * BLOCKING.mr;
    for (let m0 = 0, k = 0; m0 < p.M; m0 += chunk, k++) {
      const part = [...args];
      part[0] += 4 * m0 * p.sAm;
      part[6] += 4 * m0 * p.N;
      part[8] = Math.min(chunk, p.M - m0);
      part[11] = scratch(k);
      parts.push(part);
    }
  }
  return parts;
}

/** How many threads {@link runCopying} would use for `p` right now (workers that are ready included). */
export function threadsNow(p: MatMulPlan): number {
  const want = wantedThreads(p.M * p.N * p.K);
  if (want === 1) return 1;
  let m = privateMemory();
  if (!m.shared) return 1;
  if (m.pool !== undefined && m.pool.size < want - 1) {
    // A larger pool gets a memory of its own: the old workers' control blocks stay theirs.
    m.pool.close();
    priv = undefined;
    m = privateMemory();
  }
  m.pool ??= new GemmPool(gemmModule(true, m.fma), m.memory, want - 1);
  return 1 + Math.min(want - 1, m.pool.readyWorkers());
}

/**
 * Runs `p` on copies: `a` and `b` (whole operands) are copied into the private memory,
 * the product runs there (split across threads when large and workers are ready), and
 * the result is copied into `out`. `K` must be >= 1.
 */
export function runCopying(p: MatMulPlan, a: ArrayLike<number>, b: ArrayLike<number>, out: Float32Array): void {
  const threads = threadsNow(p);
  const m = privateMemory();
  const aOff = align(m.shared ? CONTROL_BYTES : 0);
  const bOff = align(aOff + 4 * a.length);
  const cOff = align(bOff + 4 * b.length);
  const sOff = align(cOff + 4 * out.length);
  const perThread = align(scratchBytes(BLOCKING));
  const end = sOff + threads * perThread;
  if (end > m.memory.buffer.byteLength) m.memory.grow(Math.ceil((end - m.memory.buffer.byteLength) / PAGE));
  const f32 = new Float32Array(m.memory.buffer);
  f32.set(a as Float32Array, aOff / 4);
  f32.set(b as Float32Array, bOff / 4);
  const gemm = m.exports.gemm as (...args: number[]) => void;
  const timeoutMs = 60000 + (p.M * p.N * p.K) / 1e5;
  for (let i = 0; i < p.aIndex.length; i++) {
    const args = argsFor(p, i, aOff, bOff, cOff, sOff);
    if (threads === 1) gemm(...args);
    else m.pool!.run(split(p, args, threads, (k) => sOff + k * perThread), (part) => gemm(...part), timeoutMs);
  }
  out.set(new Float32Array(m.memory.buffer, cOff, out.length));
}

/** Stops the worker threads (tests; a process exits without it, since workers are unref'd). */
export function closeGemmThreads(): void {
  priv?.pool?.close();
  priv = undefined;
}

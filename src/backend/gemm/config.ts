/**
 * The options of brainstate-ts's matrix-product kernel, in one place: read once from the
 * environment (validated), changeable at run time with {@link setMatMulOptions}.
 *
 * - `BRAINSTATE_GEMM=0|1` (or `true/false`, `on/off`, as every flag): route `BatchMatMul`s on cpu, wasm (and webgpu: its WGSL program) through the
 *   generated WebAssembly SIMD GEMM (default 1).
 * - `BRAINSTATE_GEMM_THREADS=auto|N`: threads per large product (default 1: the calling
 *   thread only; `auto`: 2 in Node on a machine with at least 2 cores). Worker threads are
 *   opt-in because they help only when cores are idle: on a 2-core machine shared with
 *   other processes, 2 threads made the MLP training step slower than 1 (the calling
 *   thread waits for a worker the OS has not scheduled; bench/workloads/mlp.ts).
 * - `BRAINSTATE_GEMM_FMA=auto|0|1` (or `true/false`, `on/off`): use relaxed-SIMD `f32x4.relaxed_madd` where the
 *   WebAssembly engine validates it (default `auto`: where it validates).
 */
import { parseFlag, rawVariable } from '../../config';
import { ConfigError } from '../../errors';

/** Options of the matrix-product kernel (see {@link setMatMulOptions}). */
export interface MatMulOptions {
  /** Use brainstate-ts's product kernels (cpu/wasm: the generated GEMM; webgpu: its WGSL program); false: tfjs's own always. */
  readonly enabled: boolean;
  /** Threads sharing one large product (1: the calling thread only). */
  readonly threads: number;
  /** Fused multiply-add (`relaxed_madd`): `'auto'` where the engine validates it. */
  readonly fma: boolean | 'auto';
}

function parseEnabled(): boolean {
  return parseFlag('BRAINSTATE_GEMM', rawVariable('BRAINSTATE_GEMM'), true);
}

function parseThreads(): number | 'auto' {
  const v = rawVariable('BRAINSTATE_GEMM_THREADS');
  if (v === undefined || v === '') return 1;
  if (v === 'auto') return 'auto';
  const n = Number(v);
  if (Number.isInteger(n) && n >= 1 && n <= 64) return n;
  throw new ConfigError(`BRAINSTATE_GEMM_THREADS: expected 'auto' or an integer from 1 to 64, got '${v}'. ` +
    'Use 1 to keep matrix products on the calling thread.');
}

function parseFma(): boolean | 'auto' {
  const v = rawVariable('BRAINSTATE_GEMM_FMA');
  if (v === undefined || v.trim() === '' || v.trim().toLowerCase() === 'auto') return 'auto';
  return parseFlag('BRAINSTATE_GEMM_FMA', v, false);
}

/** Cores of this machine in Node; 1 where that cannot be known (browsers: threads stay off). */
function nodeCores(): number {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (p?.versions?.node === undefined) return 1;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const os = require('os') as { availableParallelism?: () => number; cpus?: () => unknown[] };
    return os.availableParallelism?.() ?? os.cpus?.().length ?? 1;
  } catch {
    return 1;
  }
}

/** Threads `'auto'` resolves to: two where there are two cores (more did not pay on these machines). */
function autoThreads(): number {
  return Math.min(2, nodeCores());
}

let options: MatMulOptions | undefined;

/**
 * The matrix-product options now in force (read from the environment on first use; see
 * {@link setMatMulOptions}).
 *
 * @returns `enabled`, `threads` (a number: `'auto'` resolved) and `fma`.
 * @example
 * ```ts
 * const { enabled, threads } = bst.backend.matMulOptions(); // true, 1 unless configured
 * ```
 */
export function matMulOptions(): MatMulOptions {
  if (options === undefined) {
    const threads = parseThreads();
    options = { enabled: parseEnabled(), threads: threads === 'auto' ? autoThreads() : threads,
      fma: parseFma() };
  }
  return options;
}

const listeners: (() => void)[] = [];

/** Calls `fn` after every change of the options (the kernel drops what it compiled or started). */
export function onMatMulOptionsChange(fn: () => void): void {
  listeners.push(fn);
}

/**
 * Changes how `tf.matMul` runs on the cpu, wasm and webgpu backends (and everything built on it:
 * `nn.Linear`, convolution gradients, jitted programs). Fields left out keep their value.
 * Results do not depend on `threads` (each output element is summed in the same order);
 * with `fma` they differ from tfjs's kernels in the last bits.
 *
 * @param next `enabled`: use brainstate-ts's kernels (cpu, wasm: the generated WebAssembly GEMM;
 *   webgpu: its WGSL product, docs/sharp-bits.md 20; false: tfjs's own kernels);
 *   `threads`: threads per large product (default 1; `'auto'`: 2 in Node on 2+ cores, worth
 *   it only where those cores are otherwise idle); `fma`: fused multiply-add where the
 *   engine has relaxed SIMD (`'auto'`).
 * @returns the options now in force.
 * @example
 * ```ts
 * bst.backend.setMatMulOptions({ threads: 2 }); // a worker thread shares large products
 * bst.backend.matMulOptions().threads;          // 2
 * bst.backend.setMatMulOptions({ threads: 1 }); // back to the calling thread only
 * ```
 */
export function setMatMulOptions(next: { enabled?: boolean; threads?: number | 'auto'; fma?: boolean | 'auto' }): MatMulOptions {
  const cur = matMulOptions();
  const threads = next.threads ?? cur.threads;
  if (threads !== 'auto' && !(Number.isInteger(threads) && threads >= 1 && threads <= 64)) {
    throw new ConfigError(`backend.setMatMulOptions: expected threads 'auto' or an integer from 1 to 64, got ${String(threads)}.`);
  }
  if (next.fma !== undefined && next.fma !== 'auto' && typeof next.fma !== 'boolean') {
    throw new ConfigError(`backend.setMatMulOptions: expected fma true, false or 'auto', got ${String(next.fma)}.`);
  }
  options = { enabled: next.enabled ?? cur.enabled, threads: threads === 'auto' ? autoThreads() : threads,
    fma: next.fma ?? cur.fma };
  for (const fn of listeners) fn();
  return options;
}

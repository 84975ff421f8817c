/**
 * `BatchMatMul` for the cpu and wasm backends through the generated GEMM, registered
 * over tfjs's own kernels (records with reason `'slow'`). Eager ops and the jit's replay
 * dispatch the same registered kernel, so jit == eager stays exact.
 *
 * Why: tfjs-cpu multiplies in JavaScript (the MLP 784-256-10 training step took 134 ms
 * on cpu against 6 ms in @jax-js/jax), and tfjs-wasm's XNNPACK path is slow with a
 * transposed operand (Xᵀ·Y at 128x784, 128x256: 24-31 ms, against 1.1-1.3 ms here) and
 * 1.2-1.6x slower than this kernel without one. Every float32 product comes here, the
 * smallest too: from 1x1x1 to 96x96x96 this kernel's call cost was at most tfjs's on
 * both backends (measured: 2-6 µs against 4-9 µs), and on wasm that also retires tfjs's
 * XNNPACK cache of packed operands keyed by data id, which returned wrong numbers for a
 * second reshape of one tensor (docs/sharp-bits.md #13). The one shape where XNNPACK is
 * faster is a matrix-vector product (1x784x256: 17 µs against 37 µs; its packed weights
 * stay cached across calls). Other dtypes, and shapes that do not multiply (so that tfjs
 * throws its own error), go to the kernel that was replaced.
 */
import { BrainStateError } from '../../errors';
import { KernelFunc, lookupKernel, TensorInfo, disposeInfo } from '../tfjs-engine';
import { runOnBackendMemory } from '../targets';
import { runOnWasmHeap, wasmHeap } from '../wasm/memory';
import type { KernelRecord } from '../training-kernels';
import { simdValidates, WasmMemory } from './compiled';
import { matMulOptions } from './config';
import { isOuterProduct, runOuterCopying, runOuterInPlace } from './outer';
import { MatMulPlan, planMacs, planMatMul } from './plan';
import { runCopying, runInPlace, scratchFor, threadsNow } from './runner';

type BackendName = 'cpu' | 'wasm';

/**
 * Multiply-adds from which a product on wasm is copied out of tfjs's heap to be split
 * across threads (the copies of A, B and C must be paid back).
 */
export const WASM_THREAD_MIN_MACS = 4e6;

const replaced: Partial<Record<BackendName, KernelFunc>> = {};

let simd: boolean | undefined;

/** Whether this product goes through the generated GEMM on backend `on`. */
function routed(on: BackendName, a: TensorInfo, b: TensorInfo, plan: MatMulPlan | undefined): plan is MatMulPlan {
  if (plan === undefined || a.dtype !== 'float32' || b.dtype !== 'float32' || !matMulOptions().enabled) return false;
  simd ??= simdValidates();
  return simd;
}

function zeros(out: { [i: number]: number } & { fill?(v: number): unknown }): void {
  (out as unknown as Float32Array).fill(0);
}

function batchMatMul(on: BackendName): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as Record<string, TensorInfo>;
    const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean };
    const plan = planMatMul(a.shape, b.shape, attrs.transposeA === true, attrs.transposeB === true);
    if (!routed(on, a, b, plan)) {
      const own = replaced[on];
      if (own === undefined) {
        throw new BrainStateError(`BatchMatMul (${on}): the generated GEMM takes float32 operands that multiply, ` +
          `got ${a.dtype} [${a.shape}] and ${b.dtype} [${b.shape}] (transposeA=${attrs.transposeA === true}, ` +
          `transposeB=${attrs.transposeB === true}), and tfjs's own kernel is not registered.`);
      }
      return own(args);
    }
    // Every element is written (K == 0: zeros), so on cpu it may take a disposed result's array.
    const out = [{ shape: plan.outShape, dtype: 'float32' as const, filled: true }];
    if (isOuterProduct(plan)) return outerProduct(on, a, b, plan, out);
    if (on === 'cpu') {
      return runOnBackendMemory('cpu', [a, b], out, (ins, outs) => {
        if (plan.K === 0) zeros(outs[0]);
        else runCopying(plan, ins[0], ins[1], outs[0] as unknown as Float32Array);
      })[0];
    }
    const heap = wasmHeap() as unknown as WasmMemory | undefined;
    if (heap === undefined) throw new BrainStateError('internal: BatchMatMul (wasm) found no tfjs-wasm heap');
    if (plan.K === 0 || (planMacs(plan) >= WASM_THREAD_MIN_MACS && threadsNow(plan) > 1)) {
      return runOnWasmHeap([a, b], out, (_ptrs, views) => {
        const [ins, outs] = views();
        if (plan.K === 0) zeros(outs[0]);
        else runCopying(plan, ins[0], ins[1], outs[0] as unknown as Float32Array);
      })[0];
    }
    const [c, scratch] = runOnWasmHeap([a, b], [...out, { shape: [scratchFor(plan) / 4], dtype: 'float32' }],
      (ptrs) => runInPlace(heap, plan, ptrs[0], ptrs[1], ptrs[2], ptrs[3]));
    disposeInfo(scratch);
    return c;
  };
}

/** A product with `K == 1` (outer.ts): one pass writing C, in place on wasm, in cached chunks on cpu. */
function outerProduct(on: BackendName, a: TensorInfo, b: TensorInfo, plan: MatMulPlan,
  out: { shape: number[]; dtype: 'float32'; filled: boolean }[]): TensorInfo {
  if (on === 'cpu') {
    return runOnBackendMemory('cpu', [a, b], out, (ins, outs) => {
      runOuterCopying(plan, ins[0], ins[1], outs[0] as unknown as Float32Array);
    })[0];
  }
  const heap = wasmHeap() as unknown as WasmMemory | undefined;
  if (heap === undefined) throw new BrainStateError('internal: BatchMatMul (wasm) found no tfjs-wasm heap');
  return runOnWasmHeap([a, b], out, (ptrs) => runOuterInPlace(heap, plan, ptrs[0], ptrs[1], ptrs[2]))[0];
}

const kernelFuncs: Record<BackendName, KernelFunc> = { cpu: batchMatMul('cpu'), wasm: batchMatMul('wasm') };

/**
 * Whether float32 `BatchMatMul`s on `backendName` run through the generated GEMM now
 * (registered, enabled, and the engine validates SIMD): its transposed operands cost
 * nothing extra, so the jit keeps them rather than making the transposes explicit.
 */
export function gemmRunsMatMul(backendName: string): boolean {
  if (backendName !== 'cpu' && backendName !== 'wasm') return false;
  if (lookupKernel('BatchMatMul', backendName) !== kernelFuncs[backendName] || !matMulOptions().enabled) return false;
  simd ??= simdValidates();
  return simd;
}

function record(on: BackendName, why: string): KernelRecord {
  return {
    kernelName: 'BatchMatMul', backendName: on, kernelFunc: kernelFuncs[on], reason: 'slow', why,
    keepReplaced: (k) => { replaced[on] = k; },
  };
}

/** The records (registered with `registerKernelRecords`). */
export const MATMUL_KERNELS: readonly KernelRecord[] = [
  record('cpu', 'tf.matMul and everything built on it: tfjs-cpu multiplies in JavaScript (the MLP 784-256-10 ' +
    'training step took 134 ms)'),
  record('wasm', 'tf.matMul with a transposed operand (weight gradients): tfjs-wasm took 24-31 ms for ' +
    'Xᵀ·Y at 128x784, 128x256, against 1.1-1.3 ms here'),
];

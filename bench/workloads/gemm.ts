/**
 * The matrix products of the training benches, alone: tfjs's own `BatchMatMul` kernel
 * (the generated GEMM switched off) against the generated WebAssembly SIMD GEMM on one
 * thread and with worker threads (those `backend.matMulOptions()` sets, else 2: threads
 * are opt-in), at the shapes of the MLP
 * 784-256-10 step at batch 128 (forward, weight and input gradients) and of the LSTM
 * step (batch 16, [x, h] 288 -> 4 gates of 256). Rows carry their FLOPs so the table
 * shows GFLOP/s.
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import type { Case, Variant } from '../harness';

/** One product: `a` of shape `aShape`, `b` of `bShape`, with the transpose flags. */
interface Product {
  readonly label: string;
  readonly aShape: [number, number];
  readonly bShape: [number, number];
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

/** The products timed, as the MLP and LSTM steps dispatch them (eagerly). */
export const PRODUCTS: readonly Product[] = [
  { label: 'MLP x·W1', aShape: [128, 784], bShape: [784, 256], transposeA: false, transposeB: false },
  { label: 'MLP xᵀ·dh (dW1)', aShape: [128, 784], bShape: [128, 256], transposeA: true, transposeB: false },
  { label: 'MLP h·W2', aShape: [128, 256], bShape: [256, 10], transposeA: false, transposeB: false },
  { label: 'MLP dy·W2ᵀ (dh)', aShape: [128, 10], bShape: [256, 10], transposeA: false, transposeB: true },
  { label: 'LSTM [x,h]·W', aShape: [16, 288], bShape: [288, 1024], transposeA: false, transposeB: false },
];

/** Runs `fn` with the matrix-product options `opts`, then puts the previous ones back. */
function withOptions(opts: Parameters<typeof bst.backend.setMatMulOptions>[0], fn: () => void): void {
  const saved = bst.backend.matMulOptions();
  bst.backend.setMatMulOptions(opts);
  try {
    fn();
  } finally {
    bst.backend.setMatMulOptions(saved);
  }
}

function variant(name: string, a: tf.Tensor, b: tf.Tensor, p: Product,
  opts: Parameters<typeof bst.backend.setMatMulOptions>[0]): Variant {
  return {
    name,
    run(k) {
      withOptions(opts, () => {
        for (let r = 0; r < k; r++) {
          const c = tf.matMul(a, b, p.transposeA, p.transposeB);
          if (r === k - 1) c.dataSync();
          c.dispose();
        }
      });
    },
  };
}

/** The case of product `p`: tfjs's kernel, the GEMM on one thread, and with worker threads. */
export function gemmCase(p: Product): Case {
  const a = tf.keep(tf.randomNormal(p.aShape, 0, 1, 'float32', 1));
  const b = tf.keep(tf.randomNormal(p.bShape, 0, 1, 'float32', 2));
  const M = p.transposeA ? p.aShape[1] : p.aShape[0];
  const K = p.transposeA ? p.aShape[0] : p.aShape[1];
  const N = p.transposeB ? p.bShape[0] : p.bShape[1];
  const configured = bst.backend.matMulOptions().threads;
  const threads = configured > 1 ? configured : 2;
  const variants: Variant[] = [
    variant('tfjs kernel', a, b, p, { enabled: false }),
    variant('gemm, 1 thread', a, b, p, { enabled: true, threads: 1 }),
  ];
  variants.push(variant(`gemm, ${threads} threads`, a, b, p, { enabled: true, threads }));
  const last = variants[variants.length - 1];
  last.dispose = () => tf.dispose([a, b]);
  const flops = 2 * M * N * K;
  // Blocks of about 10 ms at 40 GFLOP/s.
  return { workload: `GEMM ${p.label}`, size: `${M}x${K}·${K}x${N}`, reps: Math.max(2, Math.round(4e8 / flops)), variants,
    flops };
}

/**
 * Training kernels that tfjs 4.22's backends lack or get wrong, registered at import
 * time (from `src/side-effects.ts`) so conv nets, pooling and embeddings train on wasm
 * as on cpu (and a strided slice that shrinks an axis reads the right elements). A `'missing'` kernel is registered only where the backend has none (a
 * later tfjs may add it); a `'wrong'` one replaces the backend's own, and so does a
 * `'slow'` one (bias-gradient sums without a transpose).
 */
import * as tf from '@tensorflow/tfjs';
import { CONV_BACKPROP_KERNELS } from './conv-backprop';
import { MAX_POOL_KERNELS } from './max-pool';
import type { KernelFunc } from '../tfjs-engine';
import type { KernelRecord } from './record';
import { UNSORTED_SEGMENT_SUM } from './unsorted-segment-sum';
import { SUM_LEADING_AXES_KERNELS } from './sum-leading-axes';
import { STRIDED_SLICE_KERNELS } from './strided-slice';

export type { KernelRecord } from './record';

/** Every kernel this module registers, in registration order. */
export const TRAINING_KERNELS: readonly KernelRecord[] = [...CONV_BACKPROP_KERNELS, ...MAX_POOL_KERNELS,
  UNSORTED_SEGMENT_SUM, ...SUM_LEADING_AXES_KERNELS, ...STRIDED_SLICE_KERNELS];

/**
 * Registers the kernels of {@link TRAINING_KERNELS}: a `'missing'` one where the backend
 * has none, a `'wrong'` one in place of the backend's own. Idempotent, and called again
 * by `backend.init` after it loads a backend package, since loading tfjs-wasm registers
 * its kernels (over ours).
 *
 * @returns the records now registered.
 */
export function registerTrainingKernels(): readonly KernelRecord[] {
  return registerKernelRecords(TRAINING_KERNELS);
}

/**
 * Registers `records` as {@link registerTrainingKernels} does. A replaced kernel's
 * `setupFunc` and `disposeFunc` are kept (tfjs runs them when the backend starts, and a
 * record may still call the replaced kernel: see `KernelRecord.keepReplaced`).
 */
export function registerKernelRecords(records: readonly KernelRecord[]): readonly KernelRecord[] {
  const out: KernelRecord[] = [];
  for (const k of records) {
    const existing = tf.getKernel(k.kernelName, k.backendName);
    if (existing != null) {
      if (existing.kernelFunc === (k.kernelFunc as unknown)) {
        out.push(k);
        continue;
      }
      if (k.reason === 'missing') continue;
      k.keepReplaced?.(existing.kernelFunc as unknown as KernelFunc);
      tf.unregisterKernel(k.kernelName, k.backendName);
    }
    tf.registerKernel({ kernelName: k.kernelName, backendName: k.backendName,
      kernelFunc: k.kernelFunc as unknown as tf.KernelFunc, setupFunc: existing?.setupFunc,
      disposeFunc: existing?.disposeFunc });
    out.push(k);
  }
  return out;
}

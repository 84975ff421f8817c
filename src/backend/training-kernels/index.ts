/**
 * Training kernels that tfjs 4.22's backends lack or get wrong, registered at import
 * time (from `src/side-effects.ts`) so conv nets, pooling and embeddings train on wasm
 * as on cpu. A `'missing'` kernel is registered only where the backend has none (a
 * later tfjs may add it); a `'wrong'` one replaces the backend's own.
 */
import * as tf from '@tensorflow/tfjs';
import { CONV_BACKPROP_KERNELS } from './conv-backprop';
import { MAX_POOL_KERNELS } from './max-pool';
import type { KernelRecord } from './record';
import { UNSORTED_SEGMENT_SUM } from './unsorted-segment-sum';

export type { KernelRecord } from './record';

/** Every kernel this module registers, in registration order. */
export const TRAINING_KERNELS: readonly KernelRecord[] = [...CONV_BACKPROP_KERNELS, ...MAX_POOL_KERNELS,
  UNSORTED_SEGMENT_SUM];

/**
 * Registers the kernels of {@link TRAINING_KERNELS}: a `'missing'` one where the backend
 * has none, a `'wrong'` one in place of the backend's own. Idempotent, and called again
 * by `backend.init` after it loads a backend package, since loading tfjs-wasm registers
 * its kernels (over ours).
 *
 * @returns the records now registered.
 */
export function registerTrainingKernels(): readonly KernelRecord[] {
  const out: KernelRecord[] = [];
  for (const k of TRAINING_KERNELS) {
    const existing = tf.getKernel(k.kernelName, k.backendName);
    if (existing != null) {
      if (existing.kernelFunc === (k.kernelFunc as unknown)) {
        out.push(k);
        continue;
      }
      if (k.reason === 'missing') continue;
      tf.unregisterKernel(k.kernelName, k.backendName);
    }
    tf.registerKernel({ kernelName: k.kernelName, backendName: k.backendName,
      kernelFunc: k.kernelFunc as unknown as tf.KernelFunc });
    out.push(k);
  }
  return out;
}

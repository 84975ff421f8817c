/**
 * Wrapping tfjs-backend-webgpu's own kernels, where brainstate-ts mends one (exact int32
 * copies, programs that do not compile at rank 5 and 6, `Prod`'s kept axes): the wrapper
 * gets tfjs's kernel function and decides per call whether to run it.
 */
import * as tf from '@tensorflow/tfjs';

/** The kernels wrapped so far: tfjs-webgpu registers each once, so each is wrapped once. */
const wrapped = new Set<string>();

/**
 * Registers `wrap(tfjs's kernel)` in place of tfjs-webgpu's kernel `name` (its setup and
 * dispose functions kept). A kernel this backend lacks is left alone; a second call for a
 * kernel already wrapped does nothing.
 */
export function wrapWebgpuKernel(name: string, wrap: (original: tf.KernelFunc) => tf.KernelFunc): void {
  if (wrapped.has(name)) return;
  const k = tf.getKernel(name, 'webgpu');
  if (k == null) return;
  tf.unregisterKernel(name, 'webgpu');
  tf.registerKernel({ ...k, kernelFunc: wrap(k.kernelFunc) });
  wrapped.add(name);
}

/**
 * The `tensorflow` backend: the native TensorFlow binding of @tensorflow/tfjs-node-gpu
 * (CUDA GPUs) or @tensorflow/tfjs-node (CPU), the first choice of `backend.init()` where
 * one loads. Its memory lives in TensorFlow: no fused kernels, no in-place updates.
 */
import * as tf from '@tensorflow/tfjs';
import { registerTarget } from '../targets';

/** Native packages that register the `tensorflow` backend, tried in this order. */
const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

registerTarget({
  name: 'tensorflow',
  priority: 10,
  load() {
    const reasons: string[] = [];
    for (const pkg of NATIVE_PACKAGES) {
      try {
        require(pkg);
        if (tf.findBackendFactory('tensorflow') != null) return null;
        reasons.push(`${pkg} loaded but registered no 'tensorflow' backend`);
      } catch (e) {
        const msg = (e as Error).message.split('\n')[0];
        reasons.push(`${pkg}: ${msg}`);
      }
    }
    return reasons.join('; ');
  },
  autoFailureIsUnavailable: true,
  installHint: 'install @tensorflow/tfjs-node-gpu (CUDA GPUs) or @tensorflow/tfjs-node (CPU); their install ' +
    'script downloads libtensorflow, so it needs network access to storage.googleapis.com',
  explicitMatMulTranspose: false,
  customKernels: 'js',
});

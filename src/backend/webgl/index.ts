/**
 * The `webgl` backend, bundled with @tensorflow/tfjs and registered by it in browsers
 * only. The jit replays its kernels as recorded (no fused kernels).
 */
import * as tf from '@tensorflow/tfjs';
import { registerTarget } from '../targets';

registerTarget({
  name: 'webgl',
  priority: 40,
  load: () => (tf.findBackendFactory('webgl') != null ? null : 'webgl runs only in a browser (tfjs registers it there)'),
  autoFailureIsUnavailable: true,
  installHint: 'run in a browser with WebGL',
  explicitMatMulTranspose: false,
  customKernels: 'js',
});

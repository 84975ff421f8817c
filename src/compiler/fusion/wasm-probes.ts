/**
 * Facts about tfjs-wasm's kernels that depend on the machine: XNNPACK picks its
 * microkernels at start-up (x86 and ARM variants of clamp treat NaN differently), so
 * the fused formulas that reproduce them ask the running backend once.
 */
import * as tf from '@tensorflow/tfjs';
import { unrecorded } from '../../backend/tfjs-engine';

let clampNaNToLower: boolean | undefined;

/**
 * Whether tfjs-wasm's clamp (clipByValue, relu6) maps NaN to its lower bound, as
 * XNNPACK's x86 kernels do (pseudo-min/max); ARM kernels propagate NaN. Asked once,
 * on the wasm backend, outside any recording.
 */
export function wasmClampMapsNaNToLower(): boolean {
  if (clampNaNToLower === undefined) {
    clampNaNToLower = unrecorded(() => tf.tidy(() => {
      const v = tf.clipByValue(tf.tensor1d([NaN, NaN, NaN, NaN]), -1, 1).dataSync();
      return v[0] === -1 && v[3] === -1;
    }));
  }
  return clampNaNToLower;
}

/**
 * Reading a fused spec's refs (inputs first, then ops), shared by the emitters and the
 * rewrites they apply.
 */
import type * as tf from '@tensorflow/tfjs';
import type { FusedSpec } from '../ir';

/** The dtype of ref `r` of `spec` (inputs first, then ops). */
export function refDtype(spec: FusedSpec, r: number): tf.DataType {
  return r < spec.inputs.length ? spec.inputs[r].dtype : spec.ops[r - spec.inputs.length].dtype;
}

/**
 * `Prod` with `keepDims` on webgpu's CPU form.
 *
 * tfjs-backend-webgpu 4.22 runs `Prod` on its CPU form when the input is small host data,
 * and that form returns the reduced shape without the kept axes (`tf.prod(x, 0, true)` of a
 * [13] tensor gives [], where the GPU form gives [1]). So eagerly the same call changed
 * shape once its input had been uploaded by another kernel, and a jitted program, whose
 * shapes are those of its trace, could not follow (fuzz seed 930984 on webgpu). The kernel
 * is wrapped to give the kept axes back (a reshape of the same data).
 */
import * as tf from '@tensorflow/tfjs';
import { wrapWebgpuKernel } from './kernel-wraps';

function keepDimsShape(shape: readonly number[], axis: unknown): number[] {
  const axes = tf.util.parseAxisParam(axis as number | number[], shape as number[]);
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** Replaces webgpu's `Prod` with one whose result always has the kept axes when `keepDims` is set (once). */
export function installProdKeepDims(): void {
  wrapWebgpuKernel('Prod', (original) => (args) => {
    const out = original(args) as tf.TensorInfo;
    if (args.attrs?.keepDims !== true) return out;
    const x = args.inputs.x as tf.TensorInfo;
    const shape = keepDimsShape(x.shape, args.attrs.axis);
    return out.shape.join() === shape.join() ? out : { dataId: out.dataId, shape, dtype: out.dtype };
  });
}

/**
 * Binary kernels of rank 5 and 6 with a short rank-1 operand, on webgpu.
 *
 * tfjs-backend-webgpu 4.22's `BinaryOpProgram` takes its "shared" variant (the rank-1
 * operand copied to workgroup memory) when one operand has rank 1 with length 2..127 and
 * the other a higher rank. That variant reads the operand at `coords[rank - 1]`, which is
 * invalid WGSL for the output coordinates of rank 5 and 6 (tfjs's `vec5`/`vec6` are structs,
 * not vectors). Dawn rejects the pipeline, and the `Queue.Submit` that holds it is dropped
 * whole: the kernel and every kernel batched with it compute nothing, and their pooled
 * output buffers keep what an earlier call left (fuzz seed 5718831: `pow(v1, v1)` batched
 * beside such a `NotEqual` gave the previous call's values). The jit, which may drop or
 * fuse such a kernel, then disagreed with eager, which was the wrong side.
 *
 * The kernels are wrapped to pass that operand as a [1, n] view of the same data (no
 * copy): the program then takes its general variant, and the broadcast result is the same.
 */
import * as tf from '@tensorflow/tfjs';
import { TFJS_VECTOR_COORDS_MAX_RANK } from './coordinate-copy';
import { wrapWebgpuKernel } from './kernel-wraps';

/**
 * The kernels tfjs-webgpu 4.22 runs through `BinaryOpProgram` on operands of different shapes,
 * and their two inputs' names (`EluGrad` runs it too, but on `dy` and `y` of one shape).
 */
const BINARY_KERNELS: ReadonlyArray<readonly [string, string, string]> = [
  ...['Add', 'Atan2', 'Equal', 'FloorDiv', 'Greater', 'GreaterEqual', 'Less', 'LessEqual', 'LogicalAnd', 'LogicalOr',
    'Maximum', 'Minimum', 'Mod', 'Multiply', 'NotEqual', 'Pow', 'RealDiv', 'SquaredDifference', 'Sub']
    .map((name) => [name, 'a', 'b'] as const),
  ['Prelu', 'x', 'alpha'],
];

/** tfjs-webgpu takes the shared variant for a rank-1 operand shorter than this. */
const SHARED_MAX_LENGTH = 128;

/** Whether `BinaryOpProgram` would take its shared variant for `one` beside `other`, and it would not compile. */
function takesInvalidSharedVariant(one: readonly number[], other: readonly number[]): boolean {
  // Length 1 reads `sharedBuf[0]`, valid at any rank; the output has `other`'s rank.
  return one.length === 1 && one[0] >= 2 && one[0] < SHARED_MAX_LENGTH && other.length > TFJS_VECTOR_COORDS_MAX_RANK;
}

function asRow(info: tf.TensorInfo): tf.TensorInfo {
  return { dataId: info.dataId, shape: [1, info.shape[0]], dtype: info.dtype };
}

/**
 * The operand shapes `BinaryOpProgram` sees for operands of shapes `a` and `b` once the
 * kernels are wrapped (a short rank-1 operand beside rank 5 or 6 as [1, n]), for the
 * compiler's mirror of its program choice (gpu-fusion.ts's `binaryProgramVec4`).
 */
export function binaryProgramShapes(a: readonly number[], b: readonly number[]): [readonly number[], readonly number[]] {
  if (takesInvalidSharedVariant(a, b)) return [[1, a[0]], b];
  if (takesInvalidSharedVariant(b, a)) return [a, [1, b[0]]];
  return [a, b];
}

/** Replaces webgpu's binary kernels with ones that never take the shared variant at rank 5 and 6 (once). */
export function installBinarySharedRank(): void {
  for (const [kernelName, first, second] of BINARY_KERNELS) {
    wrapWebgpuKernel(kernelName, (original) => (args) => {
      const a = args.inputs[first] as tf.TensorInfo | undefined;
      const b = args.inputs[second] as tf.TensorInfo | undefined;
      if (a == null || b == null) return original(args);
      if (takesInvalidSharedVariant(a.shape, b.shape)) {
        return original({ ...args, inputs: { ...args.inputs, [first]: asRow(a) } });
      }
      if (takesInvalidSharedVariant(b.shape, a.shape)) {
        return original({ ...args, inputs: { ...args.inputs, [second]: asRow(b) } });
      }
      return original(args);
    });
  }
}

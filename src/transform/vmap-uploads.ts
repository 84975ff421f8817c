/**
 * The uploads of unbatched data that each lane's kernel makes and a batched kernel would not
 * (webgpu). tfjs-webgpu runs a kernel on its CPU forms when every input is small host data,
 * else on the GPU, and a GPU kernel uploads its host inputs for good. Lane by lane, a kernel
 * reads an unbatched input (a constant the function makes, a captured tensor, an argument
 * with inAxes null) itself, so where it runs on the GPU it uploads that data. A batching rule
 * may read a broadcast of it instead (a `Tile` onto the batch, new data, which tfjs-webgpu
 * makes on its CPU forms from small host data): the batched kernel then uploads the copy and
 * leaves the input on the host, and a later kernel on it runs on the CPU forms where each
 * lane's ran on the GPU (fuzz seed 2413606: a dead `tf.where(false, cast(lane), c)` uploads
 * the int32 constant c in every lane, `Select` has no CPU form, so `neg(c)` ran on the GPU
 * through f32, -2147483648, where the batched `Select` read c's tile and `neg(c)` stayed
 * exact on the host, -2147483647).
 */
import * as tf from '@tensorflow/tfjs';
import { dispatchKernel } from '../backend/custom-kernels';
import { isOnDevice } from '../backend/tfjs-engine';
import { cpuFormsThreshold } from '../backend/targets';
import type { Batched } from '../compiler/kernels';

/**
 * The unbatched inputs among `ins` that are small host data, which the lanes' kernel may
 * upload (none on a backend without CPU forms for small data: cpu and wasm upload nothing).
 */
export function hostUnbatched(ins: readonly (Batched | undefined)[]): tf.Tensor[] {
  const threshold = cpuFormsThreshold(tf.getBackend());
  if (threshold === 0) return [];
  return ins.filter((b): b is Batched => b !== undefined && b.axis === null && b.t.size > 0 && b.t.size < threshold &&
    b.t.dtype !== 'string' && b.t.dtype !== 'complex64' && !isOnDevice(b.t)).map((b) => b.t);
}

/**
 * After a batched kernel read `ins` (its unbatched small host inputs `unbatched`, as
 * {@link hostUnbatched} found them before it ran) and made `outs`: where each lane's kernel
 * ran on the GPU, uploads those the batched kernel left on the host, through a dead `Select`
 * of each (tfjs-webgpu has no CPU form of it, so it uploads its inputs wherever they are;
 * recorded like any kernel, so a trace around vmap replays the upload at every call, and its
 * passes keep or drop it as they do eager's dead kernels). The lanes ran on the GPU where a
 * batched input is GPU data (each lane's slice of it is), where a lane of one reaches the
 * CPU threshold, or where the batched kernel ran there on small host data only (it has no CPU
 * form, so neither has each lane's); not where a batched input reached the threshold only
 * with its batch axis (each lane's kernel ran on the CPU forms).
 */
export function uploadAsLanes(ins: readonly (Batched | undefined)[], unbatched: readonly tf.Tensor[], outs: readonly Batched[],
  batchedOnDevice: boolean): void {
  const left = unbatched.filter((t) => !t.isDisposed && !isOnDevice(t));
  if (left.length === 0 || !outs.some((o) => isOnDevice(o.t))) return;
  const threshold = cpuFormsThreshold(tf.getBackend());
  const batched = ins.filter((b): b is Batched => b !== undefined && b.axis !== null);
  const lanes = batched.length > 0 ? batched[0].t.shape[batched[0].axis!]! : 1;
  // Small batched inputs and GPU outputs mean no CPU form, unless a rule's tile of an
  // unbatched input onto the batch reached the threshold (each lane's kernel, reading the
  // input itself, then ran on the CPU forms).
  const smallBatch = batched.every((b) => b.t.size < threshold) && unbatched.every((t) => t.size * lanes < threshold);
  const largeLane = batched.some((b) => b.t.size / b.t.shape[b.axis!]! >= threshold);
  if (!batchedOnDevice && !smallBatch && !largeLane) return;
  tf.tidy(() => {
    for (const t of left) {
      // A reshape shares the data (no kernel), and keeps Select within the rank it takes.
      const flat = tf.reshape(t, [t.size]);
      tf.dispose(dispatchKernel('Select', { condition: tf.zeros([t.size], 'bool'), t: flat, e: flat }, {}));
    }
  });
}

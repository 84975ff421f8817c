/**
 * Exact int32 `Unpack` (tf.unstack), `Pack` (tf.stack), `Concat`
 * (tf.concat) and `Slice` (tf.slice) along any axis, `Tile` (tf.tile, tf.broadcastTo) up to
 * rank 4, `Reverse` (tf.reverse; of any dtype from rank 5, where tfjs's fails) and the 2-D
 * `Transpose`, on webgpu.
 *
 * tfjs-backend-webgpu 4.22 moves int32 data through float32 in its generic programs
 * (`setOutputAtIndex(index, f32(...))` in Slice and Concat, which Unpack and Pack use),
 * so values beyond 2^24 come out rounded: 195045567 became 195045568 (measured). Random
 * keys are full-range uint32 bit patterns that `random.splitKey` unstacks and stacks,
 * so these kernels are replaced, for int32 and bool data on the GPU, by copies that never
 * leave i32 (host data is uploaded first, which is exact). `Unpack` along other axes too: the
 * jit's unrolled scan splits its xs so (fuzz seed 10005859, {@link unpackInner}). `Pack` along
 * other axes and `Concat` are replaced too: the jit stacks an unrolled scan's ys along axis 1 and joins
 * the remainder's with a concat where eager stacks every row along axis 0 (fuzz seed
 * 1325193: 16777217 became 16777216 under jit only). `Slice` too: vmap's lanes are slices
 * of a mapped argument, which its batched kernels read whole (fuzz seed 2007636: an int32
 * argument uploaded by a dead `atan2`, 16777217 batched, 16777216 in the lanes' slices;
 * tfjs's own kernels that slice internally, SplitV, StridedSlice, TopK, still call its
 * program). `Tile` too: vmap broadcasts a result no lane changes through one, where the lanes'
 * results are stacked by `Pack` (fuzz seed 3902200, {@link tile}). The 2-D `Transpose` too: vmap
 * moves a batch axis to the front through one (fuzz seed 5512255, {@link transpose}). Where tfjs
 * would run them on its CPU forms (exact already) they still do, so what runs where is
 * unchanged. Everything else goes to tfjs's own kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { coordinateCopy, i32, sizeOf, stridesOf, tfjsRunsOnCpu, walksOf } from './coordinate-copy';
import { wrapWebgpuKernel } from './kernel-wraps';
import { isOnHost, runProgram } from './webgpu-engine';

const WORKGROUP = 64;

/** Copies `count` elements of X from `inOffset` into result at `outOffset`, as i32 bits. */
function copyProgram(outShape: number[], count: number): WebGPUProgram {
  return {
    variableNames: ['X'],
    outputShape: outShape,
    shaderKey: 'brainstate_exact_int32_copy',
    dispatchLayout: { x: outShape.map((_, i) => i) },
    dispatch: [Math.max(1, Math.ceil(count / WORKGROUP)), 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    uniforms: 'count : i32, inOffset : i32, outOffset : i32, ',
    getUserCode: () => `
fn main(index : i32) {
  if (index < uniforms.count) {
    result[index + uniforms.outOffset] = X[index + uniforms.inOffset];
  }
}`,
  };
}

/**
 * Copies the `count` elements of X, a [outer, inner] block, into columns `outOffset` on of
 * result seen as [outer, outInner]: one input of a stack or concat along any axis.
 */
function placeProgram(outShape: number[], count: number): WebGPUProgram {
  return {
    variableNames: ['X'],
    outputShape: outShape,
    shaderKey: 'brainstate_exact_int32_place',
    dispatchLayout: { x: outShape.map((_, i) => i) },
    dispatch: [Math.max(1, Math.ceil(count / WORKGROUP)), 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    uniforms: 'count : i32, inner : i32, outInner : i32, outOffset : i32, ',
    getUserCode: () => `
fn main(index : i32) {
  if (index < uniforms.count) {
    result[(index / uniforms.inner) * uniforms.outInner + uniforms.outOffset + index % uniforms.inner] = X[index];
  }
}`,
  };
}

const exactDtype = (d: tf.DataType) => d === 'int32' || d === 'bool';

type Info = tf.TensorInfo;

/** Host inputs up to this many elements are unstacked / stacked on the host (as tfjs-webgpu does for small host data). */
const HOST_MAX = 1024;

/**
 * `values` joined along `axis` into `outShape` on the GPU, each input copied as i32 bits
 * into its columns of the [outer, outInner] view (inputs of no elements skipped).
 */
function joinOnGpu(backend: unknown, values: readonly Info[], axis: number, outShape: number[]): Info {
  const outInner = sizeOf(outShape.slice(axis));
  let offset = 0;
  let out: Info | undefined;
  for (const v of values) {
    const count = sizeOf(v.shape);
    const inner = sizeOf(v.shape.slice(axis));
    if (count > 0) {
      out = runProgram(backend, placeProgram(outShape, count), [v], v.dtype,
        [i32(count), i32(inner), i32(outInner), i32(offset)], out);
    }
    offset += inner;
  }
  return out!;
}

interface HostBackend {
  readSync(dataId: object): ArrayLike<number> & { slice(a: number, b: number): ArrayLike<number>; length: number };
  write(values: ArrayLike<number>, shape: number[], dtype: tf.DataType): object;
}

/**
 * Whether every input's data is on the host and small: then the copies are made there, so
 * the results stay synchronously readable (a random key split after `random.seed` can
 * then be read back at once, as `event.FixedProb` does) and are exact all the same.
 */
function smallOnHost(backend: unknown, infos: readonly Info[]): boolean {
  let n = 0;
  for (const t of infos) n += sizeOf(t.shape);
  return n <= HOST_MAX && infos.every((t) => t.dtype === 'int32' && isOnHost(backend, t.dataId));
}

/**
 * `Unpack` along an inner axis: the jit unstacks an unrolled scan's xs so when it unrolls by
 * more than one step (the steps' rows lie along axis 1 of a reshape), where eager reads each
 * row on its own. tfjs-webgpu's Unpack slices through its own Slice program, not the
 * registered kernel, so int32 moved through f32 (fuzz seed 10005859: -16777217 became
 * -16777216 under jit only). On GPU data each piece is a coordinate copy that skips the axis;
 * tfjs's CPU forms (small host data, exact already) stay as tfjs runs them.
 */
function unpackInner(original: tf.KernelFunc, args: Parameters<tf.KernelFunc>[0], value: Info, axis: number):
  Info | Info[] {
  const outShape = value.shape.filter((_, k) => k !== axis);
  if (sizeOf(outShape) === 0 || tfjsRunsOnCpu(args.backend, [value])) return original(args);
  const step = stridesOf(value.shape)[axis];
  const walks = walksOf(value.shape).filter((_, k) => k !== axis);
  return Array.from({ length: value.shape[axis] }, (_, i) => coordinateCopy(args.backend, value, outShape, walks, i * step));
}

function unpack(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const value = inputs.value as Info;
    const axis = (attrs?.axis as number) < 0 ? (attrs!.axis as number) + value.shape.length : (attrs?.axis as number ?? 0);
    if (!exactDtype(value.dtype) || !(axis >= 0 && axis < value.shape.length)) return original(args);
    if (axis !== 0) return unpackInner(original, args, value, axis);
    const outShape = value.shape.slice(1);
    const n = sizeOf(outShape);
    if (n === 0) return original(args);
    if (smallOnHost(backend, [value])) {
      const b = backend as unknown as HostBackend;
      const data = b.readSync(value.dataId);
      return Array.from({ length: value.shape[0] }, (_, i) =>
        ({ dataId: b.write(data.slice(i * n, (i + 1) * n), outShape, value.dtype), shape: outShape, dtype: value.dtype }));
    }
    return Array.from({ length: value.shape[0] }, (_, i) =>
      runProgram(backend, copyProgram(outShape, n), [value], value.dtype, [i32(n), i32(i * n), i32(0)]));
  };
}

function pack(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const values = inputs as unknown as Info[];
    const rank = values[0]?.shape.length ?? 0;
    const given = (attrs?.axis as number) ?? 0;
    const axis = given < 0 ? given + rank + 1 : given;
    if (values.length < 2 || !exactDtype(values[0].dtype) || !(axis >= 0 && axis <= rank) ||
      values.some((v) => v.dtype !== values[0].dtype || v.shape.join() !== values[0].shape.join())) {
      return original(args); // tfjs checks shapes and dtypes and says what is wrong
    }
    const n = sizeOf(values[0].shape);
    if (n === 0) return original(args);
    if (axis !== 0) {
      // tfjs stacks through a concat of the inputs expanded at `axis` (the same data).
      if (tfjsRunsOnCpu(backend, values)) return original(args);
      const shape = values[0].shape;
      return joinOnGpu(backend, values.map((v) => ({ ...v, shape: [...shape.slice(0, axis), 1, ...shape.slice(axis)] })),
        axis, [...shape.slice(0, axis), values.length, ...shape.slice(axis)]);
    }
    const outShape = [values.length, ...values[0].shape];
    if (smallOnHost(backend, values)) {
      const b = backend as unknown as HostBackend;
      const data = new Int32Array(n * values.length);
      values.forEach((v, i) => data.set(Array.from(b.readSync(v.dataId)), i * n));
      return { dataId: b.write(data, outShape, values[0].dtype), shape: outShape, dtype: values[0].dtype };
    }
    let out: Info | undefined;
    values.forEach((v, i) => {
      out = runProgram(backend, copyProgram(outShape, n), [v], v.dtype, [i32(n), i32(0), i32(i * n)], out);
    });
    return out!;
  };
}

function concat(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const values = inputs as unknown as Info[];
    const first = values[0];
    if (first === undefined || !exactDtype(first.dtype) || values.some((v) => v.dtype !== first.dtype)) return original(args);
    const rank = first.shape.length;
    const given = (attrs?.axis as number) ?? 0;
    const axis = given < 0 ? given + rank : given;
    const same = (v: Info) => v.shape.length === rank && v.shape.every((d, i) => i === axis || d === first.shape[i]);
    if (!(axis >= 0 && axis < rank) || !values.every(same)) return original(args); // tfjs says what is wrong
    const nonEmpty = values.filter((v) => sizeOf(v.shape) > 0);
    // Nothing to copy, one input (tfjs's Identity shares its data) or the CPU forms: tfjs's own kernel.
    if (nonEmpty.length < 2 || tfjsRunsOnCpu(backend, nonEmpty)) return original(args);
    const outShape = [...first.shape];
    outShape[axis] = values.reduce((s, v) => s + v.shape[axis], 0);
    return joinOnGpu(backend, nonEmpty, axis, outShape);
  };
}

function slice(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x as Info;
    // tfjs checks the parameters and says what is wrong; its CPU forms (small host data) are exact already.
    if (x === undefined || !exactDtype(x.dtype) || tfjsRunsOnCpu(backend, [x])) return original(args);
    const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs!.begin as number | number[],
      attrs!.size as number | number[] | undefined);
    const count = sizeOf(size);
    if (count === 0 || begin.length !== x.shape.length || size.length !== x.shape.length ||
      begin.some((b, k) => b < 0 || size[k] < 0 || b + size[k] > x.shape[k])) return original(args);
    // Each coordinate stays below the input's extent, so the modulo leaves it as it is.
    const inStrides = stridesOf(x.shape);
    return coordinateCopy(backend, x, size, walksOf(x.shape), begin.reduce((s, b, k) => s + b * inStrides[k], 0));
  };
}

/**
 * Exact `Tile` (tf.tile, tf.broadcastTo) of int32 and bool GPU data: vmap broadcasts a result
 * no lane changes onto the batch through a tile, where the lanes' results are stacked by
 * `Pack`, exact above (fuzz seed 3902200: a vmapped `expandDims` of a captured int32 argument,
 * uploaded by a dead `step`, came out 2147483520 batched where the lanes stacked keep
 * 2147483646). tfjs's CPU forms (small host data, and any rank of 5 or more) stay as tfjs runs them.
 */
function tile(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x as Info;
    const reps = attrs?.reps as number[] | undefined;
    if (x === undefined || !exactDtype(x.dtype) || x.shape.length >= 5 || x.shape.length === 0 || reps === undefined ||
      reps.length !== x.shape.length || tfjsRunsOnCpu(backend, [x])) return original(args);
    const outShape = x.shape.map((d, k) => d * reps[k]);
    if (sizeOf(outShape) === 0) return original(args);
    return coordinateCopy(backend, x, outShape, walksOf(x.shape));
  };
}

/**
 * Exact `Reverse` (tf.reverse) of int32 and bool data: a reverse `scan` / `forLoop` over int32
 * rows (random keys) reverses its xs with it, eagerly and under jit, where each row on its own
 * is an exact slice; tfjs-webgpu's program moved int32 through f32 (195045567 became
 * 195045568). And `Reverse` of rank 5 and more of any dtype, which tfjs's program (rank 4 at
 * most) failed with "Size(n) must match the product of shape ...". tfjs-webgpu has no CPU form
 * for Reverse: it runs on the GPU for any data, as here.
 */
function reverse(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x as Info;
    if (x === undefined || x.shape.length === 0 || sizeOf(x.shape) === 0 ||
      (!exactDtype(x.dtype) && x.shape.length < 5)) return original(args);
    const flipped = tf.util.parseAxisParam(attrs!.dims as number | number[], x.shape);
    return coordinateCopy(backend, x, [...x.shape], walksOf(x.shape, flipped));
  };
}

/**
 * Exact 2-D `Transpose` (perm [1, 0]: tf.transpose of a matrix) of int32 and bool GPU data: vmap
 * moves a batch axis to the front so, where each lane is a slice read as it is (fuzz seed 5512255:
 * a vmap over the last axis of an int32 [5, 5] holding 2147483647, then floorDiv and mod, 127
 * batched where the lanes give 128). tfjs-webgpu runs a 2-D swap through its shared-tile program,
 * whose workgroup tile is `array<f32>` (2147483647 became 2147483520); its general program, every
 * other permutation, stores the element it read as the output's type (exact for int32 since
 * `fixIntegerTranspose` in ./webgpu-engine.ts), so it stays. Float32 data (a float32 cast of int32
 * keeps its int32 buffer) goes to tfjs's programs, which write an f32 output at every rank, as
 * its `Slice`, `Pack` and `Tile` do; small host data to its CPU forms (exact already).
 */
function transpose(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x as Info;
    const perm = attrs?.perm as number[] | undefined;
    if (x === undefined || !exactDtype(x.dtype) || x.shape.length !== 2 || perm?.length !== 2 || perm[0] !== 1 ||
      perm[1] !== 0 || sizeOf(x.shape) === 0 || tfjsRunsOnCpu(backend, [x])) return original(args);
    return coordinateCopy(backend, x, [x.shape[1], x.shape[0]], walksOf(x.shape, [], perm));
  };
}

/** Replaces webgpu's `Unpack`, `Pack`, `Concat`, `Slice`, `Tile`, `Reverse` and `Transpose` with the exact versions above (once). */
export function installExactInt32Kernels(): void {
  for (const [name, wrap] of [['Unpack', unpack], ['Pack', pack], ['Concat', concat], ['Slice', slice], ['Tile', tile],
    ['Reverse', reverse], ['Transpose', transpose]] as const) wrapWebgpuKernel(name, wrap);
}

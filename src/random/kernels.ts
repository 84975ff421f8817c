/**
 * The random-number kernels, registered with tfjs for every backend target whose custom
 * kernels run in JS (cpu, wasm, webgl, tensorflow) and, as WGSL programs, for those that
 * take WGSL (webgpu: webgpu-kernels.ts), so that every draw is one kernel dispatched
 * through the engine: a jit records it like any other op and replays it with the
 * key it reads from `random.DEFAULT` at each call, so the numbers never freeze.
 *
 * Keys are `int32[2]` tensors holding the uint32 bit patterns of a JAX Threefry key.
 * Each kernel reads its key with `backend.readSync` (the key is two numbers), computes
 * in JavaScript with the functions of `threefry.ts`, and writes its output with
 * `backend.write`; both are backend-generic, so one kernel function serves every backend.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError, internalError } from '../errors';
import { dispatchKernel, registerHostKernel, registerWgslKernel } from '../backend/custom-kernels';
import { webgpuShuffleKernel } from './webgpu-shuffle';
import { isOnHost } from '../backend/webgpu/webgpu-engine';
import {
  normalFromBits, randintFromBits, truncatedNormalFromBits, randomBits, splitKeys, threefry2x32, uniformFromBits,
} from './threefry';
import { shuffleIndices } from './shuffle-bits';
import { webgpuRandomKernels } from './webgpu-kernels';

import {
  THREEFRY_2X32, RANDOM_SPLIT, RANDOM_BITS, RANDOM_UNIFORM, RANDOM_NORMAL, RANDOM_TRUNCATED_NORMAL, RANDOM_INT,
  RANDOM_SHUFFLE, RANDOM_KERNEL_NAMES,
} from '../kernels/names';

export {
  THREEFRY_2X32, RANDOM_SPLIT, RANDOM_BITS, RANDOM_UNIFORM, RANDOM_NORMAL, RANDOM_TRUNCATED_NORMAL, RANDOM_INT,
  RANDOM_SHUFFLE, RANDOM_KERNEL_NAMES,
};

type Backend = tf.KernelBackend;
interface Output { values: Int32Array | Float32Array; shape: number[]; dtype: 'int32' | 'float32' }

function readKey(backend: Backend, key: tf.TensorInfo | undefined, kernel: string): [number, number] {
  if (key == null || key.dtype !== 'int32' || key.shape.length !== 1 || key.shape[0] !== 2) {
    throw new BrainStateError(`${kernel}: expected a key of shape [2] and dtype int32, got ` +
      (key == null ? 'no key' : `shape [${key.shape.join(',')}] dtype ${key.dtype}`) +
      '; make keys with random.prngKey(seed) or random.splitKey().');
  }
  const data = backend.readSync(key.dataId) as ArrayLike<number>;
  return [data[0] >>> 0, data[1] >>> 0];
}

function shapeAttr(attrs: tf.NamedAttrMap | undefined, kernel: string): number[] {
  const shape = attrs?.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
    throw internalError(`${kernel}: attr shape must be an array of non-negative integers, got ${String(shape)}`);
  }
  return shape as number[];
}

function numberAttr(attrs: tf.NamedAttrMap | undefined, name: string, kernel: string): number {
  const v = attrs?.[name];
  if (typeof v !== 'number') throw internalError(`${kernel}: attr ${name} must be a number, got ${String(v)}`);
  return v;
}

function sizeOf(shape: number[]): number {
  return tf.util.sizeFromShape(shape as number[]);
}

/** Computations of the kernels: inputs and attrs to the output values. */
const COMPUTE: Record<string, (backend: Backend, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap) => Output> = {
  [THREEFRY_2X32]: (backend, inputs) => {
    const [k0, k1] = readKey(backend, inputs.key, THREEFRY_2X32);
    const counts = inputs.counts;
    if (counts == null || counts.dtype !== 'int32') {
      throw new BrainStateError(`${THREEFRY_2X32}: expected int32 counts, got ${counts?.dtype ?? 'none'}.`);
    }
    const bits = threefry2x32(k0, k1, backend.readSync(counts.dataId) as Int32Array);
    return { values: new Int32Array(bits.buffer, bits.byteOffset, bits.length), shape: counts.shape, dtype: 'int32' };
  },
  [RANDOM_SPLIT]: (backend, inputs, attrs) => {
    const [k0, k1] = readKey(backend, inputs.key, RANDOM_SPLIT);
    const num = numberAttr(attrs, 'num', RANDOM_SPLIT);
    const keys = splitKeys(k0, k1, num, attrs.partitionable !== false);
    return { values: new Int32Array(keys.buffer), shape: [num, 2], dtype: 'int32' };
  },
  [RANDOM_BITS]: (backend, inputs, attrs) => {
    const [k0, k1] = readKey(backend, inputs.key, RANDOM_BITS);
    const shape = shapeAttr(attrs, RANDOM_BITS);
    const bits = randomBits(k0, k1, sizeOf(shape), attrs.partitionable !== false);
    return { values: new Int32Array(bits.buffer, bits.byteOffset, bits.length), shape, dtype: 'int32' };
  },
  [RANDOM_UNIFORM]: (backend, inputs, attrs) => {
    const [k0, k1] = readKey(backend, inputs.key, RANDOM_UNIFORM);
    const shape = shapeAttr(attrs, RANDOM_UNIFORM);
    const lo = numberAttr(attrs, 'minval', RANDOM_UNIFORM);
    const hi = numberAttr(attrs, 'maxval', RANDOM_UNIFORM);
    const bits = randomBits(k0, k1, sizeOf(shape), attrs.partitionable !== false);
    const out = new Float32Array(bits.length);
    for (let i = 0; i < bits.length; i++) out[i] = uniformFromBits(bits[i], lo, hi);
    return { values: out, shape, dtype: 'float32' };
  },
  [RANDOM_NORMAL]: (backend, inputs, attrs) => {
    const [k0, k1] = readKey(backend, inputs.key, RANDOM_NORMAL);
    const shape = shapeAttr(attrs, RANDOM_NORMAL);
    const bits = randomBits(k0, k1, sizeOf(shape), attrs.partitionable !== false);
    const out = new Float32Array(bits.length);
    for (let i = 0; i < bits.length; i++) out[i] = normalFromBits(bits[i]);
    return { values: out, shape, dtype: 'float32' };
  },
  [RANDOM_TRUNCATED_NORMAL]: (backend, inputs, attrs) => {
    const [k0, k1] = readKey(backend, inputs.key, RANDOM_TRUNCATED_NORMAL);
    const shape = shapeAttr(attrs, RANDOM_TRUNCATED_NORMAL);
    const lower = numberAttr(attrs, 'lower', RANDOM_TRUNCATED_NORMAL);
    const upper = numberAttr(attrs, 'upper', RANDOM_TRUNCATED_NORMAL);
    const bits = randomBits(k0, k1, sizeOf(shape), attrs.partitionable !== false);
    const out = new Float32Array(bits.length);
    for (let i = 0; i < bits.length; i++) out[i] = truncatedNormalFromBits(bits[i], lower, upper);
    return { values: out, shape, dtype: 'float32' };
  },
  [RANDOM_INT]: (backend, inputs, attrs) => {
    const [k0, k1] = readKey(backend, inputs.key, RANDOM_INT);
    const shape = shapeAttr(attrs, RANDOM_INT);
    const lo = numberAttr(attrs, 'minval', RANDOM_INT);
    const hi = numberAttr(attrs, 'maxval', RANDOM_INT);
    const partitionable = attrs.partitionable !== false;
    const size = sizeOf(shape);
    // As JAX: split the key in two, draw the high and the low word from each half.
    const halves = splitKeys(k0, k1, 2, partitionable);
    const higher = randomBits(halves[0], halves[1], size, partitionable);
    const lower = randomBits(halves[2], halves[3], size, partitionable);
    const out = new Int32Array(size);
    for (let i = 0; i < size; i++) out[i] = randintFromBits(higher[i], lower[i], lo, hi);
    return { values: out, shape, dtype: 'int32' };
  },
  [RANDOM_SHUFFLE]: (backend, inputs, attrs) => {
    const [k0, k1] = readKey(backend, inputs.key, RANDOM_SHUFFLE);
    const shape = shapeAttr(attrs, RANDOM_SHUFFLE);
    const axis = numberAttr(attrs, 'axis', RANDOM_SHUFFLE);
    if (!Number.isInteger(axis) || axis < 0 || axis >= shape.length) {
      throw internalError(`${RANDOM_SHUFFLE}: attr axis ${axis} is not an axis of shape [${shape.join(',')}]`);
    }
    return { values: shuffleIndices(k0, k1, shape, axis, attrs.partitionable !== false), shape, dtype: 'int32' };
  },
};

/**
 * Registers the random kernels for every backend target (see `backend/custom-kernels.ts`).
 * Idempotent: a kernel already registered is left alone (no warning, no throw).
 * `src/side-effects.ts` calls it once; the random ops call it again lazily.
 *
 * @example
 * ```ts
 * registerRandomKernels();
 * tf.getKernel('BrainStateRandomNormal', 'cpu') != null; // true
 * ```
 */
export function registerRandomKernels(): void {
  for (const kernelName of RANDOM_KERNEL_NAMES) {
    const compute = COMPUTE[kernelName];
    registerHostKernel(kernelName, (b, inputs, attrs) => compute(b, inputs, attrs));
  }
  // The same kernels as WGSL programs (keys stay on the GPU; see webgpu-kernels.ts).
  for (const [kernelName, impl] of webgpuRandomKernels({ threefry: THREEFRY_2X32, split: RANDOM_SPLIT,
    bits: RANDOM_BITS, uniform: RANDOM_UNIFORM, normal: RANDOM_NORMAL, truncatedNormal: RANDOM_TRUNCATED_NORMAL,
    randint: RANDOM_INT })) {
    registerWgslKernel(kernelName, kernelName === RANDOM_SPLIT ? splitOnHostWhenSmall(impl) : impl);
  }
  registerWgslKernel(RANDOM_SHUFFLE, webgpuShuffleKernel(RANDOM_SHUFFLE)); // webgpu-shuffle.ts
}

/** Splits into at most this many keys are computed on the host when the key is there (webgpu). */
const HOST_SPLIT_MAX = 32;

/**
 * The webgpu split kernel, computing on the host when the key's data is on the host and the
 * split is small, as tfjs-webgpu runs its own kernels on small host inputs: the keys are
 * bit for bit those of the WGSL program (integers), and they stay readable synchronously,
 * so code that reads a key eagerly after `random.seed` (e.g. `event.FixedProb` drawing its
 * structure) works on webgpu.
 */
function splitOnHostWhenSmall(gpu: tf.KernelFunc): tf.KernelFunc {
  const compute = COMPUTE[RANDOM_SPLIT];
  return (args) => {
    const key = args.inputs.key;
    const num = args.attrs?.num;
    if (key == null || typeof num !== 'number' || num > HOST_SPLIT_MAX || !isOnHost(args.backend, key.dataId)) return gpu(args);
    const b = args.backend as tf.KernelBackend;
    const { values, shape, dtype } = compute(b, args.inputs, args.attrs ?? {});
    return { dataId: b.write(values, shape, dtype), shape, dtype };
  };
}

let partitionable = true;

/**
 * Chooses how Threefry counters are laid out, as JAX's `jax_threefry_partitionable` flag:
 * `true` (the default, as JAX since 0.5.0) or `false` (JAX's original layout, whose
 * published test values the specs check). Changing it changes every number drawn
 * afterwards; jitted functions keep the layout they were traced with.
 *
 * @example
 * ```ts
 * bst.random.setThreefryPartitionable(false);   // numbers of JAX < 0.5
 * bst.random.setThreefryPartitionable(true);
 * ```
 */
export function setThreefryPartitionable(on: boolean): void {
  partitionable = on;
}

/**
 * Whether Threefry counters use JAX's partitionable layout (see {@link setThreefryPartitionable}).
 *
 * @example
 * ```ts
 * bst.random.threefryPartitionable(); // true
 * ```
 */
export function threefryPartitionable(): boolean {
  return partitionable;
}

let registered = false;

/** Dispatches kernel `name` through the engine, registering the kernels on first use. */
export function runRandomKernel(name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap): tf.Tensor {
  if (!registered) {
    registerRandomKernels();
    registered = true;
  }
  return dispatchKernel(name, inputs, { ...attrs, partitionable }) as tf.Tensor;
}

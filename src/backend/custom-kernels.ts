/**
 * Registering the custom kernels of brainstate-ts (random numbers, event-driven CSR
 * products) with tfjs, for every backend target that can run them, and dispatching them
 * through the engine (so a trace records them and the tape sees them). The kernels'
 * definitions (names, attributes, the math) live with their modules (`src/random/`,
 * `src/event/`); which backends get which implementation is a fact of each target
 * (./targets.ts: `customKernels`, `memory`), so no backend is named here either.
 */
import * as tf from '@tensorflow/tfjs';
import { allTargets, MemoryLoopFn, runOnBackendMemory } from './targets';
import type { OutputSpec } from './targets';
import type { TensorInfo } from './tfjs-engine';
// The targets must be registered before kernels are registered for them.
import './register-targets';

/** A kernel computed on the host from values read with `backend.readSync`; its output is written with `backend.write`. */
export type HostCompute = (backend: tf.KernelBackend, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap) =>
  { values: Int32Array | Float32Array; shape: number[]; dtype: 'int32' | 'float32' };

function register(kernelName: string, backendName: string, kernelFunc: tf.KernelFunc): void {
  if (tf.getKernel(kernelName, backendName) != null) return;
  tf.registerKernel({ kernelName, backendName, kernelFunc });
}

/**
 * Registers `compute` as kernel `kernelName` on every target whose custom kernels run in
 * JS (`customKernels: 'js'`). Idempotent.
 */
export function registerHostKernel(kernelName: string, compute: HostCompute): void {
  const kernelFunc: tf.KernelFunc = ({ inputs, backend, attrs }) => {
    const b = backend as tf.KernelBackend;
    const { values, shape, dtype } = compute(b, inputs, attrs ?? {});
    return { dataId: b.write(values, shape, dtype), shape, dtype };
  };
  for (const t of allTargets()) if (t.customKernels === 'js') register(kernelName, t.name, kernelFunc);
}

/** Registers `kernelFunc` as kernel `kernelName` on every target whose custom kernels are WGSL programs. Idempotent. */
export function registerWgslKernel(kernelName: string, kernelFunc: tf.KernelFunc): void {
  for (const t of allTargets()) if (t.customKernels === 'wgsl') register(kernelName, t.name, kernelFunc);
}

/** A memory kernel's parts, as {@link registerMemoryKernel} got them (whole-loop kernels call `loop` directly). */
export interface MemoryKernelParts {
  readonly infosOf: (inputs: tf.NamedTensorInfoMap) => TensorInfo[];
  readonly outputOf: (infos: readonly TensorInfo[], attrs: tf.NamedAttrMap) => OutputSpec;
  readonly loop: (ins: ArrayLike<number>[], out: { [i: number]: number }, infos: readonly TensorInfo[], attrs: tf.NamedAttrMap) => void;
}

const memoryKernels = new Map<string, MemoryKernelParts>();

/**
 * The parts of memory kernel `kernelName` (see {@link registerMemoryKernel}), or undefined
 * when no memory kernel has that name: the compiler's whole-loop kernels run such a
 * kernel's loop on their own buffers, with no dispatch and no allocation per step.
 */
export function memoryKernelParts(kernelName: string): MemoryKernelParts | undefined {
  return memoryKernels.get(kernelName);
}

/**
 * Registers a kernel that runs `loop` on the backend's memory (its inputs' typed arrays,
 * one freshly allocated output), on every target whose memory the jit can address.
 * `infosOf` names the inputs in order; `outputOf` gives the output's shape and dtype.
 */
export function registerMemoryKernel(kernelName: string, infosOf: (inputs: tf.NamedTensorInfoMap) => TensorInfo[],
  outputOf: (infos: readonly TensorInfo[], attrs: tf.NamedAttrMap) => OutputSpec, loop: (ins: ArrayLike<number>[],
    out: { [i: number]: number }, infos: readonly TensorInfo[], attrs: tf.NamedAttrMap) => void): void {
  if (!memoryKernels.has(kernelName)) memoryKernels.set(kernelName, { infosOf, outputOf, loop });
  for (const t of allTargets()) {
    if (t.memory === undefined) continue;
    const backendName = t.name;
    register(kernelName, backendName, ({ inputs, attrs }) => {
      const infos = infosOf(inputs);
      const a = attrs ?? {};
      const run: MemoryLoopFn = (ins, outs) => loop(ins, outs[0], infos, a);
      const [info] = runOnBackendMemory(backendName, infos, [outputOf(infos, a)], run);
      return info as tf.TensorInfo;
    });
  }
}

/**
 * Dispatches a registered kernel by name on tensors, as tfjs's own ops do (so a trace
 * records it and the tape sees it). `Engine.runKernel` is part of tfjs's typed API; it
 * is wrapped here so that every engine call sits in src/backend/.
 */
export function dispatchKernel(kernelName: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap): tf.Tensor | tf.Tensor[] {
  return tf.engine().runKernel(kernelName, inputs, attrs) as tf.Tensor | tf.Tensor[];
}

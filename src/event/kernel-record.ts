/**
 * One record per custom kernel: its name, inputs, attributes, output rule, its memory
 * loop (run on every backend whose memory the jit addresses) and its gradient,
 * registered once with tfjs (through `backend/custom-kernels.ts`).
 *
 * The event-driven kernels keep every fact about themselves in such a record so that the
 * kernel table of the coming backend refactor can take them over as they are. Every
 * implementation here runs on the backend's own memory (cpu: the backend's typed arrays;
 * wasm: views of tfjs-wasm's heap) through `runOnBackendMemory`, so a jit records the
 * kernel as one dispatch and replays it through the kernel registry.
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '../backend/tfjs-engine';
import { registerMemoryKernel } from '../backend/custom-kernels';
import { BrainStateError, internalError } from '../errors';

/** The attributes a kernel is dispatched with (plain JSON values). */
export type KernelAttrs = Readonly<Record<string, number | boolean | string>>;

/** What a kernel's output is, computed from its inputs' shapes and dtypes and its attrs. */
export interface OutputInfo {
  readonly shape: number[];
  readonly dtype: 'float32';
}

/**
 * The computation of a memory kernel: reads the inputs' flat typed arrays (in the
 * record's input order) and writes every element of `out` (on wasm `out` is not zeroed).
 */
export type MemoryLoop = (ins: ArrayLike<number>[], out: Float32Array, infos: readonly TensorInfo[],
  attrs: KernelAttrs) => void;

/** A gradient in tfjs's form: one function per input, each giving a float32 tensor of that input's shape. */
export type KernelGradFunc = (dy: tf.Tensor, saved: tf.Tensor[], attrs: KernelAttrs) => Record<string, () => tf.Tensor>;

/** Everything about one custom kernel. */
export interface CustomKernelRecord {
  /** The kernel name tfjs and the jit know it by. */
  readonly name: string;
  /** Input names, in the order the implementations read them. */
  readonly inputs: readonly string[];
  /** Attribute names (documentation, and a check at dispatch). */
  readonly attrs: readonly string[];
  /** The output's shape and dtype. */
  outputOf(inputs: readonly TensorInfo[], attrs: KernelAttrs): OutputInfo;
  /** The implementation: one loop over the backend's memory, on every backend whose memory the jit addresses. */
  readonly memoryLoop: MemoryLoop;
  /** The gradient, when the kernel is differentiable. */
  readonly gradient?: { readonly inputsToSave: readonly string[]; readonly gradFunc: KernelGradFunc };
}

const records = new Map<string, CustomKernelRecord>();

/**
 * Registers `record` with tfjs for every backend whose memory the jit addresses, and its gradient.
 * Registering the same record again does nothing; another record under a name already
 * taken is an error.
 *
 * @example
 * ```ts
 * registerCustomKernel(EVENT_CSR_MATVEC);
 * tf.getKernel('BrainStateEventCsrMatVec', 'cpu') != null;   // true
 * ```
 */
export function registerCustomKernel(record: CustomKernelRecord): void {
  const known = records.get(record.name);
  if (known !== undefined) {
    if (known === record) return;
    throw new BrainStateError(`registerCustomKernel: expected a new kernel name, got '${record.name}', which ` +
      'another record already registered; give the kernel a unique name.');
  }
  records.set(record.name, record);
  const infosOf = (inputs: tf.NamedTensorInfoMap): TensorInfo[] => record.inputs.map((n) => {
    const t = inputs[n];
    if (t == null) throw internalError(`${record.name}: input '${n}' is missing`);
    return t;
  });
  registerMemoryKernel(record.name, infosOf, (infos, attrs) => record.outputOf(infos, attrs as KernelAttrs),
    (ins, out, infos, attrs) => record.memoryLoop(ins, out as unknown as Float32Array, infos, attrs as KernelAttrs));
  const g = record.gradient;
  if (g !== undefined && tf.getGradient(record.name) == null) {
    tf.registerGradient({
      kernelName: record.name,
      inputsToSave: [...g.inputsToSave],
      gradFunc: (dy, saved, attrs) => g.gradFunc(dy as tf.Tensor, saved, (attrs ?? {}) as KernelAttrs),
    });
  }
}

/** The record registered under `name`, if any. */
export function getCustomKernel(name: string): CustomKernelRecord | undefined {
  return records.get(name);
}

/** Whether `name` has an implementation on backend `backendName` (else callers use a fallback). */
export function hasImpl(name: string, backendName: string): boolean {
  return tf.getKernel(name, backendName) != null;
}

/**
 * Forgets the records (tfjs keeps its registrations: a later `registerCustomKernel` of
 * the same records finds them there). For specs only.
 */
export function resetForTests(): void {
  records.clear();
}

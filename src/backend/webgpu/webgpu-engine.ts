/**
 * The members of tfjs-backend-webgpu's `WebGPUBackend` the jit uses, next to
 * `../tfjs-engine.ts` (which calls {@link selfTestWebGPU} from its start-up self-test):
 *
 * - `tensorMap.get(dataId).values`: whether a tensor's data is on the host (tfjs-webgpu
 *   keeps data made from JS values, and results of small ops it forwards to its CPU
 *   kernels, on the host until a GPU kernel needs them). Only host data can be read
 *   synchronously in Node: tfjs-webgpu's `readSync` of GPU data needs `OffscreenCanvas`.
 *   With `write` (the `KernelBackend` member): a host copy that uploads nothing ({@link hostCopy}).
 * - `readToGPU(dataId)` (what `Tensor.dataToGPU` calls): a copy on the GPU, as a new tensor.
 * - `runWebGPUProgram(program, inputs, dtype, uniforms)`: runs a WGSL compute program.
 *   Wrapped once to count dispatches (see {@link countDispatches}) and to mend the int32
 *   transpose program (see `fixIntegerTranspose`).
 * - `ensureCommandEncoderReady / endComputePassEncoder / submitQueue` and `device.queue`:
 *   to submit what tfjs batches and wait for the GPU (see {@link gpuIdle}).
 * - `recordAndSubmit`, `dispatchCountInPass`, `computePassEncoder`, `commandEncoder`,
 *   `activeTimers`, `device.createBindGroup / createBuffer`: replaced by ./record-cache.ts,
 *   which records a dispatch as tfjs does but keeps its uniform buffer and bind group for
 *   the next dispatch that binds the same (a jitted program's replay, call after call).
 * - `uploadToGPU`, `bufferManager.acquireBuffer`, `queue.writeBuffer`: host data is uploaded
 *   through the queue by ./queue-upload.ts (no staging buffer, no pass ended per upload).
 * - `makeTensorInfo`, `uploadToGPU`, `tensorMap.get(dataId).resource / .dtype`,
 *   `commandEncoder.copyBufferToBuffer` and `commandQueueOwnedIds`: a fused kernel with
 *   several outputs writes them into one buffer in one dispatch, then copies each into its
 *   own tensor on the GPU (see {@link copyElements}); `resource` also says whether data is
 *   on the GPU yet, and `dtype` which array type the buffer holds.
 */
import type * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { BackendError, BrainStateError } from '../../errors';
import { installQueueUpload, UploadingBackend } from './queue-upload';
import { installRecordCache, RecordingBackend } from './record-cache';

/** A tensor info as kernels take and return it. */
interface Info {
  readonly dataId: object;
  readonly shape: number[];
  readonly dtype: tf.DataType;
}

/** A uniform of a WGSL program: its WGSL type (`i32`, `u32`, `f32`) and values. */
export interface ProgramUniform {
  readonly type: 'int32' | 'uint32' | 'float32';
  readonly data: number[];
}

interface WebGPUBackendPrivate {
  device: { queue: { onSubmittedWorkDone(): Promise<void> } };
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  tensorMap: { get(dataId: object): { values: unknown; resource: unknown; dtype: tf.DataType } | undefined };
  makeTensorInfo(shape: number[], dtype: tf.DataType): Info;
  write(values: ArrayLike<number>, shape: number[], dtype: tf.DataType): object;
  uploadToGPU(dataId: object): void;
  commandEncoder: { copyBufferToBuffer(src: unknown, srcOffset: number, dst: unknown, dstOffset: number, size: number): void };
  commandQueueOwnedIds: { add(dataId: object): void };
  readToGPU(dataId: object): { tensorRef: tf.Tensor; buffer: unknown };
  runWebGPUProgram(program: WebGPUProgram, inputs: Info[], outputDtype: tf.DataType,
    uniforms?: ProgramUniform[], output?: Info): Info;
}

/** Dispatches counted since the wrapper was installed (see {@link countDispatches}). */
let dispatches = 0;
const COUNTED = Symbol('brainstate.countsDispatches');

function fail(what: string): never {
  throw new BrainStateError(`brainstate-ts: this version of @tensorflow/tfjs-backend-webgpu lacks ${what}, which the ` +
    'jit needs on webgpu. brainstate-ts supports @tensorflow/tfjs-backend-webgpu 4.22.0; install that version.');
}

/** Whether `backend` is tfjs-backend-webgpu's (duck-typed: bundles can hold two copies of a class). */
export function isWebGPUBackend(backend: unknown): boolean {
  return backend != null && typeof (backend as WebGPUBackendPrivate).runWebGPUProgram === 'function' &&
    typeof (backend as WebGPUBackendPrivate).readToGPU === 'function';
}

/** Checks the members above on a started webgpu backend and installs the dispatch counter. */
export function selfTestWebGPU(backend: unknown): void {
  const b = backend as WebGPUBackendPrivate;
  if (!isWebGPUBackend(b)) fail('WebGPUBackend.runWebGPUProgram() / readToGPU()');
  if (b.tensorMap == null || typeof b.tensorMap.get !== 'function') fail('WebGPUBackend.tensorMap');
  for (const m of ['ensureCommandEncoderReady', 'endComputePassEncoder', 'submitQueue', 'makeTensorInfo', 'uploadToGPU'] as const) {
    if (typeof b[m] !== 'function') fail(`WebGPUBackend.${m}()`);
  }
  if (typeof b.device?.queue?.onSubmittedWorkDone !== 'function') fail('WebGPUBackend.device.queue');
  if (typeof b.commandQueueOwnedIds?.add !== 'function') fail('WebGPUBackend.commandQueueOwnedIds');
  b.ensureCommandEncoderReady();
  if (typeof b.commandEncoder?.copyBufferToBuffer !== 'function') fail('WebGPUBackend.commandEncoder.copyBufferToBuffer()');
  // A buffer made, uploaded and described as copyElements reads it.
  const probe = b.makeTensorInfo([4], 'int32');
  b.uploadToGPU(probe.dataId);
  const data = b.tensorMap.get(probe.dataId);
  const ok = data !== undefined && data.resource != null && data.dtype === 'int32';
  (b as unknown as { disposeData(id: object): void }).disposeData(probe.dataId);
  if (!ok) fail('WebGPUBackend.tensorMap entries with resource and dtype');
  const rec = b as unknown as Partial<RecordingBackend>;
  if (typeof rec.recordAndSubmit !== 'function' || typeof rec.dispatchCountInPass !== 'number' ||
    !('computePassEncoder' in b) || typeof rec.device?.createBindGroup !== 'function') {
    fail('WebGPUBackend.recordAndSubmit() / dispatchCountInPass / computePassEncoder');
  }
  installRecordCache(b as unknown as RecordingBackend);
  const up = b as unknown as Partial<UploadingBackend>;
  if (typeof up.bufferManager?.acquireBuffer !== 'function' || typeof up.queue?.writeBuffer !== 'function') {
    fail('WebGPUBackend.bufferManager.acquireBuffer() / queue.writeBuffer()');
  }
  installQueueUpload(b as unknown as UploadingBackend);
  const own = b as unknown as Record<PropertyKey, unknown>;
  if (own[COUNTED] !== true) {
    const run = b.runWebGPUProgram;
    b.runWebGPUProgram = function (this: WebGPUBackendPrivate, ...args) {
      dispatches++;
      fixIntegerTranspose(args[0], args[2]);
      return run.apply(this, args);
    };
    own[COUNTED] = true;
  }
}

/** The store of tfjs-webgpu 4.22's TransposeProgram: an element of A, as A's buffer holds it, into an f32 parameter. */
const TRANSPOSE_STORE = /setOutputAtIndex\(flatIndex, (A\[getIndexFromCoords\dD\([^;]*, uniforms\.aShape\)\])\);/;

/**
 * tfjs-webgpu 4.22's general `TransposeProgram` (any permutation but a 2-D swap) does not
 * compile when its input's buffer holds int32 (int32 and bool data, and a float32 cast of
 * int32 data, which keeps the int32 buffer): it passes the `i32` element to
 * `setOutputAtIndex`, which takes `f32`. The failed pipeline is cached, its output keeps
 * whatever the buffer pool held, and the submit that holds it fails, so kernels batched
 * with it compute nothing either (fuzz seed 931472: `tf.round(x)` uploads an int32 `x`,
 * then `tf.transpose(x)`, and every reduction over a non-inner axis of such data, which
 * transposes first, read garbage). The program is patched as it is run: the element is
 * converted to the output's type (exact for int32 to int32; as tfjs's other programs read
 * an int32 buffer for a float32 output), which leaves float32 data's code as it was.
 */
function fixIntegerTranspose(program: WebGPUProgram, dtype: tf.DataType): void {
  if (!program.shaderKey.startsWith('transpose_') || program.variableNames.join() !== 'A') return;
  const store = dtype === 'float32' ? 'setOutputAtIndex(flatIndex, f32($1));' : 'setOutputAtIndexI32(flatIndex, i32($1));';
  const code = program.getUserCode.bind(program);
  program.getUserCode = () => code().replace(TRANSPOSE_STORE, store);
}

/** True when `dataId`'s values are on the host (synchronously readable), false when only on the GPU. */
export function isOnHost(backend: unknown, dataId: object): boolean {
  const d = (backend as WebGPUBackendPrivate).tensorMap.get(dataId);
  return d === undefined || d.values != null; // unknown (disposed) data: let tfjs report it
}

/**
 * The array tfjs-webgpu holds `dataId`'s values in while they are on the host, as it holds
 * it (its CPU kernels can leave a Float32Array behind int32 data: |-2^31| is 2147483648
 * there), or undefined once they are on the GPU only.
 */
export function hostValues(backend: unknown, dataId: object): ArrayLike<number> | undefined {
  const v = (backend as WebGPUBackendPrivate).tensorMap.get(dataId)?.values;
  return v != null && ArrayBuffer.isView(v) ? v as unknown as ArrayLike<number> : undefined;
}

/** True when `dataId`'s data has a GPU buffer (uploaded, or written by a program). */
export function isOnDevice(backend: unknown, dataId: object): boolean {
  return (backend as WebGPUBackendPrivate).tensorMap.get(dataId)?.resource != null;
}

/** The dtype of the buffer behind `dataId` (a float32 cast of int32 data keeps the int32 buffer). */
export function storageDtype(backend: unknown, dataId: object): tf.DataType | undefined {
  return (backend as WebGPUBackendPrivate).tensorMap.get(dataId)?.dtype;
}

/**
 * A new tensor of `shape` / `dtype` holding `size(shape)` elements of `src`'s buffer from
 * element `offset`, copied on the GPU (a buffer copy in tfjs's command encoder, not a
 * dispatch). The caller owns one reference.
 */
export function copyElements(backend: unknown, src: Info, offset: number, shape: number[], dtype: tf.DataType): Info {
  const b = backend as WebGPUBackendPrivate;
  const out = b.makeTensorInfo(shape, dtype);
  const n = shape.reduce((x, y) => x * y, 1);
  if (n === 0) return out;
  b.uploadToGPU(out.dataId);
  b.uploadToGPU(src.dataId);
  const from = b.tensorMap.get(src.dataId)!.resource;
  const to = b.tensorMap.get(out.dataId)!.resource;
  b.ensureCommandEncoderReady();
  b.endComputePassEncoder();
  b.commandEncoder.copyBufferToBuffer(from, offset * 4, to, 0, n * 4);
  // Both buffers stay owned by the queued commands until submitted (as runWebGPUProgram marks its own).
  b.commandQueueOwnedIds.add(src.dataId);
  b.commandQueueOwnedIds.add(out.dataId);
  return out;
}

/** A new tensor of `shape` / `dtype` with no data written (a product with no elements). */
export function newTensorInfo(backend: unknown, shape: number[], dtype: tf.DataType): Info {
  return (backend as WebGPUBackendPrivate).makeTensorInfo(shape, dtype);
}

/**
 * Moves `dataId`'s host values into a GPU buffer now (tfjs-webgpu otherwise keeps them on
 * the host until a GPU program reads them, and runs small kernels on its CPU kernels
 * meanwhile). Specs and benchmarks use it to put inputs where steady-state data lives.
 */
export function uploadToGpu(backend: unknown, dataId: object): void {
  (backend as WebGPUBackendPrivate).uploadToGPU(dataId);
}

/** Whether this environment can read GPU data synchronously at all (browsers: through OffscreenCanvas). */
export function canReadGpuSync(): boolean {
  return typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas !== 'undefined';
}

/**
 * New host data holding `t`'s values as tfjs-webgpu stores them (same array type and storage
 * dtype: a float32 cast of int32 data keeps int32 storage), when `t`'s data is on the host
 * only; undefined once it has a GPU buffer. The caller owns one reference. No kernel reads
 * `t`, so nothing is uploaded.
 */
export function hostCopy(backend: unknown, t: Info): Info | undefined {
  const b = backend as WebGPUBackendPrivate;
  const d = b.tensorMap.get(t.dataId);
  if (d === undefined || d.resource != null || d.values == null || !ArrayBuffer.isView(d.values)) return undefined;
  const values = (d.values as unknown as Float32Array).slice();
  return { dataId: b.write(values, t.shape.slice(), d.dtype), shape: t.shape.slice(), dtype: t.dtype };
}

/** A new tensor with a copy of `t`'s GPU data, made on the GPU; undefined when `t`'s data is on the host. */
export function copyOnGpu(backend: unknown, t: Info): tf.Tensor | undefined {
  const b = backend as WebGPUBackendPrivate;
  if (isOnHost(b, t.dataId)) return undefined;
  return b.readToGPU(t.dataId).tensorRef;
}

/**
 * Runs a WGSL compute `program` on `inputs`; the output info holds one reference the caller
 * owns. With `output`, writes into that tensor's buffer instead of a new one.
 */
export function runProgram(backend: unknown, program: WebGPUProgram, inputs: Info[], outputDtype: tf.DataType,
  uniforms?: ProgramUniform[], output?: Info): Info {
  const b = backend as WebGPUBackendPrivate;
  if (output !== undefined) {
    // tfjs-webgpu keeps the values a read downloaded (`values` beside the GPU `resource`) and
    // answers later reads from them: a program writing into the buffer must drop that copy,
    // or the data reads as it was before (fuzz seed 1008217: a state updated in place after
    // the caller had read it kept its old values). Data with no buffer yet is uploaded first.
    const d = b.tensorMap.get(output.dataId);
    if (d !== undefined && d.resource != null) d.values = null;
  }
  return b.runWebGPUProgram(program, inputs, outputDtype, uniforms, output);
}

/**
 * The number of GPU programs dispatched while `fn` runs (kernels tfjs-webgpu forwards to
 * its CPU kernels for small host inputs dispatch none).
 */
export function countDispatches<R>(fn: () => R): { result: R; dispatches: number } {
  const before = dispatches;
  const result = fn();
  return { result, dispatches: dispatches - before };
}

/** The error for a synchronous read of GPU data where none is possible (Node). */
export function syncReadError(method: string): BackendError {
  return new BackendError(`${method}: the webgpu backend cannot read GPU data synchronously here (tfjs-backend-webgpu ` +
    'reads it through OffscreenCanvas, which only browsers have). Read it with await t.data() / await t.array(), ' +
    "or run on the wasm or cpu backend (bst.backend.init('wasm')).");
}

/**
 * Submits the dispatches tfjs-webgpu still batches and resolves when the GPU has run
 * everything submitted: GPU work is asynchronous, so a loop of calls returns long
 * before the GPU finishes it (on SwiftShader, by minutes).
 */
export async function gpuIdle(backend: unknown): Promise<void> {
  const b = backend as WebGPUBackendPrivate;
  b.ensureCommandEncoderReady();
  b.endComputePassEncoder();
  b.submitQueue();
  await b.device.queue.onSubmittedWorkDone();
}

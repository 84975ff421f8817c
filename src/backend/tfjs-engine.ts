/**
 * The one module that touches tfjs's private engine and backend members.
 *
 * The jit records kernels as tfjs dispatches them, guards value reads while tracing,
 * and replays kernels straight through the kernel registry on tensor infos. All of
 * that needs members tfjs does not export as API; they live here, behind a self-test
 * that runs once before first use, so a tfjs upgrade touches only this file.
 *
 * Members used here (stable from tfjs 4.0 to 4.22), all checked by the self-test that
 * runs when a backend starts: `engine.runKernelFunc`, `engine.makeTensor`,
 * `engine.makeTensorFromTensorInfo`, `engine.isTapeOn`, `engine.state.scopeStack`,
 * `engine.state.activeTape` / `gradientDepth` and `engine.gradients` (./tfjs-tape.ts),
 * `engine.backend`, `backend.incRef / disposeData / readSync / write / numDataIds /
 * refCount`, `tf.getKernel(...).kernelFunc`, and the value-reading methods of
 * `Tensor.prototype`; on cpu `backend.data.get` (copyTensor, storedValues).
 *
 * Each backend folder holds the private members of its own backend, with its own
 * self-test (run by `backend.init` right after this one): `./cpu/memory.ts` (`data.get`,
 * `makeTensorInfo`), `./wasm/memory.ts` (`dataIdMap`, `makeOutput`, `typedArrayFromHeap`,
 * the module exports `_dispose_data` / `_register_tensor`), `./webgpu/webgpu-engine.ts`.
 * No file outside src/backend/ touches a private tfjs member
 * (spec/architecture/tfjs-internals.spec.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { BackendError, BrainStateError, InternalError } from '../errors';
import { selfTestTape } from './tfjs-tape';
import { canReadSync, recordHostConstant } from './webgpu/host-reads';

export {
  backendIdle, canReadSync, freshHostConstant, hostConstant, isFreshHostData, readHeld, recordHostResult,
} from './webgpu/host-reads';
export { readFirst, readsAreAsync } from './webgpu/host-reads';
export type { HostConstant } from './webgpu/host-reads';
import {
  canReadGpuSync, copyOnGpu, hostCopy, isOnDevice as isOnDeviceIn, isOnHost, isWebGPUBackend, selfTestWebGPU, syncReadError, uploadToGpu,
} from './webgpu/webgpu-engine';

/** The tfjs versions this adapter was written and tested against. */
export const SUPPORTED_TFJS = '4.x (tested with 4.22.0)';

/** A tensor info as kernels take and return it. */
export interface TensorInfo {
  readonly dataId: object;
  readonly shape: number[];
  readonly dtype: tf.DataType;
}

/** What a registered kernel function returns (backends return infos; tfjs-node may return tensors). */
export type KernelOutput = TensorInfo | TensorInfo[];

/** A kernel's `kernelFunc`, called on tensor infos. */
export type KernelFunc = (params: {
  inputs: Record<string, TensorInfo> | TensorInfo[];
  backend: KernelBackendLike;
  attrs: Record<string, unknown>;
}) => KernelOutput;

/** The parts of a tfjs `KernelBackend` the jit uses. */
export interface KernelBackendLike {
  incRef(dataId: object): void;
  disposeData(dataId: object, force?: boolean): boolean;
  readSync(dataId: object): ArrayLike<number> | Uint8Array[];
  write(values: ArrayLike<number> | Uint8Array[], shape: number[], dtype: tf.DataType): object;
  numDataIds(): number;
}

/** What a kernel dispatch looks like to the recording hook. */
export interface KernelInvocation {
  readonly kernelName: string;
  readonly inputs: Record<string, tf.Tensor | null | undefined> | (tf.Tensor | null | undefined)[];
  readonly attrs: Record<string, unknown> | undefined;
}

/** The tensors a kernel dispatch names, in order (tfjs passes them as a list or by name). */
export function invocationInputList(inputs: KernelInvocation['inputs']): (tf.Tensor | null | undefined)[] {
  return Array.isArray(inputs) ? inputs : Object.values(inputs);
}

/**
 * `inputs` with each tensor passed through `swap`, in the same form (list or by name); undefined
 * where `swap` returned every tensor as it was, so a listener can say "the caller's inputs".
 */
export function swapInvocationInputs(inputs: KernelInvocation['inputs'],
  swap: (t: tf.Tensor | null | undefined) => tf.Tensor | null | undefined): KernelInvocation['inputs'] | undefined {
  let changed = false;
  const one = (t: tf.Tensor | null | undefined): tf.Tensor | null | undefined => {
    const s = swap(t);
    if (s !== t) changed = true;
    return s;
  };
  let out: KernelInvocation['inputs'];
  if (Array.isArray(inputs)) out = inputs.map(one);
  else {
    const named: Record<string, tf.Tensor | null | undefined> = {};
    for (const [k, t] of Object.entries(inputs)) named[k] = one(t);
    out = named;
  }
  return changed ? out : undefined;
}

/** Notified of kernels and tensor creation while a trace is being recorded. */
export interface EngineListener {
  /** An outermost registered kernel has run (`invocation` names the inputs as the caller passed them). */
  onKernel(invocation: KernelInvocation, outputs: tf.Tensor[]): void;
  /**
   * The inputs an outermost registered kernel runs on, when they are to be others than the
   * caller passed (copies of the same values); undefined: those passed.
   */
  inputsFor?(invocation: KernelInvocation): KernelInvocation['inputs'] | undefined;
  /**
   * An `Identity` kernel ran inside another kernel: the engine cloning a tensor to
   * save it for the backward pass. On some backends (wasm) the clone is a copy with a
   * new data id, so it must be bound to the value of its input.
   */
  onNestedIdentity(input: tf.Tensor, output: tf.Tensor): void;
  /** A tensor is being made from JS values (a constant, or a tfjs random op's buffer). */
  onMakeTensor(scopeNames: readonly string[]): void;
  /** That tensor was made (after {@link onMakeTensor}). */
  onMadeTensor?(t: tf.Tensor): void;
  /** A tensor's value is being read in JS; `method` is the public method called. */
  onRead(tensor: tf.Tensor, method: string): void;
}

interface EnginePrivate {
  runKernelFunc(params: { kernelName?: string; inputs: unknown; attrs?: unknown; forwardFunc?: unknown }): unknown;
  makeTensor(values: unknown, shape: number[], dtype: tf.DataType, backend?: unknown): tf.Tensor;
  makeTensorFromTensorInfo(info: TensorInfo, backend?: unknown): tf.Tensor;
  backend: KernelBackendLike;
  backendName: string;
  state: { scopeStack: { name: string }[]; gradientDepth: number };
  isTapeOn(): boolean;
}

/** Tensor methods that read values into JS; each is guarded while tracing. */
const READ_METHODS = ['dataSync', 'data', 'array', 'arraySync', 'bytes', 'buffer', 'bufferSync', 'print',
  'dataToGPU'] as const;
/** Of those, the ones that read synchronously (impossible for GPU data on webgpu in Node). */
const SYNC_READ_METHODS: readonly string[] = ['dataSync', 'arraySync', 'bufferSync', 'print'];

let engine: EnginePrivate | undefined;
let listener: EngineListener | undefined;
/** > 0 while an outermost recorded kernel runs: kernels it dispatches itself are not recorded. */
let kernelDepth = 0;
/** > 0 while the hooks must let everything through (the jit's own bookkeeping). */
let paused = 0;

function fail(what: string): never {
  throw new BrainStateError(`brainstate-ts: this version of @tensorflow/tfjs (${tf.version_core}) lacks ${what}, ` +
    `which the jit needs. brainstate-ts supports @tensorflow/tfjs ${SUPPORTED_TFJS}; install that version.`);
}

/** Checks every private member the jit relies on, then installs the hooks (once). */
function ensureInstalled(): EnginePrivate {
  if (engine !== undefined) return engine;
  const e = tf.engine() as unknown as EnginePrivate;
  for (const m of ['runKernelFunc', 'makeTensor', 'makeTensorFromTensorInfo', 'isTapeOn'] as const) {
    if (typeof e[m] !== 'function') fail(`engine.${m}()`);
  }
  if (e.state == null || !Array.isArray(e.state.scopeStack)) fail('engine.state.scopeStack');
  if (typeof tf.getKernel !== 'function') fail('tf.getKernel()');
  for (const m of READ_METHODS) {
    if (typeof (tf.Tensor.prototype as unknown as Record<string, unknown>)[m] !== 'function') fail(`Tensor.${m}()`);
  }

  const runKernelFunc = e.runKernelFunc;
  e.runKernelFunc = function (this: EnginePrivate, params) {
    const l = listener;
    // Custom-gradient ops (no kernelName) are transparent: their inner kernels are recorded.
    if (l === undefined || paused > 0 || params.kernelName == null) return runKernelFunc.call(this, params);
    if (kernelDepth > 0) {
      const out = runKernelFunc.call(this, params);
      if (params.kernelName === 'Identity') {
        l.onNestedIdentity((params.inputs as { x: tf.Tensor }).x, out as tf.Tensor);
      }
      return out;
    }
    kernelDepth++;
    let out: unknown;
    try {
      const inputs = l.inputsFor?.(params as KernelInvocation);
      out = runKernelFunc.call(this, inputs === undefined ? params : { ...params, inputs });
    } finally {
      kernelDepth--;
    }
    l.onKernel(params as KernelInvocation, Array.isArray(out) ? (out as tf.Tensor[]) : [out as tf.Tensor]);
    return out;
  };

  const makeTensor = e.makeTensor;
  e.makeTensor = function (this: EnginePrivate, values, shape, dtype, backend) {
    const l = listener;
    const recording = l !== undefined && paused === 0;
    if (recording) l.onMakeTensor(this.state.scopeStack.map((s) => s.name));
    const t = makeTensor.call(this, values, shape, dtype, backend);
    if (recording && ArrayBuffer.isView(values)) recordHostConstant(t.dataId, values as unknown as ArrayLike<number>);
    if (recording) l.onMadeTensor?.(t);
    return t;
  };

  const proto = tf.Tensor.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const m of READ_METHODS) {
    const original = proto[m];
    const sync = SYNC_READ_METHODS.includes(m);
    proto[m] = function (this: tf.Tensor, ...args: unknown[]) {
      const l = listener;
      if (l !== undefined && paused === 0) l.onRead(this, m);
      if (sync && !this.isDisposed && !canReadSync(this)) throw syncReadError(`Tensor.${m}()`);
      return original.apply(this, args);
    };
  }

  engine = e;
  selfTest(e);
  selfTested.add(tf.getBackend());
  return e;
}

/**
 * Runs a kernel through the registry on tensor infos and checks the result, once at
 * start-up. The result is read synchronously only where that is possible: on webgpu in
 * Node it is checked when tfjs-webgpu ran the tiny Add on its CPU kernels (it does for
 * host inputs this small), else by shape and dtype only.
 */
function selfTest(e: EnginePrivate): void {
  const kernel = tf.getKernel('Add', tf.getBackend());
  if (kernel == null) fail(`a registered 'Add' kernel for backend '${tf.getBackend()}'`);
  if (isWebGPUBackend(e.backend)) selfTestWebGPU(e.backend);
  const a = tf.tensor1d([1, 2]);
  try {
    const out = kernel.kernelFunc({ inputs: { a, b: a }, backend: e.backend as never, attrs: {} }) as TensorInfo;
    const t = e.makeTensorFromTensorInfo(out);
    try {
      if (t.dtype !== 'float32' || t.shape.length !== 1 || t.shape[0] !== 2) fail('kernel replay through tf.getKernel(...).kernelFunc');
      if (canReadSync(t)) {
        const v = t.dataSync();
        if (v[0] !== 2 || v[1] !== 4) fail('kernel replay through tf.getKernel(...).kernelFunc');
      }
    } finally {
      t.dispose();
    }
  } finally {
    a.dispose();
  }
  for (const m of ['incRef', 'disposeData', 'readSync', 'write', 'numDataIds'] as const) {
    if (typeof e.backend[m] !== 'function') fail(`backend.${m}()`);
  }
  selfTestTape();
  // reuseFor (in-place updates) reads reference counts on the backends that write in place.
  const withRefs = e.backend as unknown as { refCount?: unknown };
  if (withRefs.refCount !== undefined && typeof withRefs.refCount !== 'function') fail('backend.refCount()');
}

/** Backends the self-test has run on. */
const selfTested = new Set<string>();

/**
 * Installs the hooks and runs the self-test on the current backend if it has not run
 * there yet. `backend.init` calls it, so members are checked (and webgpu's sync-read
 * errors are clear) from the start, whichever backend came first.
 */
export function installEngineHooks(): void {
  const e = ensureInstalled();
  if (!selfTested.has(tf.getBackend())) {
    selfTest(e);
    selfTested.add(tf.getBackend());
  }
}

const listenerStack: EngineListener[] = [];

/**
 * Makes the recording hooks report to `l` until {@link stopListening}. Listeners nest:
 * a loop body traced inside a jitted function records into its own program.
 */
export function startListening(l: EngineListener): void {
  ensureInstalled();
  if (kernelDepth !== 0) throw new InternalError('a trace cannot start inside a kernel');
  if (listener !== undefined) listenerStack.push(listener);
  listener = l;
}

/** Stops reporting to the current listener (the enclosing one, if any, resumes). */
export function stopListening(): void {
  listener = listenerStack.pop();
}

/** The listener now recording, if any. */
export function currentListener(): EngineListener | undefined {
  return listener;
}

/** Runs `fn` with the hooks silent (for the jit's own tensor bookkeeping during a trace). */
export function unrecorded<R>(fn: () => R): R {
  paused++;
  try {
    return fn();
  } finally {
    paused--;
  }
}

/** The engine, with the hooks installed. */
function eng(): EnginePrivate {
  return engine ?? ensureInstalled();
}

/** The current backend, as kernels receive it. */
export function currentBackend(): KernelBackendLike {
  return eng().backend;
}

/** The registered kernel function for `kernelName` on the current backend, or undefined. */
export function lookupKernel(kernelName: string, backendName: string): KernelFunc | undefined {
  const k = tf.getKernel(kernelName, backendName);
  return k == null ? undefined : (k.kernelFunc as unknown as KernelFunc);
}

/** Wraps a kernel output info (one backend reference) in a tracked tensor the caller owns. */
export function tensorFromInfo(info: TensorInfo): tf.Tensor {
  if ((info as unknown as tf.Tensor).rank != null && info instanceof tf.Tensor) return info; // tfjs-node kernels
  return eng().makeTensorFromTensorInfo(info);
}

/** A new tensor object sharing `t`'s data, holding its own backend reference. */
export function aliasTensor(t: TensorInfo): tf.Tensor {
  const e = eng();
  e.backend.incRef(t.dataId);
  return e.makeTensorFromTensorInfo({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
}

/**
 * Moves `t`'s data to the device where the backend has one apart from the host (webgpu:
 * uploaded, as its first GPU kernel would); elsewhere nothing. Returns `t`.
 */
export function placeOnDevice<T extends TensorInfo>(t: T): T {
  const b = eng().backend;
  if (isWebGPUBackend(b)) uploadToGpu(b, t.dataId);
  return t;
}

/** Whether `t`'s data is on a device apart from the host (webgpu: uploaded); false elsewhere. */
export function isOnDevice(t: TensorInfo): boolean {
  const b = eng().backend;
  return isWebGPUBackend(b) && isOnDeviceIn(b, t.dataId);
}

/**
 * New data holding `t`'s values where `t` is host data of a backend that also has a device
 * (webgpu, before any GPU kernel uploaded it): a copy no kernel reads `t` for, so `t` stays on
 * the host. Undefined elsewhere (device data, or cpu and wasm, which upload nothing). The
 * caller owns one reference.
 */
export function hostDataCopy(t: TensorInfo): TensorInfo | undefined {
  const b = eng().backend;
  return isWebGPUBackend(b) ? hostCopy(b, t) : undefined;
}

/** New int32 data holding `values` (a vector; host data on webgpu until a kernel reads it). The caller owns it. */
export function hostInt32s(values: readonly number[]): TensorInfo {
  return { dataId: eng().backend.write(Int32Array.from(values), [values.length], 'int32'), shape: [values.length], dtype: 'int32' };
}

/** `t`'s values read on the host, where that needs no device read (webgpu: host data only); else undefined. */
export function readHostInt32s(t: TensorInfo): number[] | undefined {
  const b = eng().backend;
  if (isWebGPUBackend(b) && !isOnHost(b, t.dataId)) return undefined;
  return Array.from(b.readSync(t.dataId) as ArrayLike<number>);
}

/** Adds one backend reference to `info`'s data (to hand the same data out twice). */
export function incRef(info: TensorInfo): void {
  eng().backend.incRef(info.dataId);
}

/** Drops the backend reference a kernel output info holds. */
export function disposeInfo(info: TensorInfo): void {
  if (info instanceof tf.Tensor) {
    info.dispose();
    return;
  }
  eng().backend.disposeData(info.dataId);
}

/**
 * A tensor with a copy of `t`'s data under a new data id (so aliases stay distinguishable).
 * On cpu the copy keeps the stored array and its recorded dtype as they are: a float32
 * cast of an int32 shares an Int32Array recorded as int32 (its values beyond 2^24 stay
 * exact, and dataSync() returns them exact), and int32 `square` keeps a Float32Array;
 * `readSync` would convert both.
 * On webgpu, GPU data is copied on the GPU (never read back).
 */
export function copyTensor(t: tf.Tensor): tf.Tensor {
  return unrecorded(() => {
    if (t.dtype === 'complex64') {
      // Backends keep complex data as two float32 parts (cpu: `complexTensorInfos`), which a
      // raw read/write of interleaved values does not rebuild: copy through the parts instead.
      return tf.tidy(() => tf.complex(tf.real(t), tf.imag(t)));
    }
    const e = eng();
    if (isWebGPUBackend(e.backend)) {
      const copy = copyOnGpu(e.backend, t);
      if (copy !== undefined) {
        // The copy has the shape the data was made with; `t` may be a reshape of it.
        e.backend.incRef(copy.dataId);
        copy.dispose();
        return e.makeTensorFromTensorInfo({ dataId: copy.dataId, shape: t.shape.slice(), dtype: t.dtype });
      }
    }
    const cpu = e.backend as unknown as Partial<CpuBackendPrivate>;
    let values: ArrayLike<number> | Uint8Array[];
    let stored: tf.DataType = t.dtype;
    const entry = tf.getBackend() === 'cpu' && cpu.data !== undefined ? cpu.data.get(t.dataId) : undefined;
    if (entry !== undefined && ArrayBuffer.isView(entry.values)) {
      values = (entry.values as unknown as Float32Array).slice();
      stored = entry.dtype ?? t.dtype;
    } else {
      values = e.backend.readSync(t.dataId);
    }
    const dataId = e.backend.write(values, t.shape.slice(), stored);
    return e.makeTensorFromTensorInfo({ dataId, shape: t.shape.slice(), dtype: t.dtype });
  });
}

/**
 * True while tfjs records a gradient tape (inside tf.grads and friends): kernels run
 * outside the engine would be invisible to it, so jitted functions run eagerly then.
 */
export function isTapeOn(): boolean {
  return eng().isTapeOn();
}

/**
 * The values kernels read for `t`, as stored. On cpu that is the backend's own array,
 * which can differ from `dataSync()`: tfjs-cpu keeps an int32 `square` in a Float32Array
 * (dataSync wraps it to int32; kernels compare the unwrapped value) and a float32 cast of
 * an int32 in the Int32Array (dataSync rounds it to float32).
 */
export function storedValues(t: tf.Tensor): ArrayLike<number> {
  const b = eng().backend as unknown as Partial<CpuBackendPrivate>;
  if (tf.getBackend() === 'cpu' && b.data !== undefined) return b.data.get(t.dataId).values;
  return t.dataSync() as ArrayLike<number>;
}

/**
 * The first element of a tensor info's data, read on the host (a loop's or branch's
 * predicate). On webgpu in Node a predicate that lives on the GPU cannot be read
 * synchronously: that is a {@link BackendError} naming the way out.
 */
export function readScalar(info: TensorInfo): number {
  const b = eng().backend;
  if (isWebGPUBackend(b) && !canReadGpuSync() && !isOnHost(b, info.dataId)) {
    throw new BackendError('transform.whileLoop / transform.cond / transform.switch / a checked transform.ifelse in a ' +
      'jitted or vmapped call: the predicate is on the GPU, and the webgpu backend cannot read GPU data synchronously ' +
      'here (Node). Call it with await jitted.callAsync(...args) (a vmapped function: await vmapped.callAsync(...args); ' +
      'a @jit method: await jitted(obj.method).callAsync(...args)), which awaits each predicate; or loop a fixed number of times with ' +
      'transform.forLoop / scan, select with tf.where, or run on the wasm or cpu backend.');
  }
  return Number((b.readSync(info.dataId) as ArrayLike<number>)[0]);
}
/**
 * Which input's buffer each output may be written into (-1: none), and a check that the
 * input's data is dead after this kernel apart from the one state that will let it go.
 */
export interface OutputReuse {
  readonly inputOf: readonly number[];
  canReuse(input: TensorInfo): boolean;
}

/**
 * For each output, a new reference to the input buffer it reuses, when that is safe now.
 * `storageFits(k, dtype)` says whether input k's storage can hold the output's values.
 */
export function reuseFor(inputs: readonly TensorInfo[], outputs: readonly { shape: number[]; dtype: tf.DataType }[],
  reuse: OutputReuse | undefined, storageFits: (k: number, dtype: tf.DataType) => boolean = () => true): (TensorInfo | undefined)[] {
  if (reuse === undefined) return outputs.map(() => undefined);
  const backend = eng().backend as unknown as { refCount(dataId: object): number; incRef(dataId: object): void };
  const used = new Set<number>();
  return outputs.map((o, m) => {
    const k = reuse.inputOf[m];
    if (k < 0 || used.has(k)) return undefined;
    const t = inputs[k];
    // Only this tensor references the data: no clone, no other state, no output alias.
    if (t.dtype !== o.dtype || backend.refCount(t.dataId) !== 1 || !storageFits(k, o.dtype) || !reuse.canReuse(t)) return undefined;
    used.add(k);
    backend.incRef(t.dataId);
    return { dataId: t.dataId, shape: o.shape, dtype: o.dtype };
  });
}

/** tfjs-cpu's stored arrays (the rest of its private members are used in ./cpu/memory.ts). */
interface CpuBackendPrivate {
  data: { get(dataId: object): { values: ArrayLike<number>; dtype?: tf.DataType } };
}

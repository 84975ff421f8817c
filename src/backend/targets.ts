/**
 * The backend target registry: one {@link BackendTarget} record per tfjs backend that
 * brainstate-ts knows how to start and compile for, registered once by the backend's own
 * folder (`src/backend/<name>/index.ts`, loaded from `./register-targets.ts`).
 *
 * Everything that differs between backends is a field of the record: how to load and
 * start it, its priority for `backend.init()`, whether the jit can address its tensor
 * memory (fused kernels, in-place updates, row access for loops, memory kernels), how
 * fused kernels run there (SIMD on tfjs-wasm's heap or through a scratch heap), which
 * rewrites pay off there, and how the project's custom kernels run. Code outside
 * `src/backend/` never compares a backend's name: it asks the record
 * (spec/architecture/backend-names.spec.ts fails otherwise).
 *
 * Anchor: tfjs-core's kernel_registry.ts (`registerKernel({kernelName, backendName, ...})`,
 * duplicates rejected).
 *
 * Adding a backend: a folder `src/backend/<name>/` whose index.ts calls
 * {@link registerTarget} with its record, and one import line in `./register-targets.ts`.
 */
import type * as tf from '@tensorflow/tfjs';
import { BackendError } from '../errors';
import type { OutputReuse, TensorInfo } from './tfjs-engine';
import type { WebGPUOptions } from './webgpu/config';

/**
 * Output shapes and dtypes a memory kernel allocates; `filled`: the kernel writes every
 * element, so the output need not start zeroed (on cpu it may take a disposed result's
 * array: backend/cpu/array-pool.ts).
 */
export type OutputSpec = { shape: number[]; dtype: tf.DataType; filled?: boolean };

/**
 * Row access for loops on backends whose memory the jit can address: a copy of row `i`
 * of `x` along its leading axis, and the stacking of rows into one tensor. tfjs-wasm's
 * Slice kernel is very slow on large inputs (24 ms per row of a 1000x10000 tensor,
 * measured), so loops avoid it there.
 */
export interface RowAccess {
  row(x: TensorInfo, i: number): TensorInfo;
  /**
   * The rows as one tensor, as tfjs's Pack makes it; with `exact`, every row's stored
   * values survive the stacking and come back out of {@link RowAccess.row} (a loop
   * gradient's residuals), where the backend's storage is not always its dtype's array.
   */
  stack(rows: readonly TensorInfo[], exact?: boolean): TensorInfo;
}

/** The typed arrays of a backend's tensors, as a memory loop reads and writes them. */
export type MemoryLoopFn = (ins: ArrayLike<number>[], outs: { [i: number]: number }[]) => void;

/** A backend whose tensor memory JavaScript can address directly (cpu: JS arrays; wasm: its heap). */
export interface HostMemory {
  /**
   * Runs `loop` on the inputs' typed arrays and freshly allocated outputs (one reference
   * each), or on dead input buffers `reuse` allows.
   */
  run(inputs: readonly TensorInfo[], outputs: readonly OutputSpec[], loop: MemoryLoopFn, reuse?: OutputReuse): TensorInfo[];
  /** Row access for loops. */
  readonly rows: RowAccess;
  /**
   * Whether every tensor's storage holds exactly its dtype's values. Not on cpu: a cast
   * from int32 to float32 shares the Int32Array (values beyond 2^24 stay exact), and int32
   * `abs` / `square` store a Float32Array, so `x * 1` there rounds or wraps.
   */
  readonly canonicalStorage: boolean;
  /** Whether a kernel may write a new value into a dead input's buffer. */
  readonly writesInPlace: boolean;
}

/** How generated WebAssembly SIMD kernels reach a backend's memory. */
export type SimdPlacement =
  /** In place on the backend's own WebAssembly heap (tfjs-wasm). */
  | { readonly kind: 'heap'; heap(): { buffer: ArrayBuffer } | undefined;
      run(inputs: readonly TensorInfo[], outputs: readonly OutputSpec[],
        kernel: (ptrs: number[], views: () => [ArrayLike<number>[], { [i: number]: number }[]]) => void,
        reuse?: OutputReuse): TensorInfo[]; }
  /** Copied through a private scratch heap (tfjs-cpu's JS arrays). */
  | { readonly kind: 'scratch' };

/**
 * A generated WGSL compute program, as tfjs-backend-webgpu runs it (structurally its
 * `WebGPUProgram`): the prelude tfjs writes (bindings of `result` and of each variable,
 * the `uniforms` struct with NAN and INFINITY, `main(index)` over a flat dispatch) and
 * the program's own code.
 */
export interface GpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  workgroupSize: [number, number, number];
  size?: boolean;
  /**
   * Per variable, the components of its binding's elements (4: `array<vec4<..>>`); when
   * absent, tfjs gives every variable `outputComponent`'s.
   */
  variableComponents?: number[];
  /** The components of the `result` binding's elements (4: `array<vec4<..>>`); 1 when absent. */
  outputComponent?: number;
  /** The program's own uniforms, appended to tfjs's `Uniforms` struct (`name : f32, ...`). */
  uniforms?: string;
  getUserCode(): string;
}

/**
 * How fused elementwise kernels run as generated WGSL programs on a GPU backend (webgpu):
 * the compiler generates the program (compiler/fusion/codegen-wgsl.ts), the backend runs it.
 */
export interface GpuFusion {
  /**
   * Runs `program` on `inputs` (one dispatch); the output holds one reference the caller
   * owns. With `output`, writes into that tensor's buffer (in place). `uniforms`: the
   * float32 values of the program's own uniforms, in order.
   */
  run(program: GpuProgram, inputs: readonly TensorInfo[], outputDtype: tf.DataType, uniforms: readonly number[],
    output?: TensorInfo): TensorInfo;
  /** A new tensor of `out` holding elements `[offset, offset + size)` of `src`'s buffer, copied on the GPU (no dispatch). */
  copyOut(src: TensorInfo, offset: number, out: OutputSpec): TensorInfo;
  /** Whether `t`'s data is on the device (false: host values tfjs has not uploaded yet). */
  onDevice(t: TensorInfo): boolean;
  /** The dtype of `t`'s buffer (tfjs-webgpu shares an int32 buffer for a float32 cast). */
  storageDtype(t: TensorInfo): tf.DataType;
  /**
   * Whether `t`'s values are on the host in an Int32Array, whatever its dtype: a float32 cast
   * of int32 host data shares the int32 array, and tfjs-webgpu's CPU `Slice` of that keeps a
   * subarray of it under a float32 buffer record, so {@link storageDtype} says float32 while
   * the values stay exact beyond 2^24 until a kernel copies them into a Float32Array.
   */
  hostInt32(t: TensorInfo): boolean;
  /**
   * Whether `t`'s values are on the host in a Float32Array, whatever its dtype: tfjs-webgpu's
   * CPU `Abs` of int32 data writes one under an int32 record, which reads back as it is
   * (2147483648 for |-2147483648|, or for 2147483646 rounded), where a copy into an Int32Array
   * (a CPU `Pack` or `Concat`) wraps it.
   */
  hostFloat32(t: TensorInfo): boolean;
  /** Below this many elements, host inputs run on the backend's CPU kernels (0: never). */
  cpuForwardThreshold(): number;
  /** The most storage buffers one program may bind, its output included (the device's `maxStorageBuffersPerShaderStage`). */
  maxStorageBuffers(): number;
  /** Whether a program may write a state's new value into its dead old buffer. */
  readonly writesInPlace: boolean;
  /**
   * Whether the backend registers kernel `BrainStateSumLeadingAxes` (src/kernels/names.ts),
   * a Sum over leading axes in one dispatch with the bits of its own `Sum`, for an input of
   * `shape` and `dtype` summed over `axis` (the compiler then uses it in place of `Sum`).
   */
  sumLeadingAxes?(shape: readonly number[], dtype: tf.DataType, axis: unknown): boolean;
  /**
   * Whether the backend's program for a binary elementwise kernel over inputs of shapes `a`
   * and `b` reads four elements at a time (tfjs-webgpu's vec4 BinaryOpProgram), where that
   * changes a result (Pow: compiler/fusion/codegen-wgsl.ts).
   */
  binaryVec4?(a: readonly number[], b: readonly number[]): boolean;
}

/** One backend brainstate-ts can start and compile for. */
export interface BackendTarget {
  /** tfjs's name of the backend (`tf.getBackend()`). */
  readonly name: string;
  /** Order of preference for `backend.init()` with no name: lower first. */
  readonly priority: number;
  /**
   * Loads the package that registers the backend with tfjs; returns why it cannot, or
   * null. Called for `backend.available()` too, so it must not switch backends.
   */
  load(): string | null;
  /**
   * Starts the backend's device before `tf.setBackend` (webgpu: adapter and device);
   * `byName`: the caller asked for this backend. Default: {@link load}.
   */
  start?(options: { readonly webgpu?: WebGPUOptions }, byName: boolean): Promise<string | null>;
  /**
   * Whether a failure while trying it automatically (no name given) means it is not
   * available here. False for webgpu, whose software adapters are skipped automatically
   * but still start by name.
   */
  readonly autoFailureIsUnavailable: boolean;
  /** What to install to get it (ends an error message: "To use it, ..."). */
  readonly installHint: string;
  /** Set where the jit can address the backend's tensor memory (fused kernels, loops' rows, memory kernels). */
  readonly memory?: HostMemory;
  /** Set where fused kernels run as WebAssembly SIMD (see {@link SimdPlacement}). */
  readonly simd?: SimdPlacement;
  /** Set where fused kernels run as generated WGSL programs (see {@link GpuFusion}). */
  readonly gpuFusion?: GpuFusion;
  /**
   * Which per-backend formulas fused kernels follow (the kernel table's `on` overrides are
   * keyed by this); defaults to the name. Only read where {@link memory} or {@link gpuFusion} is set.
   */
  readonly formulas?: string;
  /**
   * Whether BatchMatMul with a transposed operand is slower there than an explicit
   * Transpose followed by an untransposed product (tfjs-wasm: XNNPACK packs the
   * transposed operand at every call), so the compiler rewrites it.
   */
  readonly explicitMatMulTranspose: boolean;
  /**
   * Set where tfjs's `Select` reads bool operands wrongly (tfjs-wasm reads them as floats:
   * garbage, or a read out of bounds), so selects the library makes itself (vmap's per-lane
   * selects) take bool through int32, which keeps every byte.
   */
  readonly boolSelectThroughInt32?: boolean;
  /**
   * How the custom kernels of brainstate-ts (random, event CSR) run there: `'js'` through
   * `backend.readSync` / `write` (any backend that stores data on the host), `'wgsl'` as
   * WGSL programs (webgpu; `bst.random` registers them), `'none'`.
   */
  readonly customKernels: 'js' | 'wgsl' | 'none';
  /** Checks the private members of this backend the jit uses (after `tf.setBackend`); throws if one is missing. */
  selfTest?(): void;
}

const registry = new Map<string, BackendTarget>();

/**
 * Registers `target`. A second record under a name already taken is an error (the same
 * record again does nothing).
 */
export function registerTarget(target: BackendTarget): void {
  const known = registry.get(target.name);
  if (known === target) return;
  if (known !== undefined) {
    throw new BackendError(`registerTarget: expected a new backend name, got '${target.name}', which another ` +
      'target already registered; give the backend a unique name or unregister the old one first (resetForTests).');
  }
  registry.set(target.name, target);
}

/** The target registered under `name`, if any. */
export function targetNamed(name: string): BackendTarget | undefined {
  return registry.get(name);
}

/**
 * The size below which backend `name` runs a kernel on its CPU forms when every input is host
 * data (tfjs-webgpu's threshold); 0 where the backend has no such forms (cpu, wasm), so where a
 * kernel runs never depends on where its inputs are.
 */
export function cpuFormsThreshold(name: string): number {
  return targetNamed(name)?.gpuFusion?.cpuForwardThreshold() ?? 0;
}

/** Every registered target, in order of preference (priority, then name). */
export function allTargets(): BackendTarget[] {
  return [...registry.values()].sort((a, b) => a.priority - b.priority || (a.name < b.name ? -1 : 1));
}

/** The registered names, in order of preference. */
export function targetNames(): string[] {
  return allTargets().map((t) => t.name);
}

/** The host memory of backend `name`, if the jit can address it. */
export function hostMemory(name: string): HostMemory | undefined {
  return registry.get(name)?.memory;
}

/**
 * Runs `loop` on backend `name`'s memory (see {@link HostMemory.run}); a backend whose
 * memory the jit cannot address is a {@link BackendError}.
 */
export function runOnBackendMemory(name: string, inputs: readonly TensorInfo[], outputs: readonly OutputSpec[],
  loop: MemoryLoopFn, reuse?: OutputReuse): TensorInfo[] {
  const m = registry.get(name)?.memory;
  if (m === undefined) {
    throw new BackendError(`runOnBackendMemory: expected a backend whose memory the jit can address ` +
      `(${allTargets().filter((t) => t.memory !== undefined).map((t) => `'${t.name}'`).join(', ')}), got '${name}'.`);
  }
  return m.run(inputs, outputs, loop, reuse);
}

/**
 * Replaces the registry for the duration of `fn` (specs registering a test target).
 * Restores the registered targets on return or throw.
 */
export function withTargetsForTests<R>(targets: readonly BackendTarget[], fn: () => R): R {
  const saved = [...registry.values()];
  registry.clear();
  try {
    for (const t of targets) registerTarget(t);
    return fn();
  } finally {
    registry.clear();
    for (const t of saved) registry.set(t.name, t);
  }
}

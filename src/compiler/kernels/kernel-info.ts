/**
 * The kernel-info table: one record per kernel the compiler knows, registered once, with
 * every fact a pass, an emitter or a transform needs about it (anchor: Equinox
 * `internal/_primitive.py`, which bundles impl, abstract eval, jvp, transpose and
 * batching per primitive; JAX's primitive rules). A kernel the table does not list is
 * treated conservatively: replayed as recorded, never fused, merged by CSE only if pure
 * (tfjs kernels are), never elided.
 *
 * Where each fact is used:
 * - `pure`: common-subexpression elimination (passes/cse.ts) merges two applications.
 * - `fallible`: in-place reuse planning (executable.ts) lets no fallible kernel run after
 *   a kernel that overwrote a state's buffer.
 * - `passThrough`: passes/elide-identities.ts drops the kernel when its output has its
 *   input's shape and dtype.
 * - `elementwise`: fusion (passes/fuse-elementwise.ts), the JS emitter
 *   (fusion/codegen-js.ts), the SIMD emitter (fusion/codegen-wasm.ts) and the algebraic
 *   identities of passes/simplify.ts (`elementwise.identity`); the record's data are the
 *   entries of fusion/ops.ts, with their per-backend overrides.
 * - `constant`: fusion (passes/fuse-elementwise.ts) makes the kernel a literal of the
 *   fused kernel (its value is known from the attributes: ZerosLike, OnesLike, Fill).
 * - `batch`: vmap (src/transform/vmap/) batches each kernel of the per-lane program with it.
 * - `wgsl`: the WGSL form of an elementwise kernel (fusion/wgsl-ops.ts), read by the WGSL
 *   emitter (fusion/codegen-wgsl.ts) for fused programs on webgpu.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ElementwiseOp } from '../fusion/ops';
import type { ValueType } from '../ir';
import type { WgslForm } from '../fusion/wgsl-ops';
import { InternalError } from '../../errors';

/** Where a kernel comes from. */
export type KernelOrigin =
  /** A tfjs kernel. */
  | 'tfjs'
  /** One of brainstate-ts's random kernels (Threefry; src/kernels/names.ts). */
  | 'random'
  /** One of brainstate-ts's event-driven CSR kernels. */
  | 'event'
  /** A tfjs kernel that brainstate-ts replaces on some backends (src/backend/training-kernels/). */
  | 'training';

/** A value inside a vmapped computation: a tensor and where its batch axis is (null: the same for every lane). */
export interface Batched {
  readonly t: tf.Tensor;
  readonly axis: number | null;
}

/** What a batching rule knows about the kernel application it batches (per-lane types from the traced program). */
export interface BatchContext {
  readonly kernel: string;
  /** Input names for a named-input kernel, or null when the kernel takes an array of inputs. */
  readonly inputNames: readonly string[] | null;
  readonly attrs: Readonly<Record<string, unknown>>;
  /** Per-lane type of each input (undefined where a named input was absent). */
  readonly inTypes: readonly (ValueType | undefined)[];
  /** Per-lane type of each output. */
  readonly outTypes: readonly ValueType[];
  /** The number of lanes. */
  readonly size: number;
}

/**
 * vmap's rule for a kernel (issue 16): given its inputs, each with its batch axis or none
 * (at least one has one), the batched results and where their batch axes are. Rules run
 * tfjs ops on real tensors, so a trace around them records the batched kernels. `kind`
 * says how the rule batches, for the kernel-table spec and messages.
 */
export interface BatchingRule {
  readonly kind: 'elementwise' | 'broadcast' | 'reduction' | 'axis' | 'shape' | 'matmul' | 'conv' | 'gather' | 'per-lane';
  apply(inputs: readonly (Batched | undefined)[], ctx: BatchContext): Batched[];
}

/**
 * A kernel whose every element has one value known from its attributes alone, whatever its
 * inputs hold (they give only the shape and dtype): Fill, ZerosLike, OnesLike. Fusion makes
 * it a literal of the fused kernel instead of an op (passes/fuse-elementwise.ts); a kernel
 * with constant inputs only (Fill, a cast of a literal) is folded at trace time anyway and
 * becomes a literal through its folded value.
 */
export interface ConstantRule {
  readonly note: string;
  /** The value of every element, given the kernel's attributes. */
  splat(attrs: Readonly<Record<string, unknown>>): number;
}

/** Everything the compiler knows about one kernel. */
export interface KernelInfo {
  /** The kernel's name (tfjs's, or one of src/kernels/names.ts). */
  readonly name: string;
  readonly origin: KernelOrigin;
  /** CSE may merge two applications with the same inputs and attributes. */
  readonly pure: boolean;
  /**
   * Whether it can throw at run time: in-place reuse planning (executable.ts) lets no
   * fallible kernel run after a kernel that overwrote a state's buffer. Absent: assumed
   * fallible (no record says `false` yet: every non-fused kernel counts as fallible).
   */
  readonly fallible?: boolean;
  /**
   * The output equals the (first) input whenever their shapes and dtypes agree:
   * `'any-inputs'` whatever other inputs it has (Identity), `'one-input'` only when it
   * has no other input (Reshape with a shape tensor is not elided).
   */
  readonly passThrough?: 'any-inputs' | 'one-input';
  /** Fusible elementwise kernel: inputs, dtype rule, JS / SIMD forms, per-backend overrides, identities. */
  readonly elementwise?: ElementwiseOp;
  /**
   * The WGSL form of an elementwise kernel (fused WGSL programs on webgpu follow
   * tfjs-backend-webgpu's formulas: fusion/wgsl-ops.ts, emitted by fusion/codegen-wgsl.ts).
   */
  readonly wgsl?: WgslForm;
  /** Every element's value from the attributes alone (issue 19): a literal in fused kernels. */
  readonly constant?: ConstantRule;
  /** vmap's batching rule (issue 16; src/compiler/kernels/batching/). */
  readonly batch?: BatchingRule;
  /** What the kernel computes, for readers (required of the project's own kernels). */
  readonly doc?: string;
}

const table = new Map<string, KernelInfo>();

/** Registers `info`; a second record for a name already registered is an {@link InternalError}. */
export function registerKernelInfo(info: KernelInfo): void {
  if (table.has(info.name)) throw new InternalError(`registerKernelInfo: kernel '${info.name}' is registered twice`);
  table.set(info.name, info);
}

/** The record of kernel `name`, if the compiler knows it. */
export function kernelInfo(name: string): KernelInfo | undefined {
  return table.get(name);
}

/**
 * Gives kernel `name` the batching rule `rule`: added to its record, or a new record of a
 * pure tfjs kernel when the table has none. A second rule for a kernel is an {@link InternalError}.
 */
export function attachBatchRule(name: string, rule: BatchingRule, origin: KernelOrigin = 'tfjs'): void {
  const info = table.get(name);
  if (info?.batch !== undefined) throw new InternalError(`attachBatchRule: kernel '${name}' has two batching rules`);
  table.set(name, info === undefined ? { name, origin, pure: true, batch: rule } : { ...info, batch: rule });
}

/** Every record, by name. */
export function knownKernels(): KernelInfo[] {
  return [...table.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * tfjs ops (op scope names, not kernels) that fill a buffer with JS random numbers: in a
 * trace those numbers would freeze, so the recorder rejects them and names bst.random.
 */
export const HOST_RANDOM_OPS: readonly string[] = ['randomNormal', 'randomUniform', 'randomUniformInt',
  'randomStandardNormal', 'randomGamma', 'truncatedNormal', 'dropout', 'multinomial', 'rand'];

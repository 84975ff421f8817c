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
 * - `wgsl`: the WGSL form of an elementwise kernel (fusion/wgsl-ops.ts), read by the WGSL
 *   emitter (fusion/codegen-wgsl.ts) for fused programs on webgpu.
 * - `constant`, `batch`: room for issue 19 (values known at trace time) and issue 16
 *   (vmap batching rules); see docs/architecture.md.
 */
import type { ElementwiseOp } from '../fusion/ops';
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

/**
 * vmap's rule for a kernel (issue 16): given which inputs carry a batch axis (and where),
 * the kernel applications computing the batched result and where its batch axis is.
 * Declared now so that records have a place for it; no kernel has one yet.
 */
export interface BatchingRule {
  readonly note: string;
}

/** A kernel's value known at trace time from its attributes alone (issue 19: Fill, ZerosLike...). */
export interface ConstantRule {
  readonly note: string;
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
  /** Room for issue 19. */
  readonly constant?: ConstantRule;
  /** Room for issue 16. */
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

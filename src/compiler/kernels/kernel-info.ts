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
 * - `batch`, `wgsl`: room for issue 16 (vmap batching rules) and issue 15 (fused WGSL
 *   kernels); see docs/architecture.md.
 */
import type { ElementwiseOp } from '../fusion/ops';
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
  /** Every element's value from the attributes alone (issue 19): a literal in fused kernels. */
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

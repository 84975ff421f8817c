/**
 * The names of the custom kernels brainstate-ts registers with tfjs, in one place below
 * every module that uses them: `bst.random` and `bst.event` define and dispatch them,
 * the compiler's kernel table (src/compiler/kernels/) describes them, and the backend
 * folders register their implementations. Each comment says the kernel's inputs,
 * attributes and output.
 */

/** `threefry_2x32(key, counts)` of JAX: inputs `{key, counts}` (int32), output int32 like counts. */
export const THREEFRY_2X32 = 'BrainStateThreefry2x32';
/** `split(key, num)`: input `{key}`, attrs `{num, partitionable}`, output int32 `[num, 2]`. */
export const RANDOM_SPLIT = 'BrainStateRandomSplit';
/** `random_bits(key, 32, shape)`: input `{key}`, attrs `{shape, partitionable}`, output int32 bits. */
export const RANDOM_BITS = 'BrainStateRandomBits';
/** `uniform(key, shape, minval, maxval)`: attrs `{shape, minval, maxval, partitionable}`, float32. */
export const RANDOM_UNIFORM = 'BrainStateRandomUniform';
/** Standard `normal(key, shape)`: attrs `{shape, partitionable}`, float32. */
export const RANDOM_NORMAL = 'BrainStateRandomNormal';
/** `truncated_normal(key, lower, upper, shape)`: attrs `{shape, lower, upper, partitionable}`, float32. */
export const RANDOM_TRUNCATED_NORMAL = 'BrainStateRandomTruncatedNormal';
/** `randint(key, shape, minval, maxval)`: attrs `{shape, minval, maxval, partitionable}`, int32. */
export const RANDOM_INT = 'BrainStateRandomInt';
/**
 * JAX's `_shuffle(key, iota, axis)` (the sort-based shuffle behind `permutation`):
 * attrs `{shape, axis, partitionable}`, output int32 of `shape` whose every fibre along
 * `axis` is a permutation of `0 .. shape[axis] - 1`.
 */
export const RANDOM_SHUFFLE = 'BrainStateRandomShuffle';

/** Every random kernel name. */
export const RANDOM_KERNEL_NAMES: readonly string[] = [THREEFRY_2X32, RANDOM_SPLIT, RANDOM_BITS, RANDOM_UNIFORM,
  RANDOM_NORMAL, RANDOM_TRUNCATED_NORMAL, RANDOM_INT, RANDOM_SHUFFLE];

/** Kernel name of the event-driven product `spikes @ W` (CSR weights, only spiking rows read). */
export const EVENT_CSR_MATVEC = 'BrainStateEventCsrMatVec';
/** Kernel name of the gather product `W @ x` (the spikes' gradient). */
export const CSR_MATVEC = 'BrainStateCsrMatVec';
/** Kernel name of the per-synapse weight gradient. */
export const CSR_WEIGHT_GRAD = 'BrainStateCsrWeightGrad';

/** Every event-driven kernel name. */
export const EVENT_KERNEL_NAMES: readonly string[] = [EVENT_CSR_MATVEC, CSR_MATVEC, CSR_WEIGHT_GRAD];

/**
 * `Sum` over leading axes in one GPU dispatch (no transpose first): input `{x}`, attrs
 * `{axis, keepDims}` as tfjs's `Sum`. Formed by the compiler on GPU targets that offer it.
 */
export const SUM_LEADING_AXES = 'BrainStateSumLeadingAxes';

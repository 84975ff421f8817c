/**
 * The records of the kernel table (./kernel-info.ts), registered on import: the tfjs
 * kernels the passes know something about, and the project's own kernels.
 */
import { ELEMENTWISE_OPS } from '../fusion/ops';
import { WGSL_OPS } from '../fusion/wgsl-ops';
import { EVENT_KERNEL_NAMES, RANDOM_KERNEL_NAMES, SUM_LEADING_AXES } from '../../kernels/names';
import { ConstantRule, KernelInfo, registerKernelInfo } from './kernel-info';
import { registerBatchRules } from './batching';

/** Kernels whose output is their first input when shapes and dtypes agree (elide-identities). */
const PASS_THROUGH: Readonly<Record<string, KernelInfo['passThrough']>> = {
  Identity: 'any-inputs',
  Reshape: 'one-input',
  Cast: 'one-input',
  ExpandDims: 'one-input',
  Squeeze: 'one-input',
};

/**
 * tfjs kernels brainstate-ts replaces on some backends (src/backend/training-kernels/ says
 * where and why); pure like every tfjs kernel.
 */
const TRAINING = ['Conv2DBackpropFilter', 'Conv3DBackpropFilterV2', 'Conv3DBackpropInputV2', 'MaxPool3D', 'MaxPoolGrad',
  'MaxPool3DGrad', 'UnsortedSegmentSum', 'Sum', 'StridedSlice'];

/** Other tfjs kernels a pass rewrites by name. */
const REWRITTEN: Readonly<Record<string, string>> = {
  BatchMatMul: 'matmul-transpose makes a transposed operand an explicit Transpose where the backend target asks',
  _FusedMatMul: 'matmul-epilogue forms it on GPU targets from a BatchMatMul, its bias Add and a Relu',
};

/** Kernels whose every element is known from the attributes alone (issue 19: literals of fused kernels). */
const CONSTANT: Readonly<Record<string, ConstantRule>> = {
  ZerosLike: { note: 'zeros of its input\'s shape and dtype', splat: () => 0 },
  OnesLike: { note: 'ones of its input\'s shape and dtype', splat: () => 1 },
  Fill: { note: 'attrs.value in attrs.shape (no inputs: folded at trace time)', splat: (a) => Number(a.value) },
};

for (const [name, op] of Object.entries(ELEMENTWISE_OPS)) {
  registerKernelInfo({ name, origin: 'tfjs', pure: true, elementwise: op, wgsl: WGSL_OPS[name], passThrough: PASS_THROUGH[name], constant: CONSTANT[name] });
}
for (const [name, constant] of Object.entries(CONSTANT)) {
  if (ELEMENTWISE_OPS[name] === undefined) registerKernelInfo({ name, origin: 'tfjs', pure: true, constant });
}
for (const [name, passThrough] of Object.entries(PASS_THROUGH)) {
  if (ELEMENTWISE_OPS[name] === undefined) registerKernelInfo({ name, origin: 'tfjs', pure: true, passThrough });
}
for (const name of TRAINING) {
  registerKernelInfo({ name, origin: 'training', pure: true, doc: 'a training kernel (see src/backend/training-kernels/)' });
}
for (const [name, doc] of Object.entries(REWRITTEN)) registerKernelInfo({ name, origin: 'tfjs', pure: true, doc });
registerKernelInfo({ name: 'FusedParts', origin: 'tfjs', pure: true, fallible: false,
  doc: 'merge-fused-parts: independent fused kernels (parameter updates) as the parts of one GPU program' });
registerKernelInfo({ name: SUM_LEADING_AXES, origin: 'tfjs', pure: true,
  doc: 'sum-leading-axes forms it on GPU targets that offer it: tfjs\'s Sum over leading axes without the transpose' });
/** tfjs kernels a whole-loop kernel (fusion/loop-kernel.ts) reads as views of their input, never running them. */
const VIEWED: Readonly<Record<string, string>> = {
  Slice: 'a whole-loop kernel reads a contiguous slice (a spike vector\'s E or I part) as a view of its input, with no copy',
};
for (const [name, doc] of Object.entries(VIEWED)) registerKernelInfo({ name, origin: 'tfjs', pure: true, doc });
for (const name of RANDOM_KERNEL_NAMES) {
  // Pure: the numbers are a function of the key input (a state read at each call).
  registerKernelInfo({ name, origin: 'random', pure: true, fallible: true,
    doc: 'Threefry-2x32 random numbers from an int32[2] key (src/kernels/names.ts); throws on a malformed key' });
}
for (const name of EVENT_KERNEL_NAMES) {
  registerKernelInfo({ name, origin: 'event', pure: true,
    doc: 'an event-driven CSR product or its gradient (src/kernels/names.ts, src/event/csr-kernels.ts)' });
}
// vmap's batching rules (issue 16), attached to the records above or as records of their own.
registerBatchRules();

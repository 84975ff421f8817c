/**
 * vmap's batching rules, by kernel (issue 16): attached to the kernel table's records by
 * {@link registerBatchRules} (called from ../entries.ts). A kernel listed nowhere here has
 * no rule, and vmap names it in its error.
 */
import { EVENT_KERNEL_NAMES, RANDOM_KERNEL_NAMES } from '../../../kernels/names';
import { ELEMENTWISE_OPS } from '../../fusion/ops';
import { attachBatchRule, BatchingRule, KernelOrigin } from '../kernel-info';
import { argRule, axisAttrRule, broadcastRule, keepAxisRule, lastAxisRule, reductionRule } from './elementwise';
import { foldIntoNRule, fusedMatMulRule, matMulRule, perLaneRule } from './linalg';
import { powRule } from './pow';
import {
  broadcastToRule, concatRule, gatherRule, packRule, padRule, reshapeRule, sliceRule, splitRule, stridedSliceRule,
  tileRule, transposeRule,
} from './shape';

/** Elementwise kernels the fusion table does not list. */
const MORE_ELEMENTWISE = ['Identity', 'Asin', 'Acos', 'Atan', 'Sinh', 'Cosh', 'Asinh', 'Acosh', 'Atanh', 'IsInf', 'IsFinite',
  'Prelu', 'EluGrad', 'Relu6Grad', 'Sub', 'BitwiseAnd'];

/** The tfjs kernels with a rule other than the elementwise one. */
const TFJS_RULES: Readonly<Record<string, BatchingRule>> = {
  Select: broadcastRule(true),
  Pow: powRule(),
  AddN: broadcastRule(true),
  Sum: reductionRule, Prod: reductionRule, Max: reductionRule, Min: reductionRule, Mean: reductionRule,
  All: reductionRule, Any: reductionRule, EuclideanNorm: reductionRule,
  ArgMax: argRule, ArgMin: argRule,
  Softmax: axisAttrRule('dim'), Cumsum: axisAttrRule('axis'), Cumprod: axisAttrRule('axis'), Reverse: axisAttrRule('dims'),
  TopK: lastAxisRule, OneHot: keepAxisRule,
  Reshape: reshapeRule, ExpandDims: reshapeRule, Squeeze: reshapeRule, BroadcastTo: broadcastToRule,
  Transpose: transposeRule, Slice: sliceRule, StridedSlice: stridedSliceRule,
  Concat: concatRule, Pack: packRule, Unpack: splitRule, SplitV: splitRule,
  PadV2: padRule, MirrorPad: padRule, Tile: tileRule,
  GatherV2: gatherRule,
  BatchMatMul: matMulRule, _FusedMatMul: fusedMatMulRule,
  Conv2D: foldIntoNRule([0]), DepthwiseConv2dNative: foldIntoNRule([0]), MaxPool: foldIntoNRule([0]), AvgPool: foldIntoNRule([0]),
  Conv2DBackpropInput: foldIntoNRule([0], 'inputShape'), MaxPoolGrad: foldIntoNRule([0, 1, 2]), AvgPoolGrad: foldIntoNRule([0, 1]),
  ResizeBilinear: foldIntoNRule([0]), ResizeNearestNeighbor: foldIntoNRule([0]),
  // No cheaper rule (yet): one kernel per lane.
  Conv2DBackpropFilter: perLaneRule, GatherNd: perLaneRule, ScatterNd: perLaneRule, TensorScatterUpdate: perLaneRule,
  UnsortedSegmentSum: perLaneRule, FusedBatchNorm: perLaneRule, Einsum: perLaneRule, Conv3D: perLaneRule,
  Conv3DBackpropFilterV2: perLaneRule, Conv3DBackpropInputV2: perLaneRule, MaxPool3D: perLaneRule, MaxPool3DGrad: perLaneRule,
  AvgPool3D: perLaneRule, MatrixBandPart: perLaneRule, Diag: perLaneRule,
};

let registered = false;

/** Attaches every rule to the kernel table (once). */
export function registerBatchRules(): void {
  if (registered) return;
  registered = true;
  const attach = (name: string, rule: BatchingRule, origin?: KernelOrigin) => attachBatchRule(name, rule, origin);
  for (const name of Object.keys(ELEMENTWISE_OPS)) if (TFJS_RULES[name] === undefined) attach(name, broadcastRule());
  for (const name of MORE_ELEMENTWISE) if (ELEMENTWISE_OPS[name] === undefined) attach(name, broadcastRule());
  for (const [name, rule] of Object.entries(TFJS_RULES)) attach(name, rule);
  // The project's own kernels: a key or a spike vector per lane; one kernel per lane.
  for (const name of [...RANDOM_KERNEL_NAMES, ...EVENT_KERNEL_NAMES]) attach(name, perLaneRule);
}

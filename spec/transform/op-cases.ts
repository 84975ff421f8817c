/**
 * The op suite shared by the jit-vs-eager and fused-vs-unfused specs: each case is a
 * function of tensors and a maker of inputs (deterministic, no tfjs random ops).
 */
import * as tf from '@tensorflow/tfjs';
import { flatten } from '../../src/util/pytree';

export type Case = [name: string, fn: (...xs: tf.Tensor[]) => unknown, inputs: () => tf.Tensor[]];

const u = (shape: number[], lo = -2, hi = 2, seed = 1): tf.Tensor => {
  // Deterministic, well-spread values without tfjs random ops.
  const n = shape.reduce((a, b) => a * b, 1);
  const vals = Array.from({ length: n }, (_, i) => lo + ((Math.sin(i * 12.9898 + seed * 78.233) * 43758.5453) % 1 + 1) % 1 * (hi - lo));
  return tf.tensor(vals, shape);
};
const pos = (shape: number[]) => u(shape, 0.1, 3);
const ints = (shape: number[], hi = 5) => tf.cast(tf.floor(u(shape, 0, hi)), 'int32');

export const CASES: Case[] = [
  // elementwise, unary
  ['abs', (x) => tf.abs(x), () => [u([5])]],
  ['neg', (x) => tf.neg(x), () => [u([5])]],
  ['exp', (x) => tf.exp(x), () => [u([5])]],
  ['log', (x) => tf.log(x), () => [pos([5])]],
  ['log1p', (x) => tf.log1p(x), () => [pos([5])]],
  ['sqrt', (x) => tf.sqrt(x), () => [pos([5])]],
  ['rsqrt', (x) => tf.rsqrt(x), () => [pos([5])]],
  ['square', (x) => tf.square(x), () => [u([5])]],
  ['sin/cos', (x) => tf.add(tf.sin(x), tf.cos(x)), () => [u([6])]],
  ['tanh', (x) => tf.tanh(x), () => [u([6])]],
  ['sigmoid', (x) => tf.sigmoid(x), () => [u([6])]],
  ['relu/relu6/leakyRelu', (x) => tf.add(tf.relu(x), tf.add(tf.relu6(tf.mul(x, 4)), tf.leakyRelu(x, 0.1))), () => [u([6])]],
  ['elu/selu', (x) => tf.add(tf.elu(x), tf.selu(x)), () => [u([6])]],
  ['softplus', (x) => tf.softplus(x), () => [u([6])]],
  ['erf', (x) => tf.erf(x), () => [u([6])]],
  ['floor/ceil/round/sign', (x) => tf.stack([tf.floor(x), tf.ceil(x), tf.round(x), tf.sign(x)]), () => [u([6])]],
  ['reciprocal', (x) => tf.reciprocal(x), () => [pos([6])]],
  ['clipByValue', (x) => tf.clipByValue(x, -0.5, 0.7), () => [u([6])]],
  // elementwise, binary and broadcasting
  ['add/sub/mul/div', (a, b) => tf.div(tf.mul(tf.sub(a, b), tf.add(a, b)), tf.add(tf.abs(b), 1)), () => [u([4]), u([4], -2, 2, 2)]],
  ['pow', (a, b) => tf.pow(a, b), () => [pos([4]), u([4])]],
  ['maximum/minimum', (a, b) => tf.sub(tf.maximum(a, b), tf.minimum(a, b)), () => [u([4]), u([4], -2, 2, 3)]],
  ['squaredDifference', (a, b) => tf.squaredDifference(a, b), () => [u([4]), u([4], -2, 2, 3)]],
  ['mod/floorDiv', (a, b) => tf.add(tf.mod(a, b), tf.floorDiv(a, b)), () => [pos([4]), pos([4])]],
  ['atan2', (a, b) => tf.atan2(a, b), () => [u([4]), u([4], -2, 2, 4)]],
  ['broadcast [3,1]+[1,4]', (a, b) => tf.add(a, b), () => [u([3, 1]), u([1, 4])]],
  ['broadcast with scalars', (a) => tf.add(tf.mul(a, 3), 0.5), () => [u([2, 3])]],
  // reductions
  ['sum/mean over axes', (x) => tf.add(tf.sum(x, 1), tf.mean(x, 1)), () => [u([3, 4])]],
  ['max/min/prod keepDims', (x) => tf.concat([tf.max(x, 0, true), tf.min(x, 0, true), tf.prod(x, 0, true)]), () => [u([3, 4])]],
  ['argMax/argMin (int32)', (x) => tf.add(tf.argMax(x, 1), tf.argMin(x, 0)), () => [u([4, 4])]],
  ['logSumExp', (x) => tf.logSumExp(x, 1), () => [u([3, 5])]],
  ['cumsum', (x) => tf.cumsum(x, 1), () => [u([2, 5])]],
  ['softmax/logSoftmax', (x) => tf.add(tf.softmax(x), tf.logSoftmax(x)), () => [u([3, 5])]],
  ['moments', (x) => { const m = tf.moments(x, 0); return [m.mean, m.variance]; }, () => [u([6, 3])]],
  ['norm', (x) => tf.norm(x), () => [u([3, 3])]],
  // linear algebra and convolution
  ['matMul', (a, b) => tf.matMul(a, b), () => [u([3, 4]), u([4, 2])]],
  ['matMul transposed', (a, b) => tf.matMul(a, b, true, true), () => [u([4, 3]), u([2, 4])]],
  ['batched matMul', (a, b) => tf.matMul(a, b), () => [u([2, 3, 4]), u([2, 4, 5])]],
  // dot and outerProduct apart: tfjs-wasm caches packed matMul weights by data id, so
  // two reshapes of one tensor in one eager call can reuse the wrong packing.
  ['dot', (a, b) => tf.dot(a, b), () => [u([4]), u([4], -1, 1, 5)]],
  ['outerProduct', (a, b) => tf.outerProduct(a as tf.Tensor1D, b as tf.Tensor1D), () => [u([4]), u([4], -1, 1, 5)]],
  ['conv2d', (x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), () => [u([1, 5, 5, 2]), u([3, 3, 2, 3])]],
  ['depthwiseConv2d', (x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid'), () => [u([1, 4, 4, 2]), u([2, 2, 2, 1])]],
  ['maxPool/avgPool', (x) => tf.add(tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'), tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid')), () => [u([1, 4, 4, 2])]],
  ['batchNorm', (x, m, v) => tf.batchNorm(x, m, v, undefined, undefined, 1e-3), () => [u([4, 3]), u([3]), pos([3])]],
  // selection, comparisons, bool
  ['where', (c, a, b) => tf.where(tf.greater(c, 0), a, b), () => [u([5]), u([5], -1, 1, 2), u([5], -1, 1, 3)]],
  ['comparisons', (a, b) => tf.stack([tf.cast(tf.equal(tf.round(a), tf.round(b)), 'float32'),
    tf.cast(tf.lessEqual(a, b), 'float32'), tf.cast(tf.notEqual(a, b), 'float32')]), () => [u([5]), u([5], -2, 2, 2)]],
  ['logical and/or/not (bool)', (a, b) => {
    const p = tf.greater(a, 0); const q = tf.greater(b, 0);
    return tf.logicalOr(tf.logicalAnd(p, q), tf.logicalNot(q));
  }, () => [u([6]), u([6], -2, 2, 7)]],
  ['all/any', (a) => tf.stack([tf.all(tf.greater(a, -5)), tf.any(tf.greater(a, 1.9))]), () => [u([6])]],
  // gather, shape ops
  ['gather', (x, i) => tf.gather(x, i, 0), () => [u([5, 3]), tf.tensor1d([4, 0, 2, 2], 'int32')]],
  ['concat/stack/unstack', (a, b) => tf.concat([tf.stack([a, b]), tf.stack(tf.unstack(tf.stack([b, a])))], 0), () => [u([3]), u([3], -2, 2, 2)]],
  ['slice/stridedSlice', (x) => tf.add(tf.slice(x, [1, 0], [2, 3]), tf.stridedSlice(x, [0, 0], [4, 3], [2, 1])), () => [u([4, 3])]],
  ['split (multi-output)', (x) => tf.split(x, 3, 1), () => [u([2, 6])]],
  ['reshape/transpose', (x) => tf.transpose(tf.reshape(x, [3, 4]), [1, 0]), () => [u([2, 6])]],
  ['tile/pad/reverse', (x) => tf.reverse(tf.pad(tf.tile(x, [2, 1]), [[1, 0], [0, 2]]), 1), () => [u([2, 3])]],
  ['expandDims/squeeze', (x) => tf.squeeze(tf.expandDims(x, 1)), () => [u([4])]],
  ['oneHot', (i) => tf.oneHot(i as tf.Tensor1D, 5), () => [tf.tensor1d([0, 3, 4, 1], 'int32')]],
  ['topk (multi-output)', (x) => { const r = tf.topk(x, 2); return { values: r.values, indices: r.indices }; }, () => [u([3, 6])]],
  // dtypes
  ['cast float -> int32 -> float', (x) => tf.cast(tf.cast(tf.mul(x, 10), 'int32'), 'float32'), () => [u([6])]],
  ['int32 arithmetic', (a, b) => tf.add(tf.mul(a, b), tf.sub(a, 1)), () => [ints([6]), ints([6], 3)]],
  ['bool input', (m, x) => tf.where(m, x, tf.neg(x)), () => [tf.tensor1d([true, false, true], 'bool'), u([3])]],
  // gradients inside the traced function
  ['tf.grads inside', (x, y) => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.square(a), tf.sin(b))))([x, y]),
    () => [u([4]), u([4], -2, 2, 9)]],
  ['tf.valueAndGrad of a customGrad op', (x) => {
    const { value, grad } = tf.valueAndGrad((a: tf.Tensor) => tf.sum(tf.logSoftmax(a)))(x);
    return [value, grad];
  }, () => [u([2, 4])]],
  // chains that fusion merges into one kernel
  ['fusion: LIF step', (v, i) => {
    const next = tf.add(v, tf.mul(0.01, tf.add(tf.neg(v), i)));
    const spike = tf.greaterEqual(next, 1);
    return [spike, tf.where(spike, tf.zerosLike(next), next)];
  }, () => [u([257], 0, 1.2), u([257], 0, 3, 4)]],
  ['fusion: where with a scalar literal', (v) => tf.where(tf.greater(v, 0.5), 0 as unknown as tf.Tensor, tf.mul(v, 2)), () => [u([33])]],
  ['fusion: row and column broadcasts', (m, row, col) => tf.relu(tf.sub(tf.mul(tf.add(m, row), col), 0.5)),
    () => [u([5, 7]), u([7], -1, 1, 2), u([5, 1], -1, 1, 3)]],
  ['fusion: rank-3 broadcast', (a, b) => tf.exp(tf.mul(tf.add(a, b), 0.3)), () => [u([3, 1, 4]), u([2, 1], -1, 1, 5)]],
  ['fusion: transcendental chain', (x) => tf.add(tf.sigmoid(tf.tanh(x)), tf.mul(tf.log1p(tf.exp(x)), tf.elu(tf.selu(x)))), () => [u([41])]],
  ['fusion: softplus, erf, round, sign, floorDiv, mod', (x, y) =>
    tf.add(tf.add(tf.softplus(x), tf.erf(x)), tf.add(tf.round(tf.mul(x, 3)), tf.add(tf.sign(x), tf.mod(tf.floorDiv(tf.abs(x), tf.abs(y)), 0.7)))),
    () => [u([23], -4, 4), u([23], 0.5, 2, 6)]],
  ['fusion: int32 chain', (a, b) => tf.maximum(tf.sub(tf.mul(a, b), tf.add(a, 3)), tf.neg(b)), () => [ints([17], 9), ints([17], 4)]],
  ['fusion: bool chain and casts', (a, b) => {
    const m = tf.logicalAnd(tf.greater(a, 0), tf.logicalNot(tf.less(b, -1)));
    return tf.add(tf.cast(m, 'float32'), tf.cast(tf.cast(tf.mul(a, 10), 'int32'), 'float32'));
  }, () => [u([19]), u([19], -2, 2, 8)]],
  ['fusion: an intermediate used outside the group', (x) => {
    const h = tf.exp(tf.neg(x));
    const s = tf.sum(h);
    return [tf.add(tf.mul(h, 2), 1), s];
  }, () => [u([16])]],
  ['fusion: diamond of two chains', (x, y) => tf.add(tf.sqrt(tf.abs(tf.mul(x, 3))), tf.square(tf.sub(y, 1))), () => [u([12]), u([12], -1, 1, 3)]],
  ['fusion: clip, leakyRelu, relu6, step', (x) => tf.add(tf.clipByValue(tf.leakyRelu(x, 0.2), -0.3, 0.8), tf.relu6(tf.mul(tf.step(x, 0.5), 7))), () => [u([29], -3, 3)]],
  ['nested tree result', (a, b) => ({ s: tf.add(a, b), list: [tf.mul(a, b), { d: tf.sub(a, b) }], tag: 'static' }),
    () => [u([2]), u([2], -1, 1, 3)]],
];

/** The tensors of a result tree, in order. */
export function tensorsOf(result: unknown): tf.Tensor[] {
  return flatten(result, (x) => x instanceof tf.Tensor)[0].filter((x): x is tf.Tensor => x instanceof tf.Tensor);
}

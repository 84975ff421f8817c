/**
 * `Sum` over leading axes (a bias gradient: `sum(dy, 0)` of a `[batch, units]` tensor)
 * on webgpu as one dispatch: tfjs-backend-webgpu 4.22 first transposes the reduced axes
 * last (a program of its own), then runs its `ReduceProgram`. This program is that
 * `ReduceProgram` (kernel_utils/reduce.ts, reduce_webgpu.ts) with its read of the
 * transposed element `(o, k)` replaced by a read of the untransposed input at `k * width
 * + o`: the same workgroup size, the same strided per-thread sums and the same tree over
 * workgroup memory, so every output has tfjs's bits.
 *
 * The jit runs it (kernel `BrainStateSumLeadingAxes`, formed by the compiler pass
 * `sum-leading-axes` on GPU targets); eager ops run the registered `Sum`. Sums over at most
 * `SERIAL_MAX` rows run the serial program that the registered `Sum` runs
 * (./reduce-kernels.ts), and longer ones this copy of tfjs's, which is what the registered
 * `Sum` hands longer ones to. Sums it does not
 * cover (other axes, int32, 32,768 or more rows, where tfjs picks a workgroup size from
 * the device's limits) go to tfjs's own `Sum`.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { BrainStateError } from '../../errors';
import type { KernelFunc, TensorInfo } from '../tfjs-engine';
import { lookupKernel } from '../tfjs-engine';
import { runProgram } from './webgpu-engine';
import { runSerialReduce, serialLayout } from './reduce-kernels';
import { SUM_LEADING_AXES } from '../../kernels/names';


/** The most rows the program sums: from 32,768 on, tfjs's workgroup size depends on the device's limits. */
export const MAX_ROWS = 32768;

/** tfjs's ReduceProgram workgroup size for `inSize` below {@link MAX_ROWS}. */
const workgroupFor = (inSize: number): number => (inSize >= 4096 ? 256 : 64);

/**
 * How many leading axes `axis` reduces when it lists exactly axes `0..r-1` in that order,
 * with `1 <= r < rank`; undefined otherwise ([1, 0] sums in another order).
 */
export function leadingAxesOf(shape: readonly number[], axis: unknown): number | undefined {
  const rank = shape.length;
  if (axis === null || axis === undefined || rank < 2) return undefined;
  // In the order given: tfjs moves the reduced axes last in that order, which orders the sum.
  const axes = ((Array.isArray(axis) ? axis : [axis]) as number[]).map((a) => (a < 0 ? a + rank : a));
  if (axes.length === 0 || axes.length >= rank || axes.some((a, i) => a !== i)) return undefined;
  return axes.length;
}

/** Whether the program covers a Sum of `x` over `axis` (else tfjs's own kernel runs). */
export function sumLeadingAxesCovers(x: { shape: readonly number[]; dtype: string }, axis: unknown): boolean {
  const r = leadingAxesOf(x.shape, axis);
  if (r === undefined || x.dtype !== 'float32') return false;
  const rows = x.shape.slice(0, r).reduce((a, b) => a * b, 1);
  return rows < MAX_ROWS;
}

function program(rows: number, width: number): WebGPUProgram {
  const wg = workgroupFor(rows);
  return {
    variableNames: ['x'],
    outputShape: [width],
    shaderKey: `brainstate_sum_leading_${rows}_${width}`,
    dispatchLayout: { x: [0] },
    dispatch: [width, 1, 1],
    workgroupSize: [wg, 1, 1],
    getUserCode: () => `
fn DIV_CEIL(a : u32, b : u32) -> u32 {
  return ((a - 1u) / b + 1u);
}
var<workgroup> xBestValues : array<f32, ${wg}>;
fn main(index : i32) {
  _ = uniforms.NAN;
  let outputIndex = index / ${wg};
  var bestValue = 0.0;
  let Length = ${rows};
  for (var k = i32(localId.x); k < Length && outputIndex < ${width}; k = k + ${wg}) {
    let candidate = f32(x[k * ${width} + outputIndex]);
    bestValue = bestValue + candidate;
  }
  xBestValues[localId.x] = bestValue;
  workgroupBarrier();
  var reduceSize = min(u32(Length), ${wg}u);
  for (var currentSize = reduceSize / 2u; reduceSize > 1u; currentSize = reduceSize / 2u) {
    let interval = DIV_CEIL(reduceSize, 2u);
    if (localId.x < currentSize) {
      let candidate = xBestValues[localId.x + interval];
      bestValue = bestValue + candidate;
      xBestValues[localId.x] = bestValue;
    }
    reduceSize = interval;
    workgroupBarrier();
  }
  if (localId.x == 0u && outputIndex < ${width}) {
    result[outputIndex] = bestValue;
  }
}
`,
  } as WebGPUProgram;
}

/** The kernel function (webgpu). */
export const sumLeadingAxesWgsl: KernelFunc = (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const { axis, keepDims } = args.attrs as { axis?: number | number[]; keepDims?: boolean };
  if (!sumLeadingAxesCovers(x, axis)) {
    const own = lookupKernel('Sum', 'webgpu');
    if (own === undefined) throw new BrainStateError('internal: Sum is not registered for webgpu');
    return own(args);
  }
  const r = leadingAxesOf(x.shape, axis)!;
  const rest = x.shape.slice(r);
  const outShape = keepDims === true ? [...new Array<number>(r).fill(1), ...rest] : rest;
  // Short sums: the program webgpu's registered Sum runs (./reduce-kernels.ts), for its bits.
  const serial = serialLayout('sum', x.shape, axis);
  if (serial !== undefined) return runSerialReduce(args.backend, x, serial, outShape);
  const rows = x.shape.slice(0, r).reduce((a, b) => a * b, 1);
  const width = rest.reduce((a, b) => a * b, 1);
  const out = runProgram(args.backend, program(rows, width), [x], 'float32');
  return { dataId: out.dataId, shape: outShape, dtype: 'float32' };
};

/** Registers the kernel for webgpu with tfjs (idempotent). */
export function registerSumLeadingAxesWgsl(): void {
  if (tf.getKernel(SUM_LEADING_AXES, 'webgpu') != null) return;
  tf.registerKernel({ kernelName: SUM_LEADING_AXES, backendName: 'webgpu',
    kernelFunc: sumLeadingAxesWgsl as unknown as tf.KernelFunc });
}

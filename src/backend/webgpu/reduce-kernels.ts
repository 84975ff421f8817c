/**
 * `Sum` and `Max` for the webgpu backend over short reduced axes: one invocation per output
 * element, adding (or comparing) the reduced elements in order, with no workgroup memory
 * and no barriers. Registered over tfjs-backend-webgpu's kernels (reason `'slow'`), so eager
 * ops and the jit's replay run the same program (jit == eager stays exact).
 *
 * Why: tfjs-webgpu 4.22 reduces with a 64-invocation workgroup per output and a tree over
 * workgroup memory (log2(64) barriers), after transposing reduced leading axes last. On a
 * software adapter every barrier suspends and resumes each invocation: the softmax
 * cross-entropy of a [128, 10] batch (a Max and two Sums over 10 elements) and the bias
 * gradients ([128, 256] and [128, 10] over the batch) took about a fifth of the MLP
 * 784-256-10 training step on SwiftShader.
 *
 * Bits: a sum is `acc = acc + x[k]` for k in order from `acc = 0.0` (tfjs's tree adds in
 * another order: the last bits can differ from tfjs's own). Max follows tfjs's formula
 * (a NaN anywhere gives NaN; the first of equal elements is kept, which only shows for
 * -0 and +0). What the program does not cover goes to the kernel that was replaced:
 * int32 and bool data, reductions over more than {@link SERIAL_MAX} elements (a long
 * serial loop would starve a GPU), axes that are neither the leading nor the trailing
 * ones, and a Max that tfjs-webgpu computes on its CPU kernels (small host data).
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { BrainStateError } from '../../errors';
import type { KernelFunc, TensorInfo } from '../tfjs-engine';
import type { KernelRecord } from '../training-kernels/record';
import { isOnHost, runProgram } from './webgpu-engine';

/** The most elements one output reduces in order (beyond it, tfjs's tree reduction runs). */
export const SERIAL_MAX = 1024;
const WORKGROUP = 64;
const MAX_GROUPS_PER_DIM = 65535;

/** A reduction's layout: `outer` outputs, each over `inner` elements, strided as `along` says. */
export interface SerialReduce {
  readonly kind: 'sum' | 'max';
  /** `'inner'`: x is `[outer, inner]` (trailing axes); `'leading'`: x is `[inner, outer]`. */
  readonly along: 'inner' | 'leading';
  readonly outer: number;
  readonly inner: number;
}

/** The program of `r` (input `x`; output `[outer]`). */
export function serialReduceProgram(r: SerialReduce): WebGPUProgram {
  const groups = Math.ceil(r.outer / WORKGROUP);
  const gy = Math.ceil(groups / MAX_GROUPS_PER_DIM);
  const at = (k: string) => (r.along === 'inner' ? `x[o * ${r.inner} + ${k}]` : `x[${k} * ${r.outer} + o]`);
  const step = r.kind === 'sum' ? 'best = best + c;' :
    'if (isnan(c)) { best = uniforms.NAN; } else if (!isnan(best) && c > best) { best = c; }';
  return {
    variableNames: ['x'],
    outputShape: [r.outer],
    shaderKey: `brainstate_reduce_${r.kind}_${r.along}_${r.outer}_${r.inner}`,
    dispatchLayout: { x: [0] },
    dispatch: [Math.ceil(groups / gy), gy, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    getUserCode: () => `
fn main(index : i32) {
  _ = uniforms.NAN;
  let o = index;
  if (o >= ${r.outer}) { return; }
  var best = ${r.kind === 'sum' ? '0.0' : `f32(${at('0')})`};
  for (var k = 0; k < ${r.inner}; k++) {
    let c = f32(${at('k')});
    ${step}
  }
  result[o] = best;
}
`,
  } as WebGPUProgram;
}

/**
 * The layout of a reduction of `shape` over `axis` (tfjs's axis parameter: a number, a
 * list, or null for all), or undefined when the program does not take it.
 */
export function serialLayout(kind: 'sum' | 'max', shape: readonly number[], axis: unknown): SerialReduce | undefined {
  const rank = shape.length;
  const list = axis === null || axis === undefined ? [...Array(rank).keys()] : Array.isArray(axis) ? axis as number[] : [axis as number];
  const axes = [...new Set(list.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
  if (axes.length === 0 || axes.some((a) => !Number.isInteger(a) || a < 0 || a >= rank)) return undefined;
  const size = (dims: readonly number[]) => dims.reduce((p, q) => p * q, 1);
  const n = axes.length;
  const trailing = axes.every((a, i) => a === rank - n + i);
  // Leading axes as tfjs's transpose orders them (the order given), so that only 0..n-1 in order counts.
  const leading = n < rank && axes.every((a, i) => a === i);
  const along = trailing ? 'inner' : leading ? 'leading' : undefined;
  if (along === undefined) return undefined;
  const inner = along === 'inner' ? size(shape.slice(rank - n)) : size(shape.slice(0, n));
  const outer = size(shape) / Math.max(inner, 1);
  if (inner === 0 || outer === 0 || inner > SERIAL_MAX) return undefined;
  return { kind, along, outer, inner };
}

type Name = 'Sum' | 'Max';
const replaced: Partial<Record<Name, KernelFunc>> = {};

/** Runs the serial program for `r` on `x`, giving the output `outShape`. */
export function runSerialReduce(backend: unknown, x: TensorInfo, r: SerialReduce, outShape: number[]): TensorInfo {
  const out = runProgram(backend, serialReduceProgram(r), [x], 'float32');
  return { dataId: out.dataId, shape: outShape, dtype: 'float32' };
}

/** tfjs's output shape of a reduction over `axes` (normalised, sorted). */
function reducedShape(shape: readonly number[], axis: unknown, keepDims: boolean): number[] {
  const rank = shape.length;
  const list = axis === null || axis === undefined ? [...Array(rank).keys()] : Array.isArray(axis) ? axis as number[] : [axis as number];
  const axes = new Set(list.map((a) => (a < 0 ? a + rank : a)));
  return keepDims ? shape.map((d, i) => (axes.has(i) ? 1 : d)) : shape.filter((_, i) => !axes.has(i));
}

/** Whether tfjs-webgpu would compute this Max on its CPU kernels (small host data: WEBGPU_CPU_FORWARD). */
function cpuForwarded(backend: unknown, x: TensorInfo): boolean {
  const size = x.shape.reduce((p, q) => p * q, 1);
  return tf.env().getBool('WEBGPU_CPU_FORWARD') && isOnHost(backend, x.dataId) &&
    size < tf.env().getNumber('WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD');
}

function reduction(name: Name): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const attrs = args.attrs as { axis?: unknown; reductionIndices?: unknown; keepDims?: boolean };
    const axis = name === 'Sum' ? attrs.axis : attrs.reductionIndices;
    const r = x.dtype === 'float32' ? serialLayout(name === 'Sum' ? 'sum' : 'max', x.shape, axis) : undefined;
    if (r === undefined || (name === 'Max' && cpuForwarded(args.backend, x))) {
      const own = replaced[name];
      if (own === undefined) throw new BrainStateError(`internal: ${name} (webgpu): tfjs's own kernel is not registered`);
      return own(args);
    }
    return runSerialReduce(args.backend, x, r, reducedShape(x.shape, axis, attrs.keepDims === true));
  };
}

/** The records (webgpu). */
export const WEBGPU_REDUCE_KERNELS: readonly KernelRecord[] = (['Sum', 'Max'] as const).map((name) => ({
  kernelName: name, backendName: 'webgpu' as const, kernelFunc: reduction(name), reason: 'slow' as const,
  why: `tf.${name === 'Sum' ? 'sum' : 'max'} over short axes (softmax, bias gradients): tfjs-webgpu's barrier tree ` +
    'took about a fifth of the MLP 784-256-10 training step on SwiftShader',
  keepReplaced: (k: KernelFunc) => { replaced[name] = k; },
}));

/**
 * `Sum` over leading axes (a bias gradient: `sum(dy, 0)` of a `[batch, units]` tensor)
 * for the cpu and wasm backends, without the transpose tfjs's kernels make first: both
 * move the reduced axes last (a full copy), then sum each output element in order. Here
 * the rows are added in that same order into the output, one pass over the input, so
 * every element gets the same bits as tfjs's: in doubles rounded once on cpu (as
 * tfjs-cpu's `let sum = 0; sum += x`), in float32 on wasm (as tfjs-wasm's C `float`; a
 * JavaScript add of two float32 values rounded to float32 is the float32 add).
 *
 * Measured on the MLP 784-256-10 step (Sum of [128, 256] over axis 0): 1.3 ms on cpu and
 * 0.17 ms on wasm with tfjs's kernels. Other sums (inner axes, other dtypes) go to the
 * kernel that was replaced.
 */
import { BrainStateError } from '../../errors';
import { KernelFunc, TensorInfo } from '../tfjs-engine';
import { runOnBackendMemory } from '../targets';
import type { KernelRecord } from './record';

type BackendName = 'cpu' | 'wasm';

const replaced: Partial<Record<BackendName, KernelFunc>> = {};

/**
 * How many leading axes `axis` reduces when it is exactly axes `0..r-1` with `1 <= r <
 * rank`; undefined for anything else (inner axes, all axes, none).
 */
export function leadingAxesReduced(shape: readonly number[], axis: number | number[] | null | undefined): number | undefined {
  const rank = shape.length;
  if (axis === null || axis === undefined || rank < 2) return undefined;
  const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
  if (axes.length === 0 || axes.length >= rank || axes.some((a, i) => a !== i)) return undefined;
  return axes.length;
}

function sumLeadingAxes(on: BackendName): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as { axis?: number | number[] | null; keepDims?: boolean };
    const r = x.dtype === 'float32' ? leadingAxesReduced(x.shape, axis) : undefined;
    if (r === undefined) {
      const own = replaced[on];
      if (own === undefined) throw new BrainStateError(`internal: Sum (${on}): tfjs's own kernel is not registered`);
      return own(args);
    }
    const rest = x.shape.slice(r);
    const rows = x.shape.slice(0, r).reduce((a, b) => a * b, 1);
    const width = rest.reduce((a, b) => a * b, 1);
    const outShape = keepDims === true ? [...new Array<number>(r).fill(1), ...rest] : rest;
    return runOnBackendMemory(on, [x], [{ shape: outShape, dtype: 'float32' }], (ins, outs) => {
      const xs = ins[0];
      const out = outs[0] as unknown as Float32Array;
      // cpu: doubles, rounded once at the end; wasm: float32 after every add (the output's own storage).
      const acc = on === 'cpu' ? new Float64Array(width) : out;
      acc.fill(0);
      for (let i = 0, base = 0; i < rows; i++, base += width) {
        for (let j = 0; j < width; j++) acc[j] += xs[base + j];
      }
      if (acc !== out) out.set(acc);
    })[0];
  };
}

function record(on: BackendName): KernelRecord {
  return {
    kernelName: 'Sum', backendName: on, kernelFunc: sumLeadingAxes(on), reason: 'slow',
    why: `sum over leading axes (bias gradients): tfjs-${on} transposes the input first ` +
      `(${on === 'cpu' ? '1.3' : '0.17'} ms for [128, 256] over axis 0)`,
    keepReplaced: (k) => { replaced[on] = k; },
  };
}

/** The records (cpu and wasm). */
export const SUM_LEADING_AXES_KERNELS: readonly KernelRecord[] = [record('cpu'), record('wasm')];

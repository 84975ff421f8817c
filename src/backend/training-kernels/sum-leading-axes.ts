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
 * How many leading axes `axis` reduces when it is exactly axes `0..r-1` (not all
 * axes), once axes of size 1 are left out (they do not change the order of elements);
 * 0 when every reduced axis has size 1 (`sum(dy, 0)` of one example under vmap:
 * [128, 1, 256] over axis 1, a copy of `0 + x`); undefined for anything else (inner
 * axes, all axes, none).
 */
export function leadingAxesReduced(shape: readonly number[], axis: number | number[] | null | undefined): number | undefined {
  const rank = shape.length;
  if (axis === null || axis === undefined || rank < 1) return undefined;
  const axes = new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)));
  if (axes.size === 0 || axes.size >= rank || [...axes].some((a) => !(a >= 0 && a < rank))) return undefined;
  const kept = [...shape.keys()].filter((i) => shape[i] !== 1);
  const reduced = kept.map((i) => axes.has(i));
  const r = reduced.filter((x) => x).length;
  return reduced.some((x, i) => x !== i < r) ? undefined : r;
}

/** The shape of a sum of `shape` over `axis` (tfjs's: reduced axes kept as 1 or removed). */
function reducedShape(shape: readonly number[], axis: number | number[], keepDims: boolean): number[] {
  const rank = shape.length;
  const axes = new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)));
  return keepDims ? shape.map((d, i) => (axes.has(i) ? 1 : d)) : shape.filter((_, i) => !axes.has(i));
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
    // Axes of size 1 left out, the first r axes are summed over, the rest kept (r = 0: a copy of 0 + x).
    const kept = x.shape.filter((d) => d !== 1);
    const rows = kept.slice(0, r).reduce((a, b) => a * b, 1);
    const width = kept.slice(r).reduce((a, b) => a * b, 1);
    const outShape = reducedShape(x.shape, axis!, keepDims === true);
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

/**
 * The event-driven CSR kernels (brainevent's `binary_csrmv` / BrainPy's
 * `event_csr_matvec`), one record each, closed under differentiation:
 *
 * - `EVENT_CSR_MATVEC`: post-synaptic input `y[b, j] = sum_i s[b, i] W[i, j]` with `W`
 *   stored by pre-synaptic rows; only the rows of neurons that spiked (`s != 0`) are read.
 * - `CSR_MATVEC`: the gather form `y[b, i] = sum_j W[i, j] x[b, j]` (every row).
 * - `CSR_WEIGHT_GRAD`: `dW[k] = sum_b s[b, row(k)] g[b, col(k)]` for each stored synapse
 *   `k` (summed to a scalar for a homogeneous weight); again only spiking rows.
 *
 * Inputs `indptr` (int32 `[nPre + 1]`) and `indices` (int32 `[nnz]`) are the CSR layout;
 * `weight` is float32, `[]` (one weight for every synapse) or `[nnz]`. A leading batch
 * shape on the vectors is allowed. Outputs are float32.
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '../backend/tfjs-engine';
import { CustomKernelRecord, KernelAttrs, MemoryLoop, registerCustomKernel } from './kernel-record';
import { dispatchKernel } from '../backend/custom-kernels';
import { registerWgslCsrKernels } from './webgpu-csr';
import { heapSpikeScan } from './spike-scan';

import { CSR_MATVEC, CSR_WEIGHT_GRAD, EVENT_CSR_MATVEC } from '../kernels/names';

export { CSR_MATVEC, CSR_WEIGHT_GRAD, EVENT_CSR_MATVEC };

function lastDim(t: TensorInfo): number {
  return t.shape[t.shape.length - 1];
}

/** Dispatches one of the kernels through the engine (so tapes and traces see it). */
export function runCsrKernel(name: string, inputs: tf.NamedTensorMap, attrs: KernelAttrs): tf.Tensor {
  return dispatchKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** The rows of this call's spiking neurons (grown as needed, reused across calls). */
let spikingRows = new Int32Array(1024);
/** Where the touching loads of {@link touchRows} go, so that they are not removed as dead. */
let touched = 0;
/** Rows read ahead of their scatter, per batch (about 80 synapses a row: ~20 KB of indices, in cache until used). */
const TOUCH_BATCH = 64;

/**
 * Lists the neurons of `s[sb .. sb + nPre)` whose spike is not zero, in order, into
 * {@link spikingRows}; returns how many. Most neurons are silent: float32 spikes are skipped
 * eight at a time, read as four float64 (two float32 zeros, +0 or -0, read as a float64 +-0
 * or a subnormal; the subnormal case falls through to the element test, so no spike is
 * ever skipped).
 */
function listSpikingRows(s: ArrayLike<number>, sb: number, nPre: number, pairs: Float64Array | undefined): number {
  if (spikingRows.length < nPre) spikingRows = new Int32Array(Math.max(nPre, 2 * spikingRows.length));
  const rows = spikingRows;
  let count = 0;
  const next = heapSpikeScan(s);
  if (next !== undefined) {
    // On tfjs-wasm's heap: sixteen at a time in WebAssembly SIMD (./spike-scan.ts).
    const ptr = (s as Float32Array).byteOffset + 4 * sb;
    for (let i = next(ptr, 0, nPre); i < nPre; i = next(ptr, i + 1, nPre)) rows[count++] = i;
    return count;
  }
  for (let i = 0; i < nPre; i++) {
    if (pairs !== undefined && ((sb + i) & 7) === 0 && i + 8 <= nPre) {
      const q = (sb + i) >> 1;
      if (pairs[q] === 0 && pairs[q + 1] === 0 && pairs[q + 2] === 0 && pairs[q + 3] === 0) {
        i += 7;
        continue;
      }
    }
    if (s[sb + i] !== 0) rows[count++] = i;
  }
  return count;
}

/**
 * Reads one index per cache line of rows `rows[r0 .. r1)` (and of their weights), all
 * independent loads, so the memory system fetches the rows together: at 400,000 neurons
 * the indices are 100 MB and each spiking row is a cache (and TLB) miss, which the scatter
 * loop alone would wait for one row at a time.
 */
function touchRows(rows: Int32Array, r0: number, r1: number, indptr: ArrayLike<number>, indices: ArrayLike<number>,
  w: ArrayLike<number> | undefined): void {
  let t = 0;
  for (let r = r0; r < r1; r++) {
    const i = rows[r];
    const a = indptr[i];
    const e = indptr[i + 1];
    if (e <= a) continue;
    for (let k = a; k < e; k += 16) t |= indices[k];
    t |= indices[e - 1];
    if (w !== undefined) for (let k = a; k < e; k += 16) t |= w[k];
  }
  touched = t;
}

/**
 * `spikes [..., nPre]` (bool or float) times `W [nPre, nPost]`, reading only spiking rows:
 * list them, then per batch of rows, fetch the rows and scatter them in order. Each
 * output element gets its additions in the order of the rows, as a plain loop over the
 * rows would, so the sums are the same bits.
 */
const eventLoop: MemoryLoop = (ins, out, infos, attrs) => {
  const [s, indptr, indices, w] = ins;
  const nPre = lastDim(infos[0]);
  const nPost = attrs.nPost as number;
  const batch = nPre === 0 ? 0 : s.length / nPre;
  const homogeneous = infos[3].shape.length === 0;
  const w0 = homogeneous ? w[0] : 0;
  out.fill(0);
  const pairs = s instanceof Float32Array && s.byteOffset % 8 === 0 ? new Float64Array(s.buffer, s.byteOffset, s.length >> 1) : undefined;
  for (let b = 0; b < batch; b++) {
    const sb = b * nPre;
    const ob = b * nPost;
    const count = listSpikingRows(s, sb, nPre, pairs);
    const rows = spikingRows;
    for (let r0 = 0; r0 < count; r0 += TOUCH_BATCH) {
      const r1 = Math.min(count, r0 + TOUCH_BATCH);
      touchRows(rows, r0, r1, indptr, indices, homogeneous ? undefined : w);
      for (let r = r0; r < r1; r++) {
        const i = rows[r];
        const si = s[sb + i];
        const end = indptr[i + 1];
        if (homogeneous) {
          const v = si * w0;
          for (let k = indptr[i]; k < end; k++) out[ob + indices[k]] += v;
        } else {
          for (let k = indptr[i]; k < end; k++) out[ob + indices[k]] += si * w[k];
        }
      }
    }
  }
};

/** `W [nPre, nPost]` times `x [..., nPost]`: one gather-sum per row. */
const gatherLoop: MemoryLoop = (ins, out, infos, attrs) => {
  const [x, indptr, indices, w] = ins;
  const nPost = lastDim(infos[0]);
  const nPre = attrs.nPre as number;
  const batch = nPre === 0 ? 0 : out.length / nPre;
  const homogeneous = infos[3].shape.length === 0;
  const w0 = homogeneous ? w[0] : 0;
  for (let b = 0; b < batch; b++) {
    const xb = b * nPost;
    const ob = b * nPre;
    for (let i = 0; i < nPre; i++) {
      let acc = 0;
      const end = indptr[i + 1];
      if (homogeneous) {
        for (let k = indptr[i]; k < end; k++) acc += x[xb + indices[k]];
        acc *= w0;
      } else {
        for (let k = indptr[i]; k < end; k++) acc += w[k] * x[xb + indices[k]];
      }
      out[ob + i] = acc;
    }
  }
};

/** `dW[k] = sum_b s[b, row(k)] g[b, col(k)]`, summed over k too for a homogeneous weight. */
const weightGradLoop: MemoryLoop = (ins, out, infos, attrs) => {
  const [s, indptr, indices, g] = ins;
  const nPre = lastDim(infos[0]);
  const nPost = lastDim(infos[3]);
  const batch = nPre === 0 ? 0 : s.length / nPre;
  const homogeneous = attrs.homogeneous === true;
  out.fill(0);
  let total = 0;
  for (let b = 0; b < batch; b++) {
    const sb = b * nPre;
    const gb = b * nPost;
    for (let i = 0; i < nPre; i++) {
      const si = s[sb + i];
      if (si === 0) continue;
      const end = indptr[i + 1];
      if (homogeneous) {
        let acc = 0;
        for (let k = indptr[i]; k < end; k++) acc += g[gb + indices[k]];
        total += si * acc;
      } else {
        for (let k = indptr[i]; k < end; k++) out[k] += si * g[gb + indices[k]];
      }
    }
  }
  if (homogeneous) out[0] = total;
};

const zerosOf = (t: tf.Tensor) => () => tf.zeros(t.shape);

/** The event-driven product: its record, gradient included. */
export const EVENT_CSR_MATVEC_KERNEL: CustomKernelRecord = {
  name: EVENT_CSR_MATVEC,
  inputs: ['spikes', 'indptr', 'indices', 'weight'],
  attrs: ['nPost'],
  outputOf: (ins, attrs) => ({ shape: [...ins[0].shape.slice(0, -1), attrs.nPost as number], dtype: 'float32' }),
  memoryLoop: eventLoop,
  gradient: {
    inputsToSave: ['spikes', 'indptr', 'indices', 'weight'],
    gradFunc: (dy, [spikes, indptr, indices, weight]) => ({
      // Bool spikes carry no gradient; float (surrogate) spikes get W @ dy.
      spikes: spikes.dtype === 'bool' ? zerosOf(spikes)
        : () => runCsrKernel(CSR_MATVEC, { x: dy, indptr, indices, weight }, { nPre: lastDim(spikes) }),
      indptr: zerosOf(indptr),
      indices: zerosOf(indices),
      weight: () => runCsrKernel(CSR_WEIGHT_GRAD, { spikes, indptr, indices, dy },
        { homogeneous: weight.rank === 0 }),
    }),
  },
};

/** The gather product: its record, gradient included. */
export const CSR_MATVEC_KERNEL: CustomKernelRecord = {
  name: CSR_MATVEC,
  inputs: ['x', 'indptr', 'indices', 'weight'],
  attrs: ['nPre'],
  outputOf: (ins, attrs) => ({ shape: [...ins[0].shape.slice(0, -1), attrs.nPre as number], dtype: 'float32' }),
  memoryLoop: gatherLoop,
  gradient: {
    inputsToSave: ['x', 'indptr', 'indices', 'weight'],
    gradFunc: (dy, [x, indptr, indices, weight]) => ({
      x: () => runCsrKernel(EVENT_CSR_MATVEC, { spikes: dy, indptr, indices, weight }, { nPost: lastDim(x) }),
      indptr: zerosOf(indptr),
      indices: zerosOf(indices),
      weight: () => runCsrKernel(CSR_WEIGHT_GRAD, { spikes: dy, indptr, indices, dy: x },
        { homogeneous: weight.rank === 0 }),
    }),
  },
};

/** The weight gradient: its record, gradient included (for second derivatives). */
export const CSR_WEIGHT_GRAD_KERNEL: CustomKernelRecord = {
  name: CSR_WEIGHT_GRAD,
  inputs: ['spikes', 'indptr', 'indices', 'dy'],
  attrs: ['homogeneous'],
  outputOf: (ins, attrs) => ({ shape: attrs.homogeneous === true ? [] : [ins[2].shape[0]], dtype: 'float32' }),
  memoryLoop: weightGradLoop,
  gradient: {
    inputsToSave: ['spikes', 'indptr', 'indices', 'dy'],
    gradFunc: (ddw, [spikes, indptr, indices, dy]) => ({
      spikes: spikes.dtype === 'bool' ? zerosOf(spikes)
        : () => runCsrKernel(CSR_MATVEC, { x: dy, indptr, indices, weight: ddw }, { nPre: lastDim(spikes) }),
      indptr: zerosOf(indptr),
      indices: zerosOf(indices),
      dy: () => runCsrKernel(EVENT_CSR_MATVEC, { spikes, indptr, indices, weight: ddw }, { nPost: lastDim(dy) }),
    }),
  },
};

/** Every record of this file. */
export const CSR_KERNELS: readonly CustomKernelRecord[] = [EVENT_CSR_MATVEC_KERNEL, CSR_MATVEC_KERNEL, CSR_WEIGHT_GRAD_KERNEL];

/**
 * Registers the CSR kernels and their gradients (idempotent); `src/side-effects.ts`
 * calls it once.
 *
 * @example
 * ```ts
 * registerEventKernels();
 * tf.getKernel('BrainStateEventCsrMatVec', 'wasm') != null;   // true
 * ```
 */
export function registerEventKernels(): void {
  for (const k of CSR_KERNELS) registerCustomKernel(k);
  registerWgslCsrKernels(); // the same kernels as WGSL programs (webgpu-csr.ts)
}

/**
 * The event-driven CSR kernels of `csr-kernels.ts` as WGSL programs for the `webgpu`
 * backend (registered through the targets whose custom kernels are WGSL), so spiking
 * networks keep their spikes, weights and currents on the GPU.
 *
 * Each output element is one invocation, and sums in the order of the memory loops
 * (pre-synaptic rows ascending, synapses in stored order, batch rows ascending), in
 * float32: the results are those of cpu and wasm up to the GPU's contraction of `a * b + c`
 * into a fused multiply-add (WGSL allows it; within 1 ulp per term), and bit for bit where
 * it does not contract.
 *
 * - `EVENT_CSR_MATVEC` (`y[b, j] = sum_i s[b, i] W[i, j]`): invocation (b, j) walks the
 *   rows of the neurons that spiked and adds the synapses that reach j. Without atomics
 *   (WGSL has none for f32) this is a gather: its work per output is the number of
 *   synapses of the spiking rows, which suits sparse spiking.
 * - `CSR_MATVEC` (`y[b, i] = sum_j W[i, j] x[b, j]`): invocation (b, i) sums its row.
 * - `CSR_WEIGHT_GRAD`: invocation i writes the gradients of row i's synapses; a
 *   homogeneous weight's scalar gradient is one invocation summing in the loop's order.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { registerWgslKernel } from '../backend/custom-kernels';
import { disposeInfo } from '../backend/tfjs-engine';
import { ProgramUniform, runProgram } from '../backend/webgpu/webgpu-engine';
import { internalError } from '../errors';
import { CSR_MATVEC, CSR_WEIGHT_GRAD, EVENT_CSR_MATVEC } from '../kernels/names';

const WORKGROUP = 64;

type Info = tf.TensorInfo;

const i32 = (n: number): ProgramUniform => ({ type: 'int32', data: [n] });
const lastDim = (t: Info) => t.shape[t.shape.length - 1];
const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function input(inputs: tf.NamedTensorInfoMap, name: string, kernel: string): Info {
  const t = inputs[name];
  if (t == null) throw internalError(`${kernel}: input '${name}' is missing`);
  return t;
}

/** A program with one invocation per index below `uniforms.count`, writing `result` as `code` says. */
function program(key: string, variableNames: string[], outShape: number[], count: number, uniforms: string,
  code: string): WebGPUProgram {
  return {
    variableNames,
    outputShape: outShape,
    shaderKey: `brainstate_csr_${key}`,
    dispatchLayout: { x: outShape.map((_, i) => i) },
    dispatch: [Math.max(1, Math.ceil(count / WORKGROUP)), 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    uniforms: `count : i32, ${uniforms}`,
    getUserCode: () => `
fn main(index : i32) {
  if (index >= uniforms.count) { return; }
  ${code}
}`,
  };
}

/**
 * Runs `prog` on `inputs`, each empty input (no synapses: `indices` and per-synapse weights
 * of length 0; no neurons) bound as one zero element instead. WebGPU rejects a binding of
 * size zero ("Binding size ... is zero"), which makes the whole command buffer invalid, so
 * the GPU would drop every program batched with it. The programs never read an element of
 * an empty input (its loops run over empty ranges), so the result is the same.
 */
function runCsrProgram(backend: unknown, prog: WebGPUProgram, inputs: Info[], uniforms: ProgramUniform[]): Info {
  const made: Info[] = [];
  const bound = inputs.map((t) => {
    if (sizeOf(t.shape) > 0) return t;
    const zero = tf.util.getTypedArrayFromDType(t.dtype as 'float32', 1);
    const one = { dataId: (backend as tf.KernelBackend).write(zero, [1], t.dtype), shape: [1], dtype: t.dtype };
    made.push(one);
    return one;
  });
  try {
    return runProgram(backend, prog, bound, 'float32', uniforms);
  } finally {
    for (const t of made) disposeInfo(t);
  }
}

/** Weight of synapse k: `W[k]`, or `W[0]` for one weight shared by every synapse. */
const weightOf = (homogeneous: boolean) => (homogeneous ? 'f32(W[0])' : 'f32(W[k])');

function eventCsrMatVec(): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const s = input(inputs, 'spikes', EVENT_CSR_MATVEC);
    const indptr = input(inputs, 'indptr', EVENT_CSR_MATVEC);
    const indices = input(inputs, 'indices', EVENT_CSR_MATVEC);
    const w = input(inputs, 'weight', EVENT_CSR_MATVEC);
    const nPre = lastDim(s);
    const nPost = attrs!.nPost as number;
    const outShape = [...s.shape.slice(0, -1), nPost];
    const count = sizeOf(outShape);
    const homogeneous = w.shape.length === 0;
    const prog = program(`event_${homogeneous}`, ['S', 'P', 'I', 'W'], outShape, count, 'nPre : i32, nPost : i32, ',
      `let b = index / uniforms.nPost;
  let j = index - b * uniforms.nPost;
  let sb = b * uniforms.nPre;
  var acc = 0.0;
  for (var i = 0; i < uniforms.nPre; i = i + 1) {
    let si = f32(S[sb + i]);
    if (si == 0.0) { continue; }
    let end = P[i + 1];
    for (var k = P[i]; k < end; k = k + 1) {
      if (I[k] == j) { acc = acc + si * ${weightOf(homogeneous)}; }
    }
  }
  result[index] = acc;`);
    return runCsrProgram(backend, prog, [s, indptr, indices, w], [i32(count), i32(nPre), i32(nPost)]);
  };
}

function csrMatVec(): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const x = input(inputs, 'x', CSR_MATVEC);
    const indptr = input(inputs, 'indptr', CSR_MATVEC);
    const indices = input(inputs, 'indices', CSR_MATVEC);
    const w = input(inputs, 'weight', CSR_MATVEC);
    const nPost = lastDim(x);
    const nPre = attrs!.nPre as number;
    const outShape = [...x.shape.slice(0, -1), nPre];
    const count = sizeOf(outShape);
    const homogeneous = w.shape.length === 0;
    // As the memory loop: a shared weight multiplies the row's sum once.
    const sum = homogeneous
      ? `for (var k = P[i]; k < end; k = k + 1) { acc = acc + X[xb + I[k]]; }
  acc = acc * f32(W[0]);`
      : 'for (var k = P[i]; k < end; k = k + 1) { acc = acc + f32(W[k]) * X[xb + I[k]]; }';
    const prog = program(`gather_${homogeneous}`, ['X', 'P', 'I', 'W'], outShape, count, 'nPre : i32, nPost : i32, ',
      `let b = index / uniforms.nPre;
  let i = index - b * uniforms.nPre;
  let xb = b * uniforms.nPost;
  let end = P[i + 1];
  var acc = 0.0;
  ${sum}
  result[index] = acc;`);
    return runCsrProgram(backend, prog, [x, indptr, indices, w], [i32(count), i32(nPre), i32(nPost)]);
  };
}

function csrWeightGrad(): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const s = input(inputs, 'spikes', CSR_WEIGHT_GRAD);
    const indptr = input(inputs, 'indptr', CSR_WEIGHT_GRAD);
    const indices = input(inputs, 'indices', CSR_WEIGHT_GRAD);
    const g = input(inputs, 'dy', CSR_WEIGHT_GRAD);
    const nPre = lastDim(s);
    const nPost = lastDim(g);
    const batch = nPre === 0 ? 0 : sizeOf(s.shape) / nPre;
    const homogeneous = attrs!.homogeneous === true;
    const uniforms = 'nPre : i32, nPost : i32, batch : i32, ';
    const values = (count: number) => [i32(count), i32(nPre), i32(nPost), i32(batch)];
    if (homogeneous) {
      const prog = program('wgrad_shared', ['S', 'P', 'I', 'G'], [], 1, uniforms,
        `var total = 0.0;
  for (var b = 0; b < uniforms.batch; b = b + 1) {
    for (var i = 0; i < uniforms.nPre; i = i + 1) {
      let si = f32(S[b * uniforms.nPre + i]);
      if (si == 0.0) { continue; }
      var acc = 0.0;
      for (var k = P[i]; k < P[i + 1]; k = k + 1) { acc = acc + G[b * uniforms.nPost + I[k]]; }
      total = total + si * acc;
    }
  }
  result[0] = total;`);
      return runCsrProgram(backend, prog, [s, indptr, indices, g], values(1));
    }
    const nnz = indices.shape[0];
    // One invocation per row; rows write their own synapses, every synapse of a row.
    const prog = program('wgrad', ['S', 'P', 'I', 'G'], [nnz], nPre, uniforms,
      `let i = index;
  for (var k = P[i]; k < P[i + 1]; k = k + 1) {
    var acc = 0.0;
    for (var b = 0; b < uniforms.batch; b = b + 1) {
      let si = f32(S[b * uniforms.nPre + i]);
      if (si != 0.0) { acc = acc + si * G[b * uniforms.nPost + I[k]]; }
    }
    result[k] = acc;
  }`);
    return runCsrProgram(backend, prog, [s, indptr, indices, g], values(nPre));
  };
}

/**
 * Registers the WGSL CSR kernels on every target whose custom kernels are WGSL
 * (idempotent); `registerEventKernels` calls it.
 */
export function registerWgslCsrKernels(): void {
  registerWgslKernel(EVENT_CSR_MATVEC, eventCsrMatVec());
  registerWgslKernel(CSR_MATVEC, csrMatVec());
  registerWgslKernel(CSR_WEIGHT_GRAD, csrWeightGrad());
}

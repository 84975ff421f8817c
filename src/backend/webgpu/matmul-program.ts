/**
 * The WGSL program of brainstate-ts's float32 matrix product on webgpu (`BatchMatMul` and
 * `_FusedMatMul`, ./matmul-kernels.ts): each invocation computes a 4x4 block of one output
 * matrix in registers, looping over the shared dimension in order, with no workgroup memory
 * and no barriers.
 *
 * Why this shape: tfjs-backend-webgpu 4.22's `MatMulPackedProgram` stages tiles through
 * workgroup memory between `workgroupBarrier()`s. On a software adapter (SwiftShader, where
 * the webgpu suite and bench run) every barrier suspends and resumes each invocation, which
 * made a 128x784 · 784x256 product take 0.8 s and even 128x256 · 256x10 take 0.7 s
 * (bench/webgpu-profile.ts). Register blocking without barriers is what @jax-js/jax's
 * generated kernels do (per-thread accumulators over the reduced axis, upcast 4 on output
 * axes); on a hardware GPU each invocation's operands are served by the caches.
 *
 * Bits: element (i, j) is `acc = acc + a[i, k] * b[k, j]` for k = 0, 1, …, K-1 in f32,
 * starting from 0, then `+ bias` and the activation, with tfjs-webgpu's own activation
 * formulas (activation_util.js, unary_op_util.js), so `_FusedMatMul` equals `BatchMatMul`
 * followed by the separate `Add` and activation kernels bit for bit (the jit's
 * matmul-epilogue pass relies on it). Operands are read through `f32(...)`: a float32 tensor
 * cast from int32 or bool keeps its int32 buffer in tfjs-webgpu.
 */
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { MatMulPlan } from '../gemm/plan';

/** Rows and columns of the output block one invocation computes. */
export const TILE = 4;
/** Invocations per workgroup. */
const WORKGROUP = 256;
/** Output blocks per workgroup along each of the two axes (LOCAL * LOCAL = WORKGROUP). */
const LOCAL = 16;
/** WebGPU's guaranteed `maxComputeWorkgroupsPerDimension`. */
const MAX_GROUPS_PER_DIM = 65535;

/** The activations `_FusedMatMul` takes (tfjs's `backend_util.Activation`). */
export type Activation = 'linear' | 'relu' | 'relu6' | 'elu' | 'sigmoid' | 'leakyrelu' | 'prelu';

/** The epilogue of a fused product: bias and activation, each broadcast by output coordinates. */
export interface Epilogue {
  /** Shape of the bias (broadcast against the output shape), or undefined for none. */
  readonly bias?: readonly number[];
  readonly activation: Activation;
  /** Shape of PReLU's weights (activation `prelu`). */
  readonly prelu?: readonly number[];
  /** LeakyReLU's alpha (activation `leakyrelu`). */
  readonly leakyreluAlpha?: number;
}

const ACTIVATIONS: Record<Activation, (alpha: string) => string> = {
  linear: () => 'return a;',
  relu: () => 'return select(a, 0.0, a < 0.0);',
  relu6: () => 'return clamp(a, 0.0, 6.0);',
  elu: () => 'if (a >= 0.0) { return a; }  return (exp(a) - 1.0);',
  sigmoid: () => 'return 1.0 / (1.0 + exp(-1.0 * a));',
  leakyrelu: (alpha) => `if (a < 0.0) { return ${alpha} * a; } return a;`,
  prelu: () => 'if (a < 0.0) { return b * a; }  return a;',
};

/** Whether `name` is an activation the program computes. */
export function isActivation(name: unknown): name is Activation {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(ACTIVATIONS, name);
}

/** The exact float32 bits of `v` as a WGSL expression (tfjs uploads its uniforms as float32). */
function f32Bits(v: number): string {
  const bits = new Uint32Array(new Float32Array([v]).buffer)[0];
  return `bitcast<f32>(0x${bits.toString(16)}u)`;
}

/** Row-major strides of `shape`, with 0 on dimensions of size 1 (broadcast). */
function broadcastStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1, s = 1; d >= 0; d--) {
    strides[d] = shape[d] === 1 ? 0 : s;
    s *= shape[d];
  }
  return strides;
}

/**
 * WGSL statements that set `name` to the flat index into a tensor of `shape` (broadcast
 * against `outShape`, NumPy style) of the output element with coordinates `coords`
 * (one WGSL expression per output dimension).
 */
function broadcastIndex(name: string, shape: readonly number[], outShape: readonly number[], coords: readonly string[]): string {
  const strides = broadcastStrides(shape);
  const pad = outShape.length - shape.length;
  const terms = strides.map((s, d) => (s === 0 ? '' : `${coords[d + pad]} * ${s}`)).filter((t) => t !== '');
  return `let ${name} = ${terms.length === 0 ? '0' : terms.join(' + ')};`;
}

/** A key of everything the program's code depends on. */
function keyOf(p: MatMulPlan, aBatch: readonly number[], bBatch: readonly number[], e: Epilogue | undefined): string {
  const ep = e === undefined ? 'none' : `${e.activation}_${e.bias?.join('x') ?? '-'}_${e.prelu?.join('x') ?? '-'}_${e.leakyreluAlpha ?? 0}`;
  return `brainstate_matmul_${p.M}_${p.N}_${p.K}_${p.sAm}_${p.sAk}_${p.sBk}_${p.sBn}_${p.outShape.join('x')}_` +
    `${aBatch.join('x')}_${bBatch.join('x')}_${ep}`;
}

/**
 * The program for `plan` (a's and b's batch dimensions `aBatch` / `bBatch`), with the
 * inputs `a`, `b`, then `bias` and `prelu` where the epilogue has them.
 */
export function matMulProgram(plan: MatMulPlan, aBatch: readonly number[], bBatch: readonly number[],
  epilogue?: Epilogue): WebGPUProgram {
  const { M, N, K, sAm, sAk, sBk, sBn, outShape } = plan;
  const batchShape = outShape.slice(0, -2);
  const batches = batchShape.reduce((x, y) => x * y, 1);
  const tilesM = Math.ceil(M / TILE);
  const tilesN = Math.ceil(N / TILE);
  // Invocations come in workgroups of LOCAL x LOCAL output blocks (n fastest, so that
  // neighbouring invocations, SIMD lanes on a software adapter, read neighbouring words of
  // B and the same words of A), and each workgroup's operand rows and columns stay in cache.
  const gridN = Math.ceil(tilesN / LOCAL);
  const gridM = Math.ceil(tilesM / LOCAL);
  const invocations = batches * gridM * gridN * WORKGROUP;
  const groups = invocations / WORKGROUP;
  const gy = Math.ceil(groups / MAX_GROUPS_PER_DIM);
  const range = [...Array(TILE).keys()];
  const unroll = K % 4 === 0 ? 4 : 1;
  const steps = [...Array(unroll).keys()];

  // Batch offsets of a and b: the output batch index split into coordinates, each
  // weighted by the operand's (broadcast) batch stride.
  const batchCoords = batchShape.map((_, d) => `bc${d}`);
  const batchLines: string[] = [];
  for (let d = batchShape.length - 1, div = 1; d >= 0; d--) {
    batchLines.push(`let bc${d} = (batch / ${div}) % ${batchShape[d]};`);
    div *= batchShape[d];
  }
  const aOff = broadcastIndex('aBatchIndex', aBatch, batchShape, batchCoords);
  const bOff = broadcastIndex('bBatchIndex', bBatch, batchShape, batchCoords);

  const variableNames = ['A', 'B'];
  const ep = epilogue;
  const hasBias = ep?.bias !== undefined;
  const hasPrelu = ep?.activation === 'prelu';
  if (hasBias) variableNames.push('bias');
  if (hasPrelu) variableNames.push('preluWeights');
  const outCoords = [...batchCoords, 'row', 'col'];
  const epilogueFn = ep === undefined ? '' : `
fn bst_activation(a : f32, b : f32) -> f32 {
  ${ACTIVATIONS[ep.activation](f32Bits(ep.leakyreluAlpha ?? 0))}
}
fn bst_epilogue(value_in : f32, ${outCoords.map((c) => `${c} : i32`).join(', ')}) -> f32 {
  var value = value_in;
  ${hasBias ? `${broadcastIndex('bi', ep.bias!, outShape, outCoords)}\n  value = value + f32(bias[bi]);` : ''}
  ${hasPrelu ? `${broadcastIndex('pi', ep.prelu!, outShape, outCoords)}\n  let pw = f32(preluWeights[pi]);` : 'let pw = 0.0;'}
  return bst_activation(value, pw);
}`;

  const acc = (i: number, j: number) => `acc${i}${j}`;
  const store = range.flatMap((i) => range.map((j) => {
    const value = ep === undefined ? acc(i, j) : `bst_epilogue(${acc(i, j)}, ${[...batchCoords, `r${i}`, `c${j}`].join(', ')})`;
    return `if (r${i} < ${M} && c${j} < ${N}) { result[outBase + r${i} * ${N} + c${j}] = ${value}; }`;
  }));
  const userCode = `${epilogueFn}
fn main(index : i32) {
  _ = uniforms.NAN;
  if (index >= ${invocations}) { return; }
  let batch = index / ${gridM * gridN * WORKGROUP};
  let group = (index / ${WORKGROUP}) % ${gridM * gridN};
  let local = index % ${WORKGROUP};
  let mTile = (group / ${gridN}) * ${LOCAL} + local / ${LOCAL};
  let nTile = (group % ${gridN}) * ${LOCAL} + local % ${LOCAL};
  if (mTile >= ${tilesM} || nTile >= ${tilesN}) { return; }
  ${batchLines.join('\n  ')}
  ${aOff}
  ${bOff}
  let aBase = aBatchIndex * ${M * K};
  let bBase = bBatchIndex * ${K * N};
  let outBase = batch * ${M * N};
  ${range.map((i) => `let r${i} = mTile * ${TILE} + ${i};`).join('\n  ')}
  ${range.map((j) => `let c${j} = nTile * ${TILE} + ${j};`).join('\n  ')}
  ${range.map((i) => `let ar${i} = aBase + min(r${i}, ${M - 1}) * ${sAm};`).join('\n  ')}
  ${range.map((j) => `let bc${j}_ = bBase + min(c${j}, ${N - 1}) * ${sBn};`).join('\n  ')}
  ${range.flatMap((i) => range.map((j) => `var ${acc(i, j)} = 0.0;`)).join('\n  ')}
  for (var k = 0; k < ${K}; k = k + ${unroll}) {
    ${steps.map((u) => `let ak${u} = ${u === 0 ? 'k' : `(k + ${u})`} * ${sAk};`).join(' ')}
    ${steps.map((u) => `let bk${u} = ${u === 0 ? 'k' : `(k + ${u})`} * ${sBk};`).join(' ')}
    ${steps.flatMap((u) => [
      ...range.map((i) => `let a${i}_${u} = f32(A[ar${i} + ak${u}]);`),
      ...range.map((j) => `let b${j}_${u} = f32(B[bc${j}_ + bk${u}]);`),
    ]).join('\n    ')}
    ${range.flatMap((i) => range.map((j) => `${acc(i, j)} = ${steps.reduce((e, u) => `${u === 0 ? e : `(${e})`} + a${i}_${u} * b${j}_${u}`, acc(i, j))};`)).join('\n    ')}
  }
  ${store.join('\n  ')}
}
`;
  return {
    variableNames,
    outputShape: outShape,
    shaderKey: keyOf(plan, aBatch, bBatch, ep),
    dispatchLayout: { x: outShape.map((_, i) => i) },
    dispatch: [Math.ceil(groups / gy), gy, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    getUserCode: () => userCode,
  } as WebGPUProgram;
}

/**
 * The WGSL program of brainstate-ts's float32 matrix product on webgpu (`BatchMatMul` and
 * `_FusedMatMul`, ./matmul-kernels.ts): each invocation computes a block of one output
 * matrix in registers (its shape per product: {@link tilingFor}), looping over the shared
 * dimension in order, with no workgroup memory and no barriers.
 *
 * Why this shape: tfjs-backend-webgpu 4.22's `MatMulPackedProgram` stages tiles through
 * workgroup memory between `workgroupBarrier()`s. On a software adapter (SwiftShader, where
 * the webgpu suite and bench run) every barrier suspends and resumes each invocation, which
 * made a 128x784 · 784x256 product take 0.8 s and even 128x256 · 256x10 take 0.7 s
 * (bench/webgpu-profile.ts). Register blocking without barriers is what @jax-js/jax's
 * generated kernels do (per-thread accumulators over the reduced axis, upcast 4 on output
 * axes); on a hardware GPU each invocation's operands are served by the caches.
 *
 * Bits, whatever the block: element (i, j) is `acc = acc + a[i, k] * b[k, j]` for
 * k = 0, 1, …, K-1 in f32, starting from 0, then `+ bias` and the activation, with
 * tfjs-webgpu's own activation formulas (activation_util.js, unary_op_util.js), so
 * `_FusedMatMul` equals `BatchMatMul` followed by the separate `Add` and activation
 * kernels bit for bit (the jit's matmul-epilogue pass relies on it). Operands are read
 * through `f32(...)` / `vec4<f32>(...)`: a float32 tensor cast from int32 or bool keeps its
 * int32 buffer in tfjs-webgpu.
 */
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { MatMulPlan } from '../gemm/plan';

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

/**
 * How the program covers the output: each invocation computes a `tm` x `tn` block in
 * registers; operands and output are read and written four floats at a time where their
 * layout allows (`vec4`), in workgroups of `workgroup` invocations.
 */
export interface MatMulTiling {
  readonly tm: number;
  readonly tn: number;
  /** Read and write vec4s where the operand's or output's layout allows it. */
  readonly vec4: boolean;
  readonly workgroup: number;
}

/** The first program's tiling (4x4 blocks, scalar reads, workgroups of 256): bench/webgpu-gemm.ts's baseline. */
export const BASE_TILING: MatMulTiling = { tm: 4, tn: 4, vec4: false, workgroup: 256 };

/** Fewest invocations a tiling may leave a product (SwiftShader runs 4 per SIMD group on each core's thread). */
const MIN_INVOCATIONS = 32;
/** Most a block may overhang one output dimension, as a share of it (work on clamped rows is wasted). */
const MAX_OVERHANG = 1.25;

/** The largest block side (16, 8 or 4) that covers `d` with little overhang. */
function blockSide(d: number): number {
  return [16, 8].find((t) => Math.ceil(d / t) * t <= MAX_OVERHANG * d) ?? 4;
}

/**
 * The tiling of `plan` on an adapter that is `software` or not. The result's bits do not
 * depend on it: every tiling sums each element in k order.
 *
 * On a software adapter (SwiftShader: each invocation a lane of a 4-wide SIMD group on a
 * CPU thread), reads with per-lane addresses are gathers that cost several times a
 * multiply-add, so the largest block wins that neither overhangs the output much nor
 * leaves fewer than {@link MIN_INVOCATIONS} invocations: 16x16 took the MLP's
 * 128x784 · 784x256 from 28 to 13 ms and its 784x128 · 128x256 from 44 to 14 ms
 * (bench/webgpu-gemm.ts, shared machine). A hardware GPU wants many invocations instead:
 * 4x4 blocks with vec4 reads (not measured here: no GPU was lent to this work).
 */
export function tilingFor(plan: MatMulPlan, software: boolean): MatMulTiling {
  if (!software) return { tm: 4, tn: 4, vec4: true, workgroup: 64 };
  const batches = plan.aIndex.length;
  let tm = blockSide(plan.M);
  let tn = blockSide(plan.N);
  const invocations = () => batches * Math.ceil(plan.M / tm) * Math.ceil(plan.N / tn);
  while (invocations() < MIN_INVOCATIONS && (tm > 4 || tn > 4)) {
    if (tm >= tn) tm /= 2;
    else tn /= 2;
  }
  // Small workgroups spread the blocks evenly over SwiftShader's threads (64 was 1.2-1.3x slower).
  return { tm, tn, vec4: true, workgroup: 16 };
}

/** A key of everything the program's code depends on. */
function keyOf(p: MatMulPlan, aBatch: readonly number[], bBatch: readonly number[], e: Epilogue | undefined,
  t: MatMulTiling): string {
  const ep = e === undefined ? 'none' : `${e.activation}_${e.bias?.join('x') ?? '-'}_${e.prelu?.join('x') ?? '-'}_${e.leakyreluAlpha ?? 0}`;
  return `brainstate_matmul_${p.M}_${p.N}_${p.K}_${p.sAm}_${p.sAk}_${p.sBk}_${p.sBn}_${p.outShape.join('x')}_` +
    `${aBatch.join('x')}_${bBatch.join('x')}_${ep}_${t.tm}x${t.tn}${t.vec4 ? 'v' : 's'}${t.workgroup}`;
}

const X = ['x', 'y', 'z', 'w'];
const seq = (n: number) => [...Array(n).keys()];

/**
 * The program for `plan` (a's and b's batch dimensions `aBatch` / `bBatch`), with the
 * inputs `a`, `b`, then `bias` and `prelu` where the epilogue has them.
 */
export function matMulProgram(plan: MatMulPlan, aBatch: readonly number[], bBatch: readonly number[],
  epilogue?: Epilogue, tiling: MatMulTiling = BASE_TILING): WebGPUProgram {
  const { M, N, K, sAm, sAk, sBk, sBn, outShape } = plan;
  const { tm, tn, workgroup } = tiling;
  const batchShape = outShape.slice(0, -2);
  const batches = batchShape.reduce((x, y) => x * y, 1);
  const tilesM = Math.ceil(M / tm);
  const tilesN = Math.ceil(N / tn);
  // How each operand is read: four consecutive k of a row of A (or column of B), four
  // consecutive rows of A (columns of B) at one k, or one float at a time.
  const v = tiling.vec4;
  const aMode = v && sAk === 1 && K % 4 === 0 ? 'k4' : v && sAm === 1 && M % 4 === 0 && tm % 4 === 0 ? 'm4' : 'scalar';
  const bMode = v && sBn === 1 && N % 4 === 0 && tn % 4 === 0 ? 'n4' : v && sBk === 1 && K % 4 === 0 ? 'k4' : 'scalar';
  // Blocks larger than 4x4 apply a fused epilogue in a loop, not inlined per element: the
  // software adapter's shader compiler took seconds over 256 inlined copies.
  const loopEpilogue = epilogue !== undefined && tm * tn > 16;
  const outVec = v && !loopEpilogue && N % 4 === 0 && tn % 4 === 0;
  const step = aMode === 'k4' || bMode === 'k4' || K % 4 === 0 ? 4 : 1;
  const invocations = batches * tilesM * tilesN;
  const groups = Math.ceil(invocations / workgroup);
  const gy = Math.ceil(groups / MAX_GROUPS_PER_DIM);

  const variableNames = ['A', 'B'];
  const ep = epilogue;
  const hasBias = ep?.bias !== undefined;
  const hasPrelu = ep?.activation === 'prelu';
  if (hasBias) variableNames.push('bias');
  if (hasPrelu) variableNames.push('preluWeights');

  // The WGSL is built only when tfjs compiles the program (a pipeline-cache miss): the
  // 16x16 block's 40,000 characters took 1-2 ms per call to build.
  const userCode = (): string => {
    const batchCoords = batchShape.map((_, d) => `bc${d}`);
    const batchLines: string[] = [];
    for (let d = batchShape.length - 1, div = 1; d >= 0; d--) {
      batchLines.push(`let bc${d} = (batch / ${div}) % ${batchShape[d]};`);
      div *= batchShape[d];
    }
    const aOff = broadcastIndex('aBatchIndex', aBatch, batchShape, batchCoords);
    const bOff = broadcastIndex('bBatchIndex', bBatch, batchShape, batchCoords);

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

    const rows = seq(tm);
    const cols = seq(tn);
    const steps = seq(step);
    const acc = (i: number, j: number) => `acc${i}_${j}`;
    const valueAt = (i: number, j: number) =>
      ep === undefined ? acc(i, j) : `bst_epilogue(${acc(i, j)}, ${[...batchCoords, `r${i}`, `c${j}`].join(', ')})`;

    // Per-invocation bases (element indices; clamped so that reads past the edge stay in the buffer).
    const setup: string[] = [];
    if (aMode === 'k4') setup.push(...rows.map((i) => `let ar${i} = (aBase + min(r${i}, ${M - 1}) * ${K}) / 4;`));
    else if (aMode === 'm4') setup.push(...seq(tm / 4).map((g) => `let ag${g} = min(mTile * ${tm} + ${4 * g}, ${M - 4});`));
    else setup.push(...rows.map((i) => `let ar${i} = aBase + min(r${i}, ${M - 1}) * ${sAm};`));
    if (bMode === 'k4') setup.push(...cols.map((j) => `let bc${j}_ = (bBase + min(c${j}, ${N - 1}) * ${K}) / 4;`));
    else if (bMode === 'n4') setup.push(...seq(tn / 4).map((h) => `let bg${h} = min(nTile * ${tn} + ${4 * h}, ${N - 4});`));
    else setup.push(...cols.map((j) => `let bc${j}_ = bBase + min(c${j}, ${N - 1}) * ${sBn};`));

    // The loop body: loads of this step's operands, then the sums in k order.
    const body: string[] = [];
    const kAt = (u: number) => (u === 0 ? 'k' : `(k + ${u})`);
    const aVal: string[][] = rows.map(() => []);
    const bVal: string[][] = cols.map(() => []);
    if (aMode === 'k4') {
      for (const i of rows) {
        body.push(`let av${i} = vec4<f32>(A[ar${i} + k / 4]);`);
        for (const u of steps) aVal[i][u] = `av${i}.${X[u]}`;
      }
    } else if (aMode === 'm4') {
      for (const u of steps) {
        for (const g of seq(tm / 4)) {
          body.push(`let am${g}_${u} = vec4<f32>(A[(aBase + ${kAt(u)} * ${M} + ag${g}) / 4]);`);
          for (const c of seq(4)) aVal[4 * g + c][u] = `am${g}_${u}.${X[c]}`;
        }
      }
    } else {
      for (const u of steps) {
        for (const i of rows) {
          body.push(`let a${i}_${u} = f32(A[ar${i} + ${kAt(u)} * ${sAk}]);`);
          aVal[i][u] = `a${i}_${u}`;
        }
      }
    }
    if (bMode === 'k4') {
      for (const j of cols) {
        body.push(`let bv${j} = vec4<f32>(B[bc${j}_ + k / 4]);`);
        for (const u of steps) bVal[j][u] = `bv${j}.${X[u]}`;
      }
    } else if (bMode === 'n4') {
      for (const u of steps) {
        for (const h of seq(tn / 4)) {
          body.push(`let bn${h}_${u} = vec4<f32>(B[(bBase + ${kAt(u)} * ${N} + bg${h}) / 4]);`);
          for (const c of seq(4)) bVal[4 * h + c][u] = `bn${h}_${u}.${X[c]}`;
        }
      }
    } else {
      for (const u of steps) {
        for (const j of cols) {
          body.push(`let b${j}_${u} = f32(B[bc${j}_ + ${kAt(u)} * ${sBk}]);`);
          bVal[j][u] = `b${j}_${u}`;
        }
      }
    }
    for (const i of rows) {
      for (const j of cols) {
        body.push(`${acc(i, j)} = ${steps.reduce((e, u) => `${u === 0 ? e : `(${e})`} + ${aVal[i][u]} * ${bVal[j][u]}`, acc(i, j))};`);
      }
    }

    const store: string[] = [];
    if (loopEpilogue) {
      store.push(`var out : array<f32, ${tm * tn}>;`);
      for (const i of rows) for (const j of cols) store.push(`out[${i * tn + j}] = ${acc(i, j)};`);
      store.push(`for (var i = 0; i < ${tm}; i = i + 1) {
      let row = mTile * ${tm} + i;
      if (row >= ${M}) { break; }
      for (var j = 0; j < ${tn}; j = j + 1) {
        let col = nTile * ${tn} + j;
        if (col >= ${N}) { break; }
        result[outBase + row * ${N} + col] = bst_epilogue(out[i * ${tn} + j], ${[...batchCoords, 'row', 'col'].join(', ')});
      }
    }`);
    } else for (const i of rows) {
      if (outVec) {
        for (const h of seq(tn / 4)) {
          const js = seq(4).map((c) => 4 * h + c);
          store.push(`if (r${i} < ${M} && c${4 * h} < ${N}) { result[(outBase + r${i} * ${N} + c${4 * h}) / 4] = ` +
            `vec4<f32>(${js.map((j) => valueAt(i, j)).join(', ')}); }`);
        }
      } else {
        for (const j of cols) store.push(`if (r${i} < ${M} && c${j} < ${N}) { result[outBase + r${i} * ${N} + c${j}] = ${valueAt(i, j)}; }`);
      }
    }

    return `${epilogueFn}
  fn main(index : i32) {
    _ = uniforms.NAN;
    if (index >= ${invocations}) { return; }
    let batch = index / ${tilesM * tilesN};
    let tile = index % ${tilesM * tilesN};
    let mTile = tile / ${tilesN};
    let nTile = tile % ${tilesN};
    ${batchLines.join('\n  ')}
    ${aOff}
    ${bOff}
    let aBase = aBatchIndex * ${M * K};
    let bBase = bBatchIndex * ${K * N};
    let outBase = batch * ${M * N};
    ${rows.map((i) => `let r${i} = mTile * ${tm} + ${i};`).join('\n  ')}
    ${cols.map((j) => `let c${j} = nTile * ${tn} + ${j};`).join('\n  ')}
    ${setup.join('\n  ')}
    ${rows.flatMap((i) => cols.map((j) => `var ${acc(i, j)} = 0.0;`)).join('\n  ')}
    for (var k = 0; k < ${K}; k = k + ${step}) {
      ${body.join('\n    ')}
    }
    ${store.join('\n  ')}
  }
  `;
  };
  const components = (mode: string) => (mode === 'scalar' ? 1 : 4);
  return {
    variableNames,
    variableComponents: [components(aMode), components(bMode), ...variableNames.slice(2).map(() => 1)],
    outputComponent: outVec ? 4 : 1,
    outputShape: outShape,
    shaderKey: keyOf(plan, aBatch, bBatch, ep, tiling),
    dispatchLayout: { x: outShape.map((_, i) => i) },
    dispatch: [Math.ceil(groups / gy), gy, 1],
    workgroupSize: [workgroup, 1, 1],
    getUserCode: userCode,
  } as WebGPUProgram;
}

/**
 * Generates a WGSL compute program for a fused elementwise kernel: each invocation computes
 * groups of four consecutive elements of the domain (vec4 reads where the operands allow;
 * see `generateWgslPart`), each input element read once, every op computed in f32 with
 * tfjs-backend-webgpu's own formula (./wgsl-ops.ts) and stored back to its dtype between
 * ops exactly as tfjs-webgpu's kernels store their outputs (`i32(...)` for int32 and bool,
 * read again with `f32(...)`).
 *
 * The program runs through tfjs-webgpu's `runWebGPUProgram`, which writes one output
 * buffer (`result`). Outputs are laid out by an {@link OutputPlan}:
 * - `single`: one output, into a new buffer, or in place into a state's dead old buffer,
 *   whose old value is then read from `result` itself (each invocation reads its group
 *   before writing it);
 * - `packed`: several outputs, written one after the other into one int32 buffer (floats
 *   as their bits, each output from a multiple of 4), which the kernel then copies into one
 *   tensor each (buffer copies, not dispatches).
 */
import * as tf from '@tensorflow/tfjs';
import type { GpuProgram } from '../../backend/targets';
import { targetNamed } from '../../backend/targets';
import type { FusedSpec } from '../ir';
import { InternalError } from '../../errors';
import { refDtype } from './codegen-js';
import { noteKernelCompiled } from './compile-count';
import { fusedSpecKey, MAX_ENTRIES } from './kernel-cache';
import { WGSL_OPS } from './wgsl-ops';

/** Where a program's outputs go (see the file comment). */
export type OutputPlan =
  | { readonly kind: 'single'; readonly dtype: tf.DataType; readonly inPlaceInput: number }
  | { readonly kind: 'packed'; readonly dtypes: readonly tf.DataType[] };

/** A generated program, and which of the spec's inputs it binds (in order). */
export interface WgslKernel {
  readonly program: GpuProgram;
  /** Indices into the spec's non-literal inputs of the program's variables, in binding order. */
  readonly bound: readonly number[];
  /** The WGSL source of the program's own code (for inspection and tests). */
  readonly source: string;
  /** The values of the program's own uniforms (its inlined constants, as float32), in order. */
  readonly uniforms: readonly number[];
  /** Element offset in the program's output of each of the spec's outputs (a packed plan's copies start there). */
  readonly outOffsets: readonly number[];
}

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** The WGSL expression storing f32 `v` as `dtype`'s buffer element and reading it back. */
function stored(dtype: tf.DataType, v: string): string {
  return dtype === 'float32' ? v : `f32(i32(${v}))`;
}

/**
 * Ops whose result needs no barrier: logic (an exact 0 / 1, `f32` of a WGSL bool).
 * (Comparisons keep theirs: tfjs's formula stores `i32` of a NaN for NaN inputs, which a
 * compiler may treat as undefined. Negations keep theirs too: their rewrites are exact in IEEE
 * arithmetic, but a GPU that flushes denormals does so at each negation eagerly, and `-(-x)`
 * folded to `x` kept a denormal that eager's two kernels gave as -0 on an NVIDIA H200, fuzz
 * seed 1037487.) The fused LIF step (4 barriers) ran at 1.02x (N = 4,096)
 * and 1.03x (N = 100,000) the time of the same program without barriers on SwiftShader
 * (medians of three runs of 25 interleaved blocks; 1 dispatch either way).
 */
const NO_BARRIER = new Set(['LogicalAnd', 'LogicalOr', 'LogicalNot']);

/**
 * `v` (f32) with its bits passed through an XOR with the bits of `zero`, a uniform that
 * holds 0.0: the same value, which the shader compiler cannot see through. Eagerly, each
 * op's result goes through memory before the next op reads it; in one fused expression the
 * compiler folds op chains as real-number algebra, which IEEE rounding does not allow
 * (measured on SwiftShader: `a + (b - a)` gave `b`, fuzz seed 970033; `(a - b) + b`,
 * `(a * b) / b`, `a * (b / a)` and `a * b + a * c` were folded too; a hardware GPU's compiler
 * may contract `a * b + c` into a fused multiply-add). The barrier costs one integer XOR per
 * value a later op reads (none for {@link NO_BARRIER}'s ops).
 */
function opaque(v: string, zero: string): string {
  return `bitcast<f32>(bitcast<u32>(${v}) ^ bitcast<u32>(${zero}))`;
}

/** The smallest normal float32 (2^-126): smaller magnitudes are flushed to 0 on the GPU. */
const MIN_NORMAL_F32 = 2 ** -126;

/**
 * The values an operand is made of as the shader compiler sees them: an input or literal, or
 * an op's result behind its barrier; a {@link NO_BARRIER} op's result is made of its operands.
 */
function operandRoots(spec: FusedSpec, ref: number, into: Set<number>): Set<number> {
  const nIn = spec.inputs.length;
  const op = ref < nIn ? undefined : spec.ops[ref - nIn];
  if (op === undefined || !NO_BARRIER.has(op.kernel)) into.add(ref);
  else for (const a of op.args) operandRoots(spec, a, into);
  return into;
}

/**
 * Per operand of an op, undefined, or `p` (1, 2) when it shares a value with an earlier
 * operand: then it passes a barrier of its own (`zero${p}`). Eagerly each operand is a load
 * from its own binding, which no compiler can prove equal to another; in a fused expression
 * `a / a` is one value twice, and NVIDIA's Vulkan compiler folded it to 1 where eager's
 * division (`a * (1 / a)` there) gave 0.99999994, and `(a / a) * a` to `a` where eager gave
 * NaN for 0 and infinity (fuzz seeds 1022813 and 475 on an H200; SwiftShader divides exactly
 * and folded neither).
 */
function distinctOperands(spec: FusedSpec, args: readonly number[]): (number | undefined)[] {
  const seen = new Set<number>();
  return args.map((a, i) => {
    const roots = operandRoots(spec, a, new Set());
    const shared = [...roots].some((r) => seen.has(r));
    for (const r of roots) seen.add(r);
    return shared ? i : undefined;
  });
}

/**
 * Whether tfjs-webgpu would run binary op `op` as its vec4 program, for ops whose result
 * depends on it (Pow); undefined when the arguments' shapes are not known here (an input
 * read as a scalar, broadcast, or inlined constant) and the result could depend on it.
 */
function vec4Choice(spec: FusedSpec, opIndex: number): boolean | undefined {
  const op = spec.ops[opIndex];
  const nIn = spec.inputs.length;
  const domainShaped = (r: number) => r >= nIn || spec.inputs[r].mode === 'full';
  const literal = (r: number) => {
    const i = r < nIn ? spec.inputs[r] : undefined;
    return i?.mode === 'literal' ? i.value : undefined;
  };
  const [a, b] = op.args;
  // Pow's two programs differ for pow(NaN, 0), and for a base of at most 0 with an infinite
  // exponent (on SwiftShader the scalar program's `round(abs(b) % 2.0) != 1.0` is false for
  // NaN, so it takes `sign(a) * pow(...)`: pow(-3, inf) is -inf there, inf in the vec4 one;
  // fuzz seed 1006379), denormals counting as 0 (flushed). So a literal decides alone only as
  // a normal positive base or a normal finite exponent; a literal's shape, which picks the
  // program with the other operand's, is not known here.
  const la = literal(a);
  const lb = literal(b);
  const normal = (v: number) => Math.abs(Math.fround(v)) >= MIN_NORMAL_F32;
  if ((la !== undefined && la > 0 && normal(la)) || (lb !== undefined && Number.isFinite(lb) && normal(lb))) return false;
  if (!domainShaped(a) || !domainShaped(b)) return undefined;
  return spec.shape.length > 0 && spec.shape[spec.shape.length - 1] % 4 === 0;
}

/** WebGPU's default maxStorageBuffersPerShaderStage, for a backend that does not say its own. */
const DEFAULT_STORAGE_BUFFERS = 8;

/** A lower limit set by {@link withStorageBufferLimit}, or undefined. */
let forcedLimit: number | undefined;

/**
 * The most storage buffers one generated program may bind on the current backend, the
 * output included: the device's `maxStorageBuffersPerShaderStage` (read when a program is
 * compiled). A program binding more would fail WebGPU's validation, and with it every
 * program submitted in the same command buffer.
 */
export function wgslStorageBufferLimit(): number {
  const device = targetNamed(tf.getBackend())?.gpuFusion?.maxStorageBuffers() ?? DEFAULT_STORAGE_BUFFERS;
  return forcedLimit === undefined ? device : Math.min(device, forcedLimit);
}

/**
 * Compiles inside `fn` as if the device bound at most `limit` storage buffers per program
 * (specs: a device with a lower limit than the one at hand). Restores the limit on return or throw.
 */
export function withStorageBufferLimit<R>(limit: number, fn: () => R): R {
  if (!Number.isInteger(limit) || limit < 2) {
    throw new InternalError(`withStorageBufferLimit: expected an integer limit of at least 2 (an input and the output), got ${limit}`);
  }
  const before = forcedLimit;
  forcedLimit = limit;
  try {
    return fn();
  } finally {
    forcedLimit = before;
  }
}

/**
 * Whether `spec` can run as one program: every op's formula is known, and its inputs and
 * output fit the storage-buffer limit (else the kernel always replays the group unfused).
 */
export function wgslSupports(spec: FusedSpec, limit = wgslStorageBufferLimit()): boolean {
  if (spec.inputs.filter((i) => i.mode !== 'literal').length + 1 > limit) return false;
  return spec.ops.every((op, j) => WGSL_OPS[op.kernel] !== undefined &&
    (WGSL_OPS[op.kernel].shapeDependent !== true || vec4Choice(spec, j) !== undefined));
}

/** The element index of a broadcast input for flat domain index `at` (a WGSL i32 expression's name). */
function stridedIndex(shape: readonly number[], strides: readonly number[], at = 'index'): string {
  const terms: string[] = [];
  let inner = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (strides[d] !== 0 && shape[d] !== 1) {
      const coord = inner === 1 ? `(${at} % ${shape[d]})` : `((${at} / ${inner}) % ${shape[d]})`;
      terms.push(strides[d] === 1 ? coord : `${coord} * ${strides[d]}`);
    }
    inner *= shape[d];
  }
  return terms.length === 0 ? '0' : terms.join(' + ');
}

/**
 * Elements per group: each invocation computes groups of {@link LANES} consecutive elements,
 * reading every operand that is contiguous over a group as one vec4 (tfjs-webgpu's own
 * elementwise programs do the same). Each element (lane) still runs the scalar code of one
 * element, op by op with the same barriers, so a lane's bits are those of the one-element
 * program. On SwiftShader the SGD update of the MLP's 203,520 parameters (`w - 0.01 * g`)
 * took 7.6 ms of CPU at one element per invocation, 6.2 at one vec4 group, 4.2 at 2 groups,
 * 3.7 at 4, 3.6 at 8 and 3.4 at 16 (medians of 7 blocks; scalar reads of 4 elements per
 * group were about as fast as vec4 reads, one bounds check per element 1.6x slower).
 */
export const LANES = 4;
const SWIZZLE = ['x', 'y', 'z', 'w'];

/** WebGPU's default maxComputeWorkgroupsPerDimension: beyond it tfjs-webgpu reshapes the dispatch. */
const MAX_WORKGROUPS = 65535;

/** How a program's groups are spread over invocations. */
export interface Launch {
  readonly workgroupSize: number;
  readonly workgroups: number;
  /** Groups each invocation computes, `stride` groups apart (consecutive invocations read consecutive groups). */
  readonly perInvocation: number;
  /** Invocations in all: `workgroups * workgroupSize`. */
  readonly stride: number;
}

/**
 * The launch of a program over `groups` groups: several groups per invocation once there are
 * enough of them to keep many invocations busy (SwiftShader, which runs invocations on the
 * CPU, paid per invocation: see {@link LANES}; a hardware GPU wants thousands of invocations,
 * which these still leave), and a workgroup no larger than the groups (a tiny program's idle
 * invocations still run their bounds check). Workgroups of 32, 128 and 256 ran the MLP update
 * as fast as 64.
 */
export function launchFor(groups: number): Launch {
  const workgroupSize = groups >= 64 ? 64 : Math.max(8, 2 ** Math.ceil(Math.log2(Math.max(1, groups))));
  let perInvocation = groups >= 32768 ? 8 : groups >= 8192 ? 4 : groups >= 2048 ? 2 : 1;
  // A dispatch within one dimension's limit, so that the invocation index is `globalId.x` and the stride exact.
  perInvocation = Math.max(perInvocation, Math.ceil(groups / (MAX_WORKGROUPS * workgroupSize)));
  const workgroups = Math.max(1, Math.ceil(Math.ceil(groups / perInvocation) / workgroupSize));
  return { workgroupSize, workgroups, perInvocation, stride: workgroups * workgroupSize };
}

/**
 * The program's `main`: invocation `t` runs `call(g)` for its groups `t, t + stride, ...`
 * below `groups`. An invocation beyond `stride` (tfjs-webgpu reshapes a dispatch it finds too
 * large) returns at once: it would compute another invocation's group a second time, which an
 * in-place program must not.
 */
export function mainLoop(groups: number, launch: Launch, call: (g: string) => string): string {
  const loop = launch.perInvocation === 1
    ? `let g = t;\n  if (g >= ${groups}) { return; }\n  ${call('g')}`
    : `for (var j = 0; j < ${launch.perInvocation}; j++) {\n    let g = t + j * ${launch.stride};\n` +
      `    if (g >= ${groups}) { return; }\n    ${call('g')}\n  }`;
  return `fn main(t : i32) {\n  _ = uniforms.NAN;\n  if (t >= ${launch.stride}) { return; }\n  ${loop}\n}\n`;
}

/** The program fields of a launch over one flat dispatch. */
export function launchFields(launch: Launch): Pick<GpuProgram, 'dispatch' | 'workgroupSize'> {
  return { dispatch: [launch.workgroups, 1, 1], workgroupSize: [launch.workgroupSize, 1, 1] };
}

/**
 * Names for one part of a program of several parts (./wgsl-parts.ts): every function,
 * variable and uniform the part declares starts with `prefix`, its entry is
 * `${prefix}group(g)` (group g of its own elements), and a packed plan writes from element
 * `outOffset` (a multiple of {@link LANES}) of `result`.
 */
export interface PartNaming {
  readonly prefix: string;
  readonly outOffset: number;
}

/** A spec's code as the part of a program: its functions, and what its program binds and declares. */
export interface WgslPartCode {
  /** The part's functions, its entry `${prefix}group(g : i32)` last. */
  readonly source: string;
  /** Groups of {@link LANES} elements: ceil(domain size / LANES). */
  readonly groups: number;
  readonly variableNames: readonly string[];
  /** Per variable: 4 when read as vec4, else 1. */
  readonly variableComponents: readonly number[];
  /** Indices into the spec's non-literal inputs of the variables, in binding order. */
  readonly bound: readonly number[];
  readonly uniformNames: readonly string[];
  readonly uniforms: readonly number[];
  /** The `result` array's components the part's writes need: 4 (vec4 stores) or 1. */
  readonly outputComponent: number;
  /** Element offset in `result` of each of the spec's outputs. */
  readonly outOffsets: readonly number[];
  /** Elements of `result` the part writes to, padding included (packed plans). */
  readonly outElements: number;
}

/**
 * The code of `spec` with outputs laid out by `plan`, as the part `part` of a program.
 *
 * A group's operands: an input of the domain's shape, and a broadcast input whose last axis
 * is the domain's, are read as one vec4 when the domain's size (for the broadcast input: its
 * last axis) is a multiple of 4, so the group's four elements lie in one vec4 of theirs; an
 * input broadcast along that last axis is read once for the group; others once per lane.
 * When the domain's size is not a multiple of 4, the last group is partial and every lane
 * checks its index. A `single` output is stored as one vec4 per group when the size allows
 * (else per lane); `packed` outputs always as vec4s, each output's elements from a multiple
 * of 4 (the padding lanes hold 0 and are never copied out).
 */
export function generateWgslPart(spec: FusedSpec, plan: OutputPlan, part: PartNaming = { prefix: '', outOffset: 0 }): WgslPartCode {
  const pre = part.prefix;
  const n = sizeOf(spec.shape);
  const groups = Math.ceil(n / LANES);
  const whole = n % LANES === 0; // every group has four elements
  const last = spec.shape.length > 0 ? spec.shape[spec.shape.length - 1] : 1;
  const rowsOfFour = whole && last % LANES === 0; // a group's elements share every coordinate but the last
  const nIn = spec.inputs.length;
  const lines: string[] = [];
  let constantsRead = false;
  spec.ops.forEach((op, j) => {
    const form = WGSL_OPS[op.kernel];
    if (form === undefined) throw new InternalError(`${op.kernel} has no WGSL form`);
    const params = op.kernel === 'Select' ? ['c', 't', 'e'] : op.args.length === 1 ? ['a'] : ['a', 'b'];
    const ctx = { attrs: op.attrs, inDtypes: op.args.map((a) => refDtype(spec, a)), outDtype: op.dtype };
    // Attributes written as WGSL constants pass the barrier too: tfjs-webgpu passes them as
    // uniforms, and SwiftShader folds constant operands (`clamp(x, -0, 0.5)` gave +0 for a -0
    // that eager's clamp kept: fuzz seed 980833).
    const body = form
      .body(ctx, form.shapeDependent === true ? vec4Choice(spec, j) === true : false)
      .replace(/bitcast<f32>\((0x[0-9a-f]+u)\)/g, (_, bits: string) => {
        constantsRead = true;
        return `bitcast<f32>(${bits} ^ bitcast<u32>(uniforms.${pre}zero))`;
      });
    lines.push(`fn ${pre}bst_op${j}(${params.map((p) => `${p} : f32`).join(', ')}) -> f32 {\n  ${body.trim()}\n}`);
  });

  const single = plan.kind === 'single';
  const outputComponent = single && !whole ? 1 : LANES;
  const used = new Set<number>();
  for (const op of spec.ops) for (const a of op.args) if (a < nIn) used.add(a);

  const bound: number[] = [];
  const variableNames: string[] = [];
  const variableComponents: number[] = [];
  // Per input ref: statements run once per group, and the f32 expression of lane `l` (index `index`).
  const hoisted: string[] = [];
  const lane: ((l: number) => string)[] = [];
  // Constants are uniforms, as tfjs-webgpu passes its scalars and attributes: a WGSL constant
  // lets the shader compiler rewrite the arithmetic (x / c as x * (1 / c) on SwiftShader, 1 ulp
  // off: fuzz seed 642), while eagerly the kernel divides by a value it reads at run time.
  const uniformNames: string[] = [];
  const uniformValues: number[] = [];
  let k = 0; // index among non-literal inputs
  spec.inputs.forEach((inp, r) => {
    if (inp.mode === 'literal') {
      const u = `${pre}lit${uniformNames.length}`;
      uniformNames.push(u);
      uniformValues.push(Math.fround(inp.value));
      lane.push(() => `uniforms.${u}`);
      return;
    }
    const nonLiteral = k++;
    const needed = used.has(r);
    if (plan.kind === 'single' && plan.inPlaceInput === nonLiteral) {
      // In place: the group's old elements are read before any is written.
      if (outputComponent === LANES) {
        if (needed) hoisted.push(`let x${r} = result[g];`);
        lane.push((l) => `f32(x${r}.${SWIZZLE[l]})`);
      } else {
        lane.push(() => 'f32(result[index])');
      }
      return;
    }
    const name = `${pre}X${variableNames.length}`;
    variableNames.push(name);
    bound.push(nonLiteral);
    let components = 1;
    if (inp.mode === 'full' && whole) {
      components = LANES;
      if (needed) hoisted.push(`let x${r} = ${name}[g];`);
      lane.push((l) => `f32(x${r}.${SWIZZLE[l]})`);
    } else if (inp.mode === 'full') {
      lane.push(() => `f32(${name}[index])`);
    } else if (inp.mode === 'scalar') {
      if (needed) hoisted.push(`let x${r} = f32(${name}[0]);`);
      lane.push(() => `x${r}`);
    } else if (rowsOfFour && inp.strides[inp.strides.length - 1] === 1) {
      // Its last axis is the domain's (a multiple of 4): every stride is a multiple of 4 too.
      components = LANES;
      if (needed) hoisted.push(`let x${r} = ${name}[(${stridedIndex(spec.shape, inp.strides, 'base')}) / ${LANES}];`);
      lane.push((l) => `f32(x${r}.${SWIZZLE[l]})`);
    } else if (rowsOfFour && inp.strides[inp.strides.length - 1] === 0) {
      if (needed) hoisted.push(`let x${r} = f32(${name}[${stridedIndex(spec.shape, inp.strides, 'base')}]);`);
      lane.push(() => `x${r}`);
    } else {
      lane.push(() => `f32(${name}[${stridedIndex(spec.shape, inp.strides)}])`);
    }
    variableComponents.push(components);
  });

  const name = (r: number) => (r < nIn ? `a${r}` : `v${r - nIn}`);
  // Values a later op reads go through an opaque barrier (see `opaque`), as eager's pass through memory.
  const readLater = new Set<number>();
  for (const op of spec.ops) {
    for (const a of op.args) if (a >= nIn && !NO_BARRIER.has(spec.ops[a - nIn].kernel)) readLater.add(a - nIn);
  }
  const zero = `${pre}zero`;
  if (readLater.size > 0 || constantsRead) {
    uniformNames.push(zero);
    uniformValues.push(0);
  }
  const operands = spec.ops.map((op) => distinctOperands(spec, op.args));
  const repeatZeros = Math.max(0, ...operands.flatMap((o) => o.map((p) => p ?? 0)));
  for (let p = 1; p <= repeatZeros; p++) {
    uniformNames.push(`${zero}${p}`);
    uniformValues.push(0);
  }
  const outDtypes = plan.kind === 'single' ? [plan.dtype] : plan.dtypes;
  const padded = groups * LANES;
  const outOffsets = spec.outputs.map((_, m) => part.outOffset + m * padded);
  // The WGSL value of output m stored as `result` holds it.
  const store = (m: number, v: string) => (plan.kind === 'packed'
    ? (outDtypes[m] === 'float32' ? `bitcast<i32>(${v})` : `i32(${v})`)
    : (outDtypes[m] === 'float32' ? v : `i32(${v})`));
  const laneCode = (l: number): string => {
    const body: string[] = [];
    for (const r of [...used].sort((x, y) => x - y)) body.push(`let a${r} = ${lane[r](l)};`);
    spec.ops.forEach((op, j) => {
      const args = op.args.map((a, i) => {
        const p = operands[j][i];
        return p === undefined ? name(a) : opaque(name(a), `uniforms.${zero}${p}`);
      });
      const v = stored(op.dtype, `${pre}bst_op${j}(${args.join(', ')})`);
      body.push(`let v${j} = ${readLater.has(j) ? opaque(v, `uniforms.${zero}`) : v};`);
    });
    spec.outputs.forEach((r, m) => {
      body.push(outputComponent === LANES
        ? `o${m}.${SWIZZLE[l]} = ${store(m, name(r))};`
        : `result[${outOffsets[m]} + index] = ${store(m, name(r))};`);
    });
    const head = `let index = base + ${l};`;
    if (!whole) return `{\n    ${head}\n    if (index < ${n}) {\n      ${body.join('\n      ')}\n    }\n  }`;
    return `{\n    ${body.join('\n').includes('index') ? `${head}\n    ` : ''}${body.join('\n    ')}\n  }`;
  };
  const outType = (m: number) => (plan.kind === 'packed' || outDtypes[m] !== 'float32' ? 'vec4<i32>' : 'vec4<f32>');
  const group: string[] = ['let base = g * 4;', ...hoisted];
  if (outputComponent === LANES) spec.outputs.forEach((_, m) => group.push(`var o${m} = ${outType(m)}();`));
  for (let l = 0; l < LANES; l++) group.push(laneCode(l));
  if (outputComponent === LANES) spec.outputs.forEach((_, m) => group.push(`result[${outOffsets[m] / LANES} + g] = o${m};`));
  const source = `${lines.join('\n')}\nfn ${pre}group(g : i32) {\n  ${group.join('\n  ')}\n}\n`;
  return {
    source, groups, variableNames, variableComponents, bound, uniformNames, uniforms: uniformValues,
    outputComponent, outOffsets, outElements: spec.outputs.length * padded,
  };
}

/** Generates the program of `spec` with outputs laid out by `plan`. */
export function generateWgslKernel(spec: FusedSpec, plan: OutputPlan): WgslKernel {
  const code = generateWgslPart(spec, plan);
  const launch = launchFor(code.groups);
  const source = `${code.source}${mainLoop(code.groups, launch, (g) => `group(${g});`)}`;
  const outputShape = plan.kind === 'single' ? [...spec.shape] : [code.outElements];
  const program: GpuProgram = {
    outputShape,
    // tfjs keys its pipeline cache by this plus the inputs' and output's shapes and dtypes:
    // the source itself, so that no two programs can share a key (it holds each binding's
    // vec4 or scalar reads).
    shaderKey: `brainstate_fused_${source}`,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    ...launchFields(launch),
    variableNames: [...code.variableNames],
    variableComponents: [...code.variableComponents],
    outputComponent: code.outputComponent,
    ...(code.uniformNames.length > 0 ? { uniforms: code.uniformNames.map((u) => `${u} : f32, `).join('') } : {}),
    getUserCode: () => source,
  };
  return { program, bound: code.bound, source, uniforms: code.uniforms, outOffsets: code.outOffsets };
}

const programs = new Map<string, WgslKernel>();

/**
 * The program of `spec` under `plan`, generated once (shared between structurally
 * identical programs, as ./kernel-cache.ts shares JS and SIMD kernels).
 */
export function wgslKernelFor(spec: FusedSpec, formulas: string, plan: OutputPlan): WgslKernel {
  const key = `${fusedSpecKey(spec, formulas)}|${JSON.stringify(plan)}`;
  const hit = programs.get(key);
  if (hit !== undefined) return hit;
  if (programs.size >= MAX_ENTRIES) programs.delete(programs.keys().next().value as string);
  const made = generateWgslKernel(spec, plan);
  noteKernelCompiled();
  programs.set(key, made);
  return made;
}

/**
 * The WGSL form of each fusible elementwise kernel, as tfjs-backend-webgpu 4.22 computes it,
 * so that a fused WGSL kernel (./codegen-wgsl.ts) gives the bits of the unfused kernels.
 *
 * Each form is the body of a WGSL function `fn(a : f32[, b : f32]) -> f32` (Select:
 * `c, t, e`), copied from tfjs-backend-webgpu's own shader snippets (`unary_op_util.js`,
 * `binary_op_util.js`, `clip_webgpu.js`, `select_webgpu.js`, kernels/Cast.js), with
 * uniforms that hold attributes (`alpha`, `stepAlpha`, `minVal`) written as the exact
 * float32 bits tfjs would upload. tfjs-webgpu computes every kernel in f32, reading int32
 * and bool data with `f32(...)` and storing with `i32(...)`; the emitter does the same
 * between ops, so int32 arithmetic follows the GPU kernels (rounding beyond 2^24).
 *
 * `cpuForward`: tfjs-webgpu runs the kernel on its CPU implementation (JavaScript
 * formulas) when every input is host data smaller than WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD
 * (1000 elements by default). A fused kernel would compute such an op in WGSL instead, so
 * the fused kernel replays the group unfused whenever one of its ops would be forwarded
 * (see ./wgsl-kernel.ts).
 *
 * Registered as the backend forms of the formulas key {@link WGSL_FORMULAS} (ops.ts
 * `registerBackendForms`), which is what `dtype` acceptance and `when` say for fusion there.
 */
import * as tf from '@tensorflow/tfjs';
import { backend_util } from '@tensorflow/tfjs';
import type { EmitContext } from './simd-emit';
import { BackendForm, ELEMENTWISE_OPS, registerBackendForms } from './ops';

/** The formulas key of tfjs-backend-webgpu's WGSL kernels (a backend target's `formulas`). */
export const WGSL_FORMULAS = 'wgsl';

/** How one op is computed in a fused WGSL kernel. */
export interface WgslForm {
  /** Input dtypes fused (Select's condition aside); empty: never fused. */
  readonly accepts: readonly tf.DataType[];
  readonly when?: (c: EmitContext) => boolean;
  /**
   * The function body (statements ending in `return`), over the parameters `a` (and `b`;
   * Select: `c`, `t`, `e`), all f32. `vec4`: whether tfjs-webgpu would run the op as its
   * vec4 program on these shapes (only Pow's result depends on it).
   */
  readonly body: (c: EmitContext, vec4: boolean) => string;
  /** tfjs-webgpu hands the kernel to its CPU implementation for small host inputs. */
  readonly cpuForward?: boolean;
  /** Whether the body depends on `vec4` (then the arguments' shapes must be known). */
  readonly shapeDependent?: boolean;
  /** Why the op is not fused, or differs from the record's dtypes (for readers). */
  readonly why?: string;
}

const F32: readonly tf.DataType[] = ['float32'];
const I32: readonly tf.DataType[] = ['int32'];
const NUM: readonly tf.DataType[] = ['float32', 'int32'];
const ANY: readonly tf.DataType[] = ['float32', 'int32', 'bool'];

/** The exact float32 bits of `v` as a WGSL expression (uniforms are uploaded as float32). */
export function wgslF32(v: unknown): string {
  const bits = new Uint32Array(new Float32Array([Number(v)]).buffer)[0];
  return `bitcast<f32>(0x${bits.toString(16)}u)`;
}

const unary = (code: string, accepts = NUM, extra: Partial<WgslForm> = {}): WgslForm =>
  ({ accepts, body: () => code, ...extra });

/** tfjs-webgpu's binary ops without a NaN check: `let resultTemp = ...; return resultTemp;`. */
const plain = (snippet: string, accepts = NUM, extra: Partial<WgslForm> = {}): WgslForm =>
  ({ accepts, body: () => `${snippet}\n  return resultTemp;`, ...extra });

/** tfjs-webgpu's NaN-checked binary ops (getBinaryOpString: MAX, MIN, MOD, NOT_EQUAL, POW, ATAN2), scalar form. */
function nanChecked(snippet: string): string {
  return `
  let aIsNaN = isnan(a);
  let aPostLegalization = select(a, f32(42), aIsNaN);
  let bIsNaN = isnan(b);
  let bPostLegalization = select(b, f32(42), bIsNaN);
  let isNaN = false;
  let valueForNaN = uniforms.NAN;
  {
    let a = aPostLegalization;
    let b = bPostLegalization;
    ${snippet}
    return select(resultTemp, f32(valueForNaN), bool(isNaN) | aIsNaN | bIsNaN);
  }`;
}

/** The vec4 form's NaN check, one lane (isnanVec4 / vec4<bool>(isNaN) per component). */
function nanCheckedVec4Lane(snippet: string): string {
  return nanChecked(snippet);
}

const COMPARE = (op: string): WgslForm => plain(`
  let zero = sign(a) * 0 + 0;
  let one = sign(b) * 0 + 1;
  let resultTemp = select(zero, one, a ${op} b);`, ANY, { cpuForward: true });

const MOD = `
  let isNaN = b == 0.;
  var resultTemp = a % b;
  resultTemp = select((resultTemp + b) % b, resultTemp,
      (a < 0. && b < 0.) || (a >= 0. && b > 0.));`;
const POW = `
  let isNaN = a < 0.0 && floor(b) < b;
  if (b == 0.0) {
    return 1.0;
  }
  var resultTemp = select(sign(a) * pow(abs(a), b), pow(abs(a), b),
      round(abs(b) % 2.0) != 1.0);`;
// POW_VEC4 per lane: the multiplier form, a^0 = 1 set before the NaN check (so pow(NaN, 0) is NaN there).
const POW_VEC4_LANE = `
  let isModRound1 = f32(i32(round(abs(b) % 2.0)) == 1);
  let multiplier = sign(a) * isModRound1 + (1.0 - isModRound1);
  var resultTemp = multiplier * pow(abs(a), b);
  if (b == 0.0) {
    resultTemp = 1.0;
  }
  let isNaN = (a < 0.0) & (floor(b) < b);`;

const UNARY_ERF = `
  let p = ${backend_util.ERF_P};
  let a1 = ${backend_util.ERF_A1};
  let a2 = ${backend_util.ERF_A2};
  let a3 = ${backend_util.ERF_A3};
  let a4 = ${backend_util.ERF_A4};
  let a5 = ${backend_util.ERF_A5};

  let sign = sign(a);
  let absA = abs(a);
  let t = 1.0 / (1.0 + p * absA);
  return sign * (1.0 - (((((a5 * t + a4) * t) + a3) * t + a2) * t + a1) * t * exp(-absA * absA));`;

const SOFTPLUS = `
  let epsilon = 1.1920928955078125e-7;
  let threshold = log(epsilon) + 2.0;

  let too_large = a > -threshold;
  let too_small = a < threshold;
  let exp_a = exp(a);

  if (too_large) {
    return a;
  } else if (too_small) {
    return exp_a;
  } else {
    return log(exp_a + 1.0);
  }`;

/** WGSL forms by tfjs kernel name (every record of ELEMENTWISE_OPS has one). */
export const WGSL_OPS: Readonly<Record<string, WgslForm>> = {
  Abs: unary('return abs(a);', NUM, { cpuForward: true }),
  Neg: unary('return -a;', NUM, { cpuForward: true }),
  Exp: unary('return exp(a);', F32, { cpuForward: true }),
  Expm1: unary('return exp(a) - 1.0;', F32, { cpuForward: true }),
  Log: unary('if (a < 0.0) { return uniforms.NAN; }\n  return log(a);', F32, { cpuForward: true }),
  Log1p: unary('if (isnan(a)) { return a; }\n  return log(1.0 + a);', F32),
  Sqrt: unary('return sqrt(a);', F32),
  Rsqrt: unary('return inverseSqrt(a);', F32, { cpuForward: true }),
  Square: unary('return a * a;', NUM),
  Reciprocal: unary('return 1.0 / a;', F32),
  Sin: unary('return sin(a);', F32),
  Cos: unary('return cos(a);', F32),
  Tan: unary('return tan(a);', F32),
  Tanh: unary('let e2x = exp(-2.0 * abs(a));\n  return sign(a) * (1.0 - e2x) / (1.0 + e2x);', F32),
  Sigmoid: unary('return 1.0 / (1.0 + exp(-1.0 * a));', F32),
  Relu: unary('return select(a, 0.0, a < 0.0);', NUM),
  Relu6: unary('return clamp(a, 0.0, 6.0);', NUM),
  Elu: unary('if (a >= 0.0) { return a; }  return (exp(a) - 1.0);', F32),
  Selu: unary(`if (a >= 0.0) {
    return ${backend_util.SELU_SCALE} * a;
  } else {
    return ${backend_util.SELU_SCALEALPHA} * (exp(a) - 1.0);
  }`, F32),
  LeakyRelu: { accepts: F32, body: (c) => `if (a < 0.0) { return ${wgslF32(c.attrs.alpha)} * a; } return a;` },
  Step: {
    accepts: NUM,
    body: (c) => `if (isnan(a)) {\n    return a;\n  }\n  return select(${wgslF32(c.attrs.alpha)}, 1.0, a > 0.0);`,
  },
  Floor: unary('return floor(a);', NUM, { cpuForward: true }),
  Ceil: unary('return ceil(a);', NUM, { cpuForward: true }),
  Round: unary('return round(a);', NUM),
  Sign: unary('return sign(a);', NUM),
  ClipByValue: {
    accepts: NUM,
    body: (c) => `if (isnan(a)) { return a; }\n  return clamp(a, ${wgslF32(c.attrs.clipValueMin)}, ${wgslF32(c.attrs.clipValueMax)});`,
  },
  Erf: unary(UNARY_ERF, F32),
  Softplus: unary(SOFTPLUS, F32),
  IsNan: { accepts: [], body: () => 'return f32(isnan(a));', why: 'tfjs-backend-webgpu 4.22 registers no IsNan kernel' },
  LogicalNot: unary('return f32(!(a >= 1.0));', ['bool']),
  Cast: {
    accepts: ANY,
    cpuForward: true,
    // A cast without encoding loss shares its input's buffer (an int32 buffer read as float32
    // keeps ints beyond 2^24 exact): a fused f32 result would round them, so it stays unfused
    // (it costs no dispatch).
    when: (c) => tf.util.hasEncodingLoss(c.inDtypes[0], c.outDtype),
    body: (c) => {
      const from = c.inDtypes[0];
      if (c.outDtype === 'int32' && from === 'float32') return 'return f32(i32((a)));'; // kernel_utils/int.js: TO_INT
      if (c.outDtype === 'bool' && from !== 'bool') {
        // Cast to bool is NotEqual(x, 0): NaN gives true.
        return `let b = 0.0;${nanChecked('var resultTemp = f32(a != b);\n    let valueForNaN = 1.0;')}`;
      }
      return 'return a;'; // bool to int32 and the like: not fused (see `when`), kept for completeness
    },
  },
  ZerosLike: unary('return 0.0;', ANY, { why: 'Fill with 0' }),
  OnesLike: unary('return 1.0;', ANY, { why: 'Fill with 1' }),

  Add: plain('let resultTemp = a + b;', NUM, { cpuForward: true }),
  Sub: plain('let resultTemp = a - b;', NUM, { cpuForward: true }),
  Multiply: plain('let resultTemp = a * b;', NUM, { cpuForward: true }),
  RealDiv: plain('let resultTemp = a / b;', F32),
  FloorDiv: plain(`
  let remainder =
      select(a % b, round(a % b), (round(a) == a) & (round(b) == b));
  let quotient = (a - remainder) / b;
  let resultTemp =
      round(select(quotient, quotient - 1, sign(remainder) == -sign(b)));`, I32,
  { cpuForward: true, why: 'tfjs-webgpu\'s FloorDiv returns int32 for float32 inputs too: fused for int32 only' }),
  Mod: { accepts: NUM, body: () => nanChecked(MOD) },
  Pow: {
    accepts: NUM,
    shapeDependent: true,
    body: (_c, vec4) => (vec4 ? nanCheckedVec4Lane(POW_VEC4_LANE) : nanChecked(POW)),
    why: 'tfjs-webgpu\'s vec4 and scalar Pow programs differ (pow(NaN, 0), and a base of at most 0 to an infinite ' +
      'power: ./codegen-wgsl.ts vec4Choice)',
  },
  Maximum: { accepts: NUM, cpuForward: true, body: () => nanChecked('let resultTemp = max(a, b);') },
  Minimum: { accepts: NUM, cpuForward: true, body: () => nanChecked('let resultTemp = min(a, b);') },
  SquaredDifference: plain('let resultTemp = (a - b) * (a - b);', NUM),
  Atan2: { accepts: NUM, body: () => nanChecked('let resultTemp = atan2(a, b);') },
  Greater: COMPARE('>'),
  GreaterEqual: COMPARE('>='),
  Less: COMPARE('<'),
  LessEqual: COMPARE('<='),
  Equal: COMPARE('=='),
  NotEqual: { accepts: ANY, cpuForward: true, body: () => nanChecked('var resultTemp = f32(a != b);\n    let valueForNaN = 1.0;') },
  LogicalAnd: unary('return f32(a >= 1.0 && b >= 1.0);', ['bool']),
  LogicalOr: unary('return f32(a >= 1.0 || b >= 1.0);', ['bool']),

  Select: unary('if (c >= 1.0) { return t; }\n  return e;', ANY),
};

// What fusion accepts under the WGSL formulas: each kernel's WGSL dtypes.
registerBackendForms(WGSL_FORMULAS, Object.fromEntries(Object.keys(ELEMENTWISE_OPS).map((k): [string, BackendForm] => {
  const w = WGSL_OPS[k];
  return [k, {
    accepts: w?.accepts ?? [],
    when: w?.when,
    simd: null,
    why: w?.why ?? 'tfjs-backend-webgpu computes in f32 WGSL (./wgsl-ops.ts)',
  }];
})));

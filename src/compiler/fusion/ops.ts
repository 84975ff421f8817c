/**
 * The elementwise kernels that fusion can merge, with the JavaScript each one computes
 * per element. The formulas mirror tfjs-backend-cpu's kernels, so a fused kernel that
 * rounds every intermediate to float32 (`Math.fround`) matches the unfused program.
 */
import type * as tf from '@tensorflow/tfjs';
import { backend_util } from '@tensorflow/tfjs';

/** How an op's result dtype follows from its inputs and attributes. */
type DtypeRule = 'same' | 'bool' | 'attr';

/** One fusible kernel. */
export interface ElementwiseOp {
  /** The kernel's input names, in the order `js` receives them. */
  readonly inputs: readonly string[];
  readonly dtype: DtypeRule;
  /** Input dtypes it accepts (default: float32 and int32). */
  readonly accepts?: readonly tf.DataType[];
  /** A JS expression computing the element from argument expressions (each read once). */
  js(args: readonly string[], attrs: Readonly<Record<string, unknown>>): string;
  /** Whether the result ignores its input's values (ZerosLike, OnesLike). */
  readonly ignoresValues?: boolean;
}

const NUM: readonly tf.DataType[] = ['float32', 'int32'];
const ANY: readonly tf.DataType[] = ['float32', 'int32', 'bool'];

const unary = (f: (x: string, attrs: Readonly<Record<string, unknown>>) => string, accepts = NUM): ElementwiseOp =>
  ({ inputs: ['x'], dtype: 'same', accepts, js: ([x], attrs) => f(x, attrs) });
const binary = (f: (a: string, b: string) => string, dtype: DtypeRule = 'same', accepts = NUM): ElementwiseOp =>
  ({ inputs: ['a', 'b'], dtype, accepts, js: ([a, b]) => f(a, b) });
const lit = (v: unknown): string => {
  const n = Number(v);
  return Number.isNaN(n) ? 'NaN' : n === Infinity ? 'Infinity' : n === -Infinity ? '-Infinity' : `(${String(n)})`;
};

const SOFTPLUS_THRESHOLD = Math.log(1.1920928955078125e-7) + 2.0;

/** Fusible kernels by tfjs kernel name. */
export const ELEMENTWISE_OPS: Readonly<Record<string, ElementwiseOp>> = {
  Abs: unary((x) => `Math.abs(${x})`),
  Neg: unary((x) => `(-${x})`),
  Exp: unary((x) => `Math.exp(${x})`),
  Expm1: unary((x) => `Math.expm1(${x})`),
  Log: unary((x) => `Math.log(${x})`),
  Log1p: unary((x) => `Math.log1p(${x})`),
  Sqrt: unary((x) => `Math.sqrt(${x})`),
  Rsqrt: unary((x) => `(1 / Math.sqrt(${x}))`),
  Square: unary((x) => `(${x} * ${x})`),
  Reciprocal: unary((x) => `(1 / ${x})`),
  Sin: unary((x) => `Math.sin(${x})`),
  Cos: unary((x) => `Math.cos(${x})`),
  Tan: unary((x) => `Math.tan(${x})`),
  Tanh: unary((x) => `Math.tanh(${x})`),
  Sigmoid: unary((x) => `(1 / (1 + Math.exp(-${x})))`),
  Relu: unary((x) => `Math.max(0, ${x})`),
  Relu6: unary((x) => `Math.min(Math.max(0, ${x}), 6)`),
  Elu: unary((x) => `(${x} >= 0 ? ${x} : Math.exp(${x}) - 1)`),
  Selu: unary((x) => `(${x} >= 0 ? ${backend_util.SELU_SCALE} * ${x} : ${backend_util.SELU_SCALEALPHA} * (Math.exp(${x}) - 1))`),
  LeakyRelu: unary((x, a) => `(${x} < 0 ? ${lit(a.alpha)} * ${x} : ${x})`),
  Step: unary((x, a) => `(${x} !== ${x} ? NaN : ${x} > 0 ? 1 : ${lit(a.alpha)})`),
  Floor: unary((x) => `Math.floor(${x})`),
  Ceil: unary((x) => `Math.ceil(${x})`),
  // Banker's rounding, as tfjs.
  Round: unary((x) => `__round(${x})`),
  Sign: unary((x) => `(${x} < 0 ? -1 : ${x} > 0 ? 1 : 0)`),
  ClipByValue: unary((x, a) => `(${x} > ${lit(a.clipValueMax)} ? ${lit(a.clipValueMax)} : ${x} < ${lit(a.clipValueMin)} ? ${lit(a.clipValueMin)} : ${x})`),
  Erf: unary((x) => `__erf(${x})`),
  Softplus: unary((x) => `(${x} < ${SOFTPLUS_THRESHOLD} ? Math.exp(${x}) : ${x} > ${-SOFTPLUS_THRESHOLD} ? ${x} : Math.log(1 + Math.exp(${x})))`),
  IsNan: { inputs: ['x'], dtype: 'bool', accepts: NUM, js: ([x]) => `(${x} !== ${x} ? 1 : 0)` },
  LogicalNot: { inputs: ['x'], dtype: 'bool', accepts: ['bool'], js: ([x]) => `(${x} ? 0 : 1)` },
  Cast: { inputs: ['x'], dtype: 'attr', accepts: ANY, js: ([x]) => x }, // the conversion happens on store
  ZerosLike: { inputs: ['x'], dtype: 'same', accepts: ANY, js: () => '0', ignoresValues: true },
  OnesLike: { inputs: ['x'], dtype: 'same', accepts: ANY, js: () => '1', ignoresValues: true },

  Add: binary((a, b) => `(${a} + ${b})`),
  Sub: binary((a, b) => `(${a} - ${b})`),
  Multiply: binary((a, b) => `(${a} * ${b})`),
  RealDiv: binary((a, b) => `(${a} / ${b})`),
  FloorDiv: binary((a, b) => `Math.floor(${a} / ${b})`),
  Mod: binary((a, b) => `__mod(${a}, ${b})`),
  Pow: binary((a, b) => `Math.pow(${a}, ${b})`),
  Maximum: binary((a, b) => `Math.max(${a}, ${b})`),
  Minimum: binary((a, b) => `Math.min(${a}, ${b})`),
  SquaredDifference: binary((a, b) => `__sqdiff(${a}, ${b})`),
  Atan2: binary((a, b) => `Math.atan2(${a}, ${b})`),
  Greater: binary((a, b) => `(${a} > ${b} ? 1 : 0)`, 'bool', ANY),
  GreaterEqual: binary((a, b) => `(${a} >= ${b} ? 1 : 0)`, 'bool', ANY),
  Less: binary((a, b) => `(${a} < ${b} ? 1 : 0)`, 'bool', ANY),
  LessEqual: binary((a, b) => `(${a} <= ${b} ? 1 : 0)`, 'bool', ANY),
  Equal: binary((a, b) => `(${a} === ${b} ? 1 : 0)`, 'bool', ANY),
  NotEqual: binary((a, b) => `(${a} !== ${b} ? 1 : 0)`, 'bool', ANY),
  LogicalAnd: binary((a, b) => `(${a} && ${b} ? 1 : 0)`, 'bool', ['bool']),
  LogicalOr: binary((a, b) => `(${a} || ${b} ? 1 : 0)`, 'bool', ['bool']),

  Select: { inputs: ['condition', 't', 'e'], dtype: 'same', accepts: ANY, js: ([c, t, e]) => `(${c} ? ${t} : ${e})` },
};

/** Helpers the generated code may call (formulas too long to inline). */
export const FUSED_HELPERS = `
const __round = (x) => { const b = Math.floor(x); const d = x - b; return d < 0.5 ? b : d > 0.5 ? b + 1 : (b % 2 === 0 ? b : b + 1); };
const __mod = (a, b) => { const r = a % b; return ((a < 0 && b < 0) || (a >= 0 && b >= 0)) ? r : (r + b) % b; };
const __sqdiff = (a, b) => { const d = a - b; return d * d; };
const __erf = (x) => { const s = Math.sign(x); const v = Math.abs(x); const t = 1 / (1 + ${backend_util.ERF_P} * v);
  return s * (1 - (((((${backend_util.ERF_A5} * t + ${backend_util.ERF_A4}) * t) + ${backend_util.ERF_A3}) * t + ${backend_util.ERF_A2}) * t + ${backend_util.ERF_A1}) * t * Math.exp(-v * v)); };
`;

/** The result dtype of `kernel` on inputs of dtype `inputDtype`, or undefined if it cannot be fused. */
export function resultDtype(kernel: string, inputDtypes: readonly tf.DataType[],
  attrs: Readonly<Record<string, unknown>>): tf.DataType | undefined {
  const op = ELEMENTWISE_OPS[kernel];
  if (op === undefined) return undefined;
  const accepts = op.accepts ?? NUM;
  if (!inputDtypes.every((d, i) => accepts.includes(d) || (kernel === 'Select' && i === 0 && d === 'bool'))) return undefined;
  if (kernel === 'Select' && inputDtypes[0] !== 'bool') return undefined;
  switch (op.dtype) {
    case 'bool':
      return 'bool';
    case 'attr': {
      const d = attrs.dtype as tf.DataType;
      return ANY.includes(d) ? d : undefined;
    }
    case 'same':
      return kernel === 'Select' ? inputDtypes[1] : inputDtypes[0];
  }
}

/**
 * Wraps the expression computing an op's result so the value is exactly what tfjs
 * stores for `dtype`: float32 rounded with Math.fround, int32 wrapped with `| 0`,
 * bool as 0/1 (comparison ops already produce 0/1; a cast to bool tests `!== 0`).
 */
export function roundTo(dtype: tf.DataType, expr: string, isCast: boolean): string {
  switch (dtype) {
    case 'float32':
      return `Math.fround(${expr})`;
    case 'int32':
      return `(${expr} | 0)`;
    case 'bool':
      return isCast ? `(${expr} !== 0 ? 1 : 0)` : expr;
    default:
      return expr;
  }
}

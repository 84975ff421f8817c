/**
 * The elementwise kernels that fusion can merge: one record per tfjs kernel, saying what
 * a fused kernel computes per element, as JavaScript (the loop) and as WebAssembly SIMD.
 *
 * A fused kernel must reproduce, bit for bit, the kernels of the backend it replaces.
 * The record's own forms follow tfjs-backend-cpu (JavaScript in doubles, each result
 * stored into a Float32Array / Int32Array / Uint8Array). `on.wasm` and `on.cpu` override
 * them where that backend computes differently: tfjs-backend-wasm computes in C `float`,
 * runs some ops through XNNPACK, and takes transcendental functions from musl's libm
 * (compiled to WebAssembly), which differ from `Math.exp` in the last bit. Where the
 * backend's result cannot be reproduced exactly, the override leaves the op unfused there
 * (`accepts: []`), and says why. docs/sharp-bits.md ("Where cpu and wasm differ") lists
 * every difference between the two tfjs backends these records encode.
 *
 * Each record is self-contained (names, dtypes, forms, identities) so that a kernel table
 * can take it over as is.
 */
import type * as tf from '@tensorflow/tfjs';
import { backend_util, util } from '@tensorflow/tfjs';
import { targetNamed } from '../../backend/targets';
import { InternalError } from '../../errors';
import type { FusedInput } from '../ir';
import { f32x4Const, i32x4Const, op as wasmOp, simd } from '../../util/wasm-binary';
import { wasmClampMapsNaNToLower } from './wasm-probes';
import { bin, EmitContext, once, select, SimdEmit, splat, un } from './simd-emit';
import { bin1, const1, constOf, F32 as F32_T, I32 as I32_T, once1, pick, pmax1, pmin1, ScalarEmit, truth, un1 } from './scalar-emit';
import { scalar as S } from '../../util/wasm-binary';

export type { EmitContext } from './simd-emit';

/**
 * Which backend's arithmetic a fused kernel reproduces: the key of the records' `on`
 * overrides, given by the backend target (`BackendTarget.formulas`, by default its name).
 */
export type FusionTarget = string;

/** How an op's result dtype follows from its inputs and attributes. */
type DtypeRule = 'same' | 'bool' | 'attr';

/** A JS expression computing the element from argument expressions (each a local, read at will). */
export type JsEmit = (args: readonly string[], c: EmitContext) => string;

/** How an op is fused on one backend. */
export interface OpForm {
  /** Input dtypes fused (the condition of Select aside); empty: never fused on this backend. */
  readonly accepts: readonly tf.DataType[];
  /** A further condition on dtypes and attributes (e.g. which casts). */
  readonly when?: (c: EmitContext) => boolean;
  readonly js: JsEmit;
  /** The SIMD form, exact lane by lane; absent: fused kernels with this op use the JS loop. */
  readonly simd?: SimdEmit;
  readonly simdWhen?: (c: EmitContext) => boolean;
  /**
   * The scalar WebAssembly form (one element, the same float32 operations as the SIMD
   * form's lanes), for every op with a SIMD form; it runs under the same `simdWhen`.
   */
  readonly scalar?: ScalarEmit;
  /**
   * The scalar WebAssembly form on int32 values (i32 operations), where they are exactly
   * what the JS form computes on this backend (`x + y` wrapped to int32 is i32.add; tfjs-cpu's
   * product of doubles is not i32.mul, tfjs-wasm's is).
   */
  readonly scalarInt?: ScalarEmit;
}

/** A backend's override of some of an op's forms, with the reason it differs. */
export interface BackendForm {
  readonly accepts?: readonly tf.DataType[];
  readonly when?: (c: EmitContext) => boolean;
  readonly js?: JsEmit;
  /** null: no SIMD form on this backend. */
  readonly simd?: SimdEmit | null;
  readonly simdWhen?: (c: EmitContext) => boolean;
  /** null: no scalar WebAssembly form on this backend (set together with `simd`). */
  readonly scalar?: ScalarEmit | null;
  /** null: no scalar WebAssembly form on int32 values on this backend. */
  readonly scalarInt?: ScalarEmit | null;
  /** What the backend's kernel does differently (for readers; the docs list the same). */
  readonly why: string;
}

/** One fusible kernel. */
export interface ElementwiseOp extends OpForm {
  /** The kernel's input names, in the order the forms receive them. */
  readonly inputs: readonly string[];
  readonly dtype: DtypeRule;
  /** Whether the result ignores its input's values (ZerosLike, OnesLike). */
  readonly ignoresValues?: boolean;
  /**
   * `x op c` (side 'b'), `c op x` (side 'a') or both are `x` itself for the constant `c`
   * (compared with Object.is), wherever a tensor's storage holds exactly its dtype's
   * values (see {@link hasCanonicalStorageOn}).
   */
  readonly identity?: { readonly constant: number; readonly side: 'a' | 'b' | 'either' };
  readonly on?: Readonly<Record<FusionTarget, BackendForm>>;
}

/**
 * The formulas fused kernels follow on backend `backendName`, or undefined where fused
 * kernels cannot run (the jit cannot address the backend's memory; see backend/targets.ts).
 */
export function fusionTargetOf(backendName: string): FusionTarget | undefined {
  const t = targetNamed(backendName);
  return t?.memory === undefined && t?.gpuFusion === undefined ? undefined : (t.formulas ?? t.name);
}

/** Whether fused kernels can run on `backendName` (the jit can address its memory). */
export function isFusionTarget(backendName: string): boolean {
  return fusionTargetOf(backendName) !== undefined;
}

/**
 * Whether every tensor's storage holds exactly its dtype's values on `backendName`
 * (identities such as `x * 1 = x` are exact only there; see `HostMemory.canonicalStorage`).
 */
export function hasCanonicalStorageOn(backendName: string): boolean {
  return targetNamed(backendName)?.memory?.canonicalStorage === true;
}

const F32: readonly tf.DataType[] = ['float32'];
const I32: readonly tf.DataType[] = ['int32'];
const NUM: readonly tf.DataType[] = ['float32', 'int32'];
const ANY: readonly tf.DataType[] = ['float32', 'int32', 'bool'];

/** A number as a JS literal that keeps -0, NaN and the infinities. */
export function jsLiteral(v: unknown): string {
  const n = Number(v);
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  if (Object.is(n, -0)) return '(-0)';
  return `(${String(n)})`;
}

/** A number attribute rounded to float32, as tfjs-wasm passes attributes to C (`float` parameters). */
const f32Literal = (v: unknown): string => jsLiteral(Math.fround(Number(v)));

/** C's float-to-int32 conversion as emscripten compiles it: out of range and NaN give INT32_MIN. */
const F2I = (x: string): string => `__f2i(${x})`;

const isInt = (c: EmitContext): boolean => c.outDtype === 'int32';

const unary = (js: (x: string, c: EmitContext) => string, accepts = NUM, extra: Partial<ElementwiseOp> = {}): ElementwiseOp =>
  ({ inputs: ['x'], dtype: 'same', accepts, js: ([x], c) => js(x, c), ...extra });
const binary = (js: (a: string, b: string, c: EmitContext) => string, accepts = NUM, extra: Partial<ElementwiseOp> = {}): ElementwiseOp =>
  ({ inputs: ['a', 'b'], dtype: 'same', accepts, js: ([a, b], c) => js(a, b, c), ...extra });
const compare = (jsOp: string, simdCode: number, scalarCode: number, intCode: number): ElementwiseOp =>
  ({ inputs: ['a', 'b'], dtype: 'bool', accepts: ANY, js: ([a, b]) => `(${a} ${jsOp} ${b} ? 1 : 0)`, simd: bin(simdCode),
    scalar: bin1(scalarCode), scalarInt: bin1(intCode),
    on: { wasm: { accepts: NUM, why: `${BOOL_BYTES}; its comparisons of bools are bit operations on them (equal(2, 1) gives 3)` } } });

/**
 * tfjs-wasm's eager Cast (and Fill) to bool stores the byte a Uint8Array store gives (2 stays
 * 2, -1 gives 255, 256 and 0.5 give 0), and its kernels read bool bytes raw, so on wasm every
 * form that reads a bool reproduces those bit operations on the byte. The SIMD forms hold a
 * bool as i32 lanes equal to the negated byte (-1 / 0 for a fused comparison's mask).
 */
const BOOL_BYTES = 'tfjs-wasm stores bools as raw bytes (a cast of 2 stores 2) and reads them raw';
/**
 * A mask of the bool lanes that are nonzero / zero. tfjs-cpu's logic kernels test a bool byte
 * for truth (`a && b`), and its fill(…, 2, 'bool') stores a byte 2 (lane -2, not a mask).
 */
const laneIsNonzero = (x: number[]): number[] => [...x, ...i32x4Const(0), ...wasmOp.simd(simd.i32x4Ne)];
const laneIsZero = (x: number[]): number[] => [...x, ...i32x4Const(0), ...wasmOp.simd(simd.i32x4Eq)];
/** The lanes -x, -y (negated bool bytes) combined by the bitwise op `code` on the bytes: -((x) code (y)). */
const byteBits = (code: number): SimdEmit => ([a, b]) =>
  [...a, ...wasmOp.simd(simd.i32x4Neg), ...b, ...wasmOp.simd(simd.i32x4Neg), ...wasmOp.simd(code), ...wasmOp.simd(simd.i32x4Neg)];

/** musl's expf and friends compiled to WebAssembly differ from Math.exp rounded to float32 in the last bit. */
const LIBM: BackendForm = {
  accepts: [],
  why: 'tfjs-wasm takes this function from musl libm (float), which differs from JS Math in the last bit',
};
const XNN_APPROX: BackendForm = {
  accepts: [],
  why: 'tfjs-wasm runs this op through an XNNPACK polynomial approximation',
};

// Sign: tfjs-wasm returns 0 for |x| < float32 epsilon (and NaN), tfjs-cpu only for 0 and NaN.
const EPS = 1.1920928955078125e-7;

/** tfjs-wasm's sign in four lanes: 1 from epsilon up, -1 from -epsilon down, else 0 (NaN included). */
function signWasm(x: number[], tmp: () => number): number[] {
  const v = once(x, tmp);
  return [...v.set, ...select([...v.get, ...f32x4Const(EPS), ...wasmOp.simd(simd.f32x4Ge)], f32x4Const(1),
    select([...v.get, ...f32x4Const(-EPS), ...wasmOp.simd(simd.f32x4Le)], f32x4Const(-1), f32x4Const(0)))];
}

/** `a <cmp> b ? a : b` on int32 values (maximum with i32.gt_s, minimum with i32.lt_s: exact either way round). */
function intPick(a: number[], b: number[], cmp: number, tmp: (type: number) => number): number[] {
  const x = once1(a, I32_T, tmp);
  const y = once1(b, I32_T, tmp);
  return [...x.set, ...y.set, ...pick([...x.get, ...y.get, cmp], x.get, y.get)];
}

/**
 * JS's ToInt32 of a float32 value (what storing it into an Int32Array does): truncated, then
 * wrapped modulo 2^32; NaN and the infinities give 0. Below 2^63 in magnitude the truncation
 * to i64 is exact (a float32 that large is an integer) and wrapping it to i32 is the modulo;
 * from 2^63 up a float32 is a multiple of 2^40, so 0 modulo 2^32.
 */
function toInt32(x: number[], tmp: (type: number) => number): number[] {
  const v = once1(x, F32_T, tmp);
  return [...v.set, ...pick([...v.get, S.abs, ...const1(2 ** 63), S.lt], [...v.get, ...S.i64TruncSatF32S, S.i32WrapI64],
    wasmOp.i32Const(0))];
}

/** tfjs-wasm's sign, one element (see {@link signWasm}). */
function signWasm1(x: number[], tmp: (type: number) => number): number[] {
  const v = once1(x, F32_T, tmp);
  return [...v.set, ...pick([...v.get, ...const1(EPS), S.ge], const1(1),
    pick([...v.get, ...const1(-EPS), S.le], const1(-1), const1(0)))];
}

/** Fusible kernels by tfjs kernel name. */
export const ELEMENTWISE_OPS: Readonly<Record<string, ElementwiseOp>> = {
  Abs: unary((x) => `Math.abs(${x})`, NUM, {
    simd: un(simd.f32x4Abs),
    scalar: un1(S.abs),
    on: {
      cpu: { accepts: F32, why: 'tfjs-cpu stores int32 abs in a Float32Array: |x| beyond 2^24 rounds, and 2^31 stays 2^31' },
      wasm: {
        js: ([x], c) => (isInt(c) ? F2I(`Math.abs(Math.fround(${x}))`) : `Math.abs(${x})`),
        why: 'tfjs-wasm computes int32 abs through float (rounding beyond 2^24; 2^31 becomes INT32_MIN)',
      },
    },
  }),
  Neg: unary((x) => `(-${x})`, NUM, {
    simd: un(simd.f32x4Neg),
    scalar: un1(S.neg),
    scalarInt: ([x]) => [...wasmOp.i32Const(0), ...x, S.i32Sub],
    on: {
      wasm: {
        js: ([x], c) => (isInt(c) ? F2I(`Math.fround(-${x} | 0)`) : `(-${x})`),
        scalarInt: null,
        why: 'tfjs-wasm negates int32 through float (rounding beyond 2^24)',
      },
    },
  }),
  Exp: unary((x) => `Math.exp(${x})`, F32, { on: { wasm: LIBM } }),
  Expm1: unary((x) => `Math.expm1(${x})`, F32, { on: { wasm: LIBM } }),
  Log: unary((x) => `Math.log(${x})`, F32, { on: { wasm: LIBM } }),
  Log1p: unary((x) => `Math.log1p(${x})`, F32, {
    on: { wasm: { accepts: [], why: 'tfjs-wasm computes log1p(x) as logf(float(x + 1)) (log1p(1e-8) is 0)' } },
  }),
  Sqrt: unary((x) => `Math.sqrt(${x})`, F32, { simd: un(simd.f32x4Sqrt), scalar: un1(S.sqrt) }),
  Rsqrt: unary((x) => `(1 / Math.sqrt(${x}))`, F32, {
    on: {
      wasm: {
        js: ([x]) => `(1 / Math.fround(Math.sqrt(${x})))`,
        simd: ([x]) => [...f32x4Const(1), ...x, ...wasmOp.simd(simd.f32x4Sqrt), ...wasmOp.simd(simd.f32x4Div)],
        scalar: ([x]) => [...const1(1), ...x, S.sqrt, S.div],
        why: 'tfjs-wasm rounds sqrt(x) to float before dividing; tfjs-cpu divides the double',
      },
    },
  }),
  Square: unary((x) => `(${x} * ${x})`, NUM, {
    simd: ([x], _c, tmp) => { const v = once(x, tmp); return [...v.set, ...v.get, ...v.get, ...wasmOp.simd(simd.f32x4Mul)]; },
    scalar: ([x], _c, tmp) => { const v = once1(x, F32_T, tmp); return [...v.set, ...v.get, ...v.get, S.mul]; },
    on: {
      cpu: { accepts: F32, why: 'tfjs-cpu stores int32 square in a Float32Array (rounded beyond 2^24, never wrapped)' },
      wasm: {
        js: ([x], c) => (isInt(c) ? `Math.imul(${x}, ${x})` : `(${x} * ${x})`),
        scalarInt: ([x], _c, tmp) => { const v = once1(x, I32_T, tmp); return [...v.set, ...v.get, ...v.get, S.i32Mul]; },
        why: 'tfjs-wasm squares int32 with a wrapping integer multiply',
      },
    },
  }),
  Reciprocal: unary((x) => `(1 / ${x})`, F32, {
    simd: ([x]) => [...f32x4Const(1), ...x, ...wasmOp.simd(simd.f32x4Div)],
    scalar: ([x]) => [...const1(1), ...x, S.div],
  }),
  Sin: unary((x) => `Math.sin(${x})`, F32, { on: { wasm: LIBM } }),
  Cos: unary((x) => `Math.cos(${x})`, F32, { on: { wasm: LIBM } }),
  Tan: unary((x) => `Math.tan(${x})`, F32, { on: { wasm: LIBM } }),
  Tanh: unary((x) => `Math.tanh(${x})`, F32, { on: { wasm: LIBM } }),
  Sigmoid: unary((x) => `(1 / (1 + Math.exp(-${x})))`, F32, { on: { wasm: XNN_APPROX } }),
  Relu: unary((x) => `Math.max(0, ${x})`, NUM, {
    simd: ([x]) => [...f32x4Const(0), ...x, ...wasmOp.simd(simd.f32x4Max)],
    scalar: ([x]) => [...const1(0), ...x, S.max],
    scalarInt: ([x], _c, tmp) => {
      const v = once1(x, I32_T, tmp);
      return [...v.set, ...pick([...v.get, ...wasmOp.i32Const(0), S.i32GtS], v.get, wasmOp.i32Const(0))];
    },
    on: {
      wasm: {
        accepts: I32,
        why: 'tfjs-wasm (XNNPACK) computes float relu on the bits: a NaN with the sign bit set gives 0, others NaN',
      },
    },
  }),
  Relu6: unary((x) => `Math.min(Math.max(0, ${x}), 6)`, NUM, {
    simd: ([x]) => [...f32x4Const(0), ...x, ...wasmOp.simd(simd.f32x4Max), ...f32x4Const(6), ...wasmOp.simd(simd.f32x4Min)],
    scalar: ([x]) => [...const1(0), ...x, S.max, ...const1(6), S.min],
    on: {
      wasm: {
        when: () => wasmClampMapsNaNToLower(),
        js: ([x]) => `(0 < ${x} ? (${x} < 6 ? ${x} : 6) : 0)`,
        // pmin(6, pmax(0, x)): pmax(a, b) is a < b ? b : a, pmin(a, b) is b < a ? b : a.
        simd: ([x]) => [...f32x4Const(6), ...f32x4Const(0), ...x, ...wasmOp.simd(simd.f32x4Pmax),
          ...wasmOp.simd(simd.f32x4Pmin)],
        scalar: ([x], _c, tmp) => pmin1(const1(6), pmax1(const1(0), x, tmp), tmp),
        why: 'tfjs-wasm clamps with XNNPACK, whose x86 kernels map NaN to 0 (on ARM, where they keep NaN, relu6 stays unfused)',
      },
    },
  }),
  Elu: unary((x) => `(${x} >= 0 ? ${x} : Math.exp(${x}) - 1)`, F32, { on: { wasm: XNN_APPROX } }),
  Selu: unary((x) => `(${x} >= 0 ? ${backend_util.SELU_SCALE} * ${x} : ${backend_util.SELU_SCALEALPHA} * (Math.exp(${x}) - 1))`, F32,
    { on: { wasm: LIBM } }),
  LeakyRelu: unary((x, c) => `(${x} < 0 ? ${jsLiteral(c.attrs.alpha)} * ${x} : ${x})`, F32, {
    simd: ([x], c, tmp) => {
      const v = once(x, tmp);
      return [...v.set, ...select([...v.get, ...f32x4Const(0), ...wasmOp.simd(simd.f32x4Lt)],
        [...v.get, ...splat(c.attrs.alpha), ...wasmOp.simd(simd.f32x4Mul)], v.get)];
    },
    scalar: ([x], c, tmp) => {
      const v = once1(x, F32_T, tmp);
      return [...v.set, ...pick([...v.get, ...const1(0), S.lt], [...v.get, ...const1(c.attrs.alpha), S.mul], v.get)];
    },
    // The product in float equals tfjs-cpu's double product rounded only when alpha is a float32.
    simdWhen: (c) => Math.fround(Number(c.attrs.alpha)) === Number(c.attrs.alpha),
    on: {
      wasm: {
        js: ([x], c) => `(${x} < 0 ? ${f32Literal(c.attrs.alpha)} * ${x} : ${x})`,
        simdWhen: () => true,
        why: 'tfjs-wasm multiplies by alpha rounded to float (alpha = 0.2 gives another last bit than tfjs-cpu)',
      },
    },
  }),
  Step: unary((x, c) => `(${x} !== ${x} ? NaN : ${x} > 0 ? 1 : ${jsLiteral(c.attrs.alpha)})`, NUM, {
    simd: ([x], c, tmp) => {
      const v = once(x, tmp);
      return [...v.set, ...select([...v.get, ...v.get, ...wasmOp.simd(simd.f32x4Ne)], v.get,
        select([...v.get, ...f32x4Const(0), ...wasmOp.simd(simd.f32x4Gt)], f32x4Const(1), splat(c.attrs.alpha)))];
    },
    scalar: ([x], c, tmp) => {
      const v = once1(x, F32_T, tmp);
      return [...v.set, ...pick([...v.get, ...v.get, S.ne], v.get, pick([...v.get, ...const1(0), S.gt], const1(1), const1(c.attrs.alpha)))];
    },
    on: {
      wasm: {
        js: ([x], c) => (isInt(c) ? `(${x} > 0 ? 1 : ${jsLiteral(f2i(Math.fround(Number(c.attrs.alpha))))})`
          : `(${x} !== ${x} ? ${x} : ${x} > 0 ? 1 : ${f32Literal(c.attrs.alpha)})`),
        why: 'tfjs-wasm converts alpha to int32 with C semantics for int32 inputs',
      },
    },
  }),
  Floor: unary((x) => `Math.floor(${x})`, NUM, {
    simd: un(simd.f32x4Floor),
    scalar: un1(S.floor),
    on: { wasm: { accepts: F32, why: 'tfjs-wasm reads int32 data as float bits in floor' } },
  }),
  Ceil: unary((x) => `Math.ceil(${x})`, NUM, {
    simd: un(simd.f32x4Ceil),
    scalar: un1(S.ceil),
    on: { wasm: { accepts: F32, why: 'tfjs-wasm reads int32 data as float bits in ceil' } },
  }),
  Round: unary((x) => `__roundCpu(${x})`, NUM, {
    on: {
      wasm: {
        js: ([x]) => `__rint(${x})`,
        simd: un(simd.f32x4Nearest),
        scalar: un1(S.nearest),
        why: 'tfjs-wasm rounds half to even keeping the sign (round(-0.5) is -0; tfjs-cpu gives +0)',
      },
    },
  }),
  Sign: unary((x) => `(${x} < 0 ? -1 : ${x} > 0 ? 1 : 0)`, NUM, {
    simd: ([x], _c, tmp) => {
      const v = once(x, tmp);
      return [...v.set, ...select([...v.get, ...f32x4Const(0), ...wasmOp.simd(simd.f32x4Lt)], f32x4Const(-1),
        select([...v.get, ...f32x4Const(0), ...wasmOp.simd(simd.f32x4Gt)], f32x4Const(1), f32x4Const(0)))];
    },
    scalar: ([x], _c, tmp) => {
      const v = once1(x, F32_T, tmp);
      return [...v.set, ...pick([...v.get, ...const1(0), S.lt], const1(-1), pick([...v.get, ...const1(0), S.gt], const1(1), const1(0)))];
    },
    on: {
      wasm: {
        js: ([x]) => `(${x} >= ${EPS} ? 1 : ${x} <= ${-EPS} ? -1 : 0)`,
        simd: ([x], _c, tmp) => signWasm(x, tmp),
        scalar: ([x], _c, tmp) => signWasm1(x, tmp),
        why: 'tfjs-wasm returns 0 for |x| below float32 epsilon (1.19e-7)',
      },
    },
  }),
  ClipByValue: unary((x, c) => {
    const hi = jsLiteral(c.attrs.clipValueMax);
    const lo = jsLiteral(c.attrs.clipValueMin);
    return `(${x} > ${hi} ? ${hi} : ${x} < ${lo} ? ${lo} : ${x})`;
  }, NUM, {
    simd: ([x], c, tmp) => {
      const v = once(x, tmp);
      const lo = splat(c.attrs.clipValueMin);
      const hi = splat(c.attrs.clipValueMax);
      return [...v.set, ...select([...v.get, ...hi, ...wasmOp.simd(simd.f32x4Gt)], hi,
        select([...v.get, ...lo, ...wasmOp.simd(simd.f32x4Lt)], lo, v.get))];
    },
    scalar: ([x], c, tmp) => {
      const v = once1(x, F32_T, tmp);
      const lo = const1(c.attrs.clipValueMin);
      const hi = const1(c.attrs.clipValueMax);
      return [...v.set, ...pick([...v.get, ...hi, S.gt], hi, pick([...v.get, ...lo, S.lt], lo, v.get))];
    },
    on: {
      wasm: {
        accepts: F32,
        // XNNPACK rejects lo >= hi (the kernel then leaves its output unwritten), and tfjs-wasm
        // caches clamp operators by (lo, hi) compared with ==, so a bound of -0 reuses the
        // operator made for +0 (or the reverse), whichever came first in the process: keep
        // such clips unfused, replaying the backend's own kernel.
        when: (c) => {
          const lo = Math.fround(Number(c.attrs.clipValueMin));
          const hi = Math.fround(Number(c.attrs.clipValueMax));
          return lo < hi && lo !== 0 && hi !== 0 && wasmClampMapsNaNToLower();
        },
        // XNNPACK's clamp: max(lo, x) then min(hi, .), in the pseudo-min/max form that maps NaN to lo.
        js: ([x], c) => `__clamp(${x}, ${f32Literal(c.attrs.clipValueMin)}, ${f32Literal(c.attrs.clipValueMax)})`,
        simd: ([x], c) => [...splat(c.attrs.clipValueMax), ...splat(c.attrs.clipValueMin), ...x, ...wasmOp.simd(simd.f32x4Pmax),
          ...wasmOp.simd(simd.f32x4Pmin)],
        scalar: ([x], c, tmp) => pmin1(const1(c.attrs.clipValueMax), pmax1(const1(c.attrs.clipValueMin), x, tmp), tmp),
        why: 'tfjs-wasm clamps with XNNPACK, whose x86 kernels map NaN to the lower bound; int32 data is read as float ' +
          'bits; a bound of ±0 gives the sign of whichever of -0 / +0 was used first',
      },
    },
  }),
  Erf: unary((x) => `__erf(${x})`, F32, { on: { wasm: LIBM } }),
  Softplus: unary((x) => `__softplus(${x})`, F32, { on: { wasm: LIBM } }),
  IsNan: {
    inputs: ['x'], dtype: 'bool', accepts: F32, js: ([x]) => `(${x} !== ${x} ? 1 : 0)`,
    simd: ([x], _c, tmp) => { const v = once(x, tmp); return [...v.set, ...v.get, ...v.get, ...wasmOp.simd(simd.f32x4Ne)]; },
    scalar: ([x], _c, tmp) => { const v = once1(x, F32_T, tmp); return [...v.set, ...v.get, ...v.get, S.ne]; },
  },
  LogicalNot: { inputs: ['x'], dtype: 'bool', accepts: ['bool'], js: ([x]) => `(${x} ? 0 : 1)`, simd: ([x]) => laneIsZero(x),
    scalar: ([x]) => [...x, ...wasmOp.i32Eqz],
    on: {
      wasm: {
        js: ([x]) => `(${x} ^ 1)`,
        simd: ([x]) => [...x, ...wasmOp.simd(simd.i32x4Neg), ...i32x4Const(1), ...wasmOp.simd(simd.xor), ...wasmOp.simd(simd.i32x4Neg)],
        scalar: ([x]) => [...x, ...wasmOp.i32Const(1), ...wasmOp.i32Xor],
        why: `${BOOL_BYTES}: logicalNot flips the low bit (2 gives 3)`,
      },
    } },
  Cast: {
    inputs: ['x'], dtype: 'attr', accepts: ANY,
    // The conversion to int32 happens on store (| 0, as an Int32Array does); to bool it tests !== 0.
    js: ([x], c) => (c.outDtype === 'bool' ? `(${x} !== 0 ? 1 : 0)` : x),
    simd: ([x], c) => {
      const from = c.inDtypes[0];
      if (from === c.outDtype) return x;
      // A bool lane is the negated byte: negated back, it converts exactly (a byte 2, which
      // tfjs-wasm's cast and either backend's fill(…, 2, 'bool') store, gives 2 as eagerly).
      if (from === 'bool') return [...x, ...wasmOp.simd(simd.i32x4Neg), ...wasmOp.simd(simd.f32x4ConvertI32x4S)];
      if (from === 'int32') return [...x, ...wasmOp.simd(simd.f32x4ConvertI32x4S)];
      return [...x, ...f32x4Const(0), ...wasmOp.simd(simd.f32x4Ne)];
    },
    // A bool byte converts as the JS loop reads it (its value, 0 or 1); an int32 rounds to nearest even.
    scalar: ([x], c) => {
      const from = c.inDtypes[0];
      if (from === c.outDtype) return x;
      if (from === 'bool') return [...x, S.convertI32U];
      if (from === 'int32') return [...x, S.convertI32S];
      return [...x, ...const1(0), S.ne];
    },
    // bool -> int32 keeps the byte, int32 -> bool tests !== 0, float32 -> int32 wraps as an Int32Array store does.
    scalarInt: ([x], c, tmp) => {
      if (c.outDtype === 'bool') return [...x, ...wasmOp.i32Const(0), S.i32Ne];
      return c.inDtypes[0] === 'float32' ? toInt32(x, tmp) : x;
    },
    simdWhen: (c) => c.outDtype !== 'int32' && (c.inDtypes[0] !== 'int32' || c.outDtype === 'float32'),
    on: {
      cpu: {
        when: (c) => !(c.inDtypes[0] === 'int32' && c.outDtype === 'float32'),
        why: 'tfjs-cpu casts int32 to float32 by sharing the Int32Array (no rounding; the cast itself costs nothing)',
      },
      wasm: {
        when: (c) => c.outDtype !== 'bool',
        why: 'tfjs-wasm casts to bool by storing bytes (0.5 gives false, 2 gives a byte 2), not by testing !== 0; ' +
          'from bool it converts the byte (2 gives 2)',
      },
    },
  },
  ZerosLike: {
    inputs: ['x'], dtype: 'same', accepts: ANY, js: () => '0', ignoresValues: true, simd: () => f32x4Const(0),
    scalar: (_x, c) => constOf(c.outDtype, 0),
    scalarInt: (_x, c) => constOf(c.outDtype, 0),
  },
  OnesLike: {
    inputs: ['x'], dtype: 'same', accepts: ANY, js: () => '1', ignoresValues: true, simd: () => f32x4Const(1),
    scalar: (_x, c) => constOf(c.outDtype, 1),
    scalarInt: (_x, c) => constOf(c.outDtype, 1),
  },

  Add: binary((a, b) => `(${a} + ${b})`, NUM, { simd: bin(simd.f32x4Add), scalar: bin1(S.add), scalarInt: bin1(S.i32Add), identity: { constant: -0, side: 'either' } }),
  Sub: binary((a, b) => `(${a} - ${b})`, NUM, { simd: bin(simd.f32x4Sub), scalar: bin1(S.sub), scalarInt: bin1(S.i32Sub), identity: { constant: 0, side: 'b' } }),
  Multiply: binary((a, b) => `(${a} * ${b})`, NUM, {
    simd: bin(simd.f32x4Mul),
    scalar: bin1(S.mul),
    identity: { constant: 1, side: 'either' },
    on: {
      wasm: {
        js: ([a, b], c) => (isInt(c) ? `Math.imul(${a}, ${b})` : `(${a} * ${b})`),
        scalarInt: bin1(S.i32Mul),
        why: 'tfjs-wasm multiplies int32 with a wrapping integer multiply; tfjs-cpu multiplies doubles (inexact beyond 2^53)',
      },
    },
  }),
  RealDiv: binary((a, b) => `(${a} / ${b})`, F32, { simd: bin(simd.f32x4Div), scalar: bin1(S.div), identity: { constant: 1, side: 'b' } }),
  FloorDiv: binary((a, b) => `Math.floor(${a} / ${b})`, NUM, {
    on: {
      cpu: { accepts: I32, why: 'tfjs-cpu\'s floorDiv of float32 returns int32 (tfjs-wasm: float32)' },
      wasm: {
        js: ([a, b], c) => (isInt(c) ? F2I(`Math.floor(Math.fround(Math.fround(${a}) / Math.fround(${b})))`)
          : `Math.floor(Math.fround(${a} / ${b}))`),
        why: 'tfjs-wasm divides in float before flooring (floorDiv(1, 0.2) is 5; 4 on tfjs-cpu); int32 goes through float',
      },
    },
  }),
  Mod: binary((a, b) => `__mod(${a}, ${b})`, NUM, {
    on: {
      wasm: {
        accepts: F32,
        js: ([a, b]) => `__modf(${a}, ${b})`,
        // C's fmodf makes its NaN as (x*y)/(x*y): the machine's default NaN (x86: sign bit set)
        // or the NaN operand's bits, where JS's % returns one canonical NaN. tfjs-wasm's relu
        // reads NaN bits (a negative NaN becomes 0), so __fmodC makes its NaN the same way.
        why: 'tfjs-wasm adds in float in the sign fix-up and makes NaN as C fmodf does; int32 mod by 0 traps there',
      },
    },
  }),
  Pow: binary((a, b) => `Math.pow(${a}, ${b})`, NUM, { on: { wasm: LIBM } }),
  Maximum: binary((a, b) => `Math.max(${a}, ${b})`, NUM, {
    simd: bin(simd.f32x4Max),
    scalar: bin1(S.max),
    scalarInt: ([a, b], _c, tmp) => intPick(a, b, S.i32GtS, tmp),
    on: {
      wasm: {
        js: ([a, b]) => `(${a} < ${b} ? ${b} : ${a})`,
        simd: bin(simd.f32x4Pmax),
        scalar: ([a, b], _c, tmp) => pmax1(a, b, tmp),
        why: 'tfjs-wasm uses std::max (a < b ? b : a): maximum(x, NaN) is x, maximum(-0, 0) is -0',
      },
    },
  }),
  Minimum: binary((a, b) => `Math.min(${a}, ${b})`, NUM, {
    simd: bin(simd.f32x4Min),
    scalar: bin1(S.min),
    scalarInt: ([a, b], _c, tmp) => intPick(a, b, S.i32LtS, tmp),
    on: {
      wasm: {
        js: ([a, b]) => `(${b} < ${a} ? ${b} : ${a})`,
        simd: bin(simd.f32x4Pmin),
        scalar: ([a, b], _c, tmp) => pmin1(a, b, tmp),
        why: 'tfjs-wasm uses std::min (b < a ? b : a): minimum(x, NaN) is x, minimum(0, -0) is 0',
      },
    },
  }),
  SquaredDifference: binary((a, b) => `__sqdiff(${a}, ${b})`, NUM, {
    on: {
      wasm: {
        js: ([a, b], c) => (isInt(c) ? `Math.imul((${a} - ${b}) | 0, (${a} - ${b}) | 0)` : `__sqdiffF(${a}, ${b})`),
        simd: ([a, b], _c, tmp) => {
          const d = once([...a, ...b, ...wasmOp.simd(simd.f32x4Sub)], tmp);
          return [...d.set, ...d.get, ...d.get, ...wasmOp.simd(simd.f32x4Mul)];
        },
        scalar: ([a, b], _c, tmp) => {
          const d = once1([...a, ...b, S.sub], F32_T, tmp);
          return [...d.set, ...d.get, ...d.get, S.mul];
        },
        scalarInt: ([a, b], _c, tmp) => {
          const d = once1([...a, ...b, S.i32Sub], I32_T, tmp);
          return [...d.set, ...d.get, ...d.get, S.i32Mul];
        },
        why: 'tfjs-wasm rounds the difference to float before squaring; tfjs-cpu squares the double',
      },
    },
  }),
  Atan2: binary((a, b) => `Math.atan2(${a}, ${b})`, NUM, { on: { wasm: LIBM } }),
  Greater: compare('>', simd.f32x4Gt, S.gt, S.i32GtS),
  GreaterEqual: compare('>=', simd.f32x4Ge, S.ge, S.i32GeS),
  Less: compare('<', simd.f32x4Lt, S.lt, S.i32LtS),
  LessEqual: compare('<=', simd.f32x4Le, S.le, S.i32LeS),
  Equal: compare('===', simd.f32x4Eq, S.eq, S.i32Eq),
  NotEqual: compare('!==', simd.f32x4Ne, S.ne, S.i32Ne),
  LogicalAnd: { inputs: ['a', 'b'], dtype: 'bool', accepts: ['bool'], js: ([a, b]) => `(${a} && ${b} ? 1 : 0)`,
    simd: ([a, b]) => [...laneIsNonzero(a), ...laneIsNonzero(b), ...wasmOp.simd(simd.and)],
    scalar: ([a, b]) => [...truth(a), ...truth(b), ...wasmOp.i32And],
    on: {
      cpu: {
        js: ([a, b]) => `(${a} && ${b})`,
        simd: ([a, b]) => select(laneIsNonzero(a), b, i32x4Const(0)),
        scalar: ([a, b]) => pick(a, b, wasmOp.i32Const(0)),
        why: 'tfjs-cpu stores JS `a && b` of the bool bytes (2 and 3 gives 3)',
      },
      wasm: { js: ([a, b]) => `(${a} & ${b})`, simd: byteBits(simd.and), scalar: ([a, b]) => [...a, ...b, ...wasmOp.i32And],
        why: `${BOOL_BYTES}: logicalAnd is the bitwise and of the bytes (2 and 1 gives 0)` },
    } },
  LogicalOr: { inputs: ['a', 'b'], dtype: 'bool', accepts: ['bool'], js: ([a, b]) => `(${a} || ${b} ? 1 : 0)`,
    simd: ([a, b]) => laneIsNonzero([...a, ...b, ...wasmOp.simd(simd.or)]),
    scalar: ([a, b]) => truth([...a, ...b, ...wasmOp.i32Or]),
    on: {
      cpu: {
        js: ([a, b]) => `(${a} || ${b})`,
        simd: ([a, b], _c, tmp) => { const v = once(a, tmp); return [...v.set, ...select(laneIsNonzero(v.get), v.get, b)]; },
        scalar: ([a, b], _c, tmp) => { const v = once1(a, I32_T, tmp); return [...v.set, ...pick(v.get, v.get, b)]; },
        why: 'tfjs-cpu stores JS `a || b` of the bool bytes (2 or 1 gives 2)',
      },
      wasm: { js: ([a, b]) => `(${a} | ${b})`, simd: byteBits(simd.or), scalar: ([a, b]) => [...a, ...b, ...wasmOp.i32Or],
        why: `${BOOL_BYTES}: logicalOr is the bitwise or of the bytes (2 or 1 gives 3)` },
    } },

  Select: {
    inputs: ['condition', 't', 'e'], dtype: 'same', accepts: ANY, js: ([c, t, e]) => `(${c} ? ${t} : ${e})`,
    // Any nonzero byte selects t: its lane (the negated byte, e.g. -2) is made a full mask first.
    simd: ([c, t, e]) => select([...c, ...i32x4Const(0), ...wasmOp.simd(simd.i32x4Ne)], t, e),
    scalar: ([c, t, e]) => pick(c, t, e),
    scalarInt: ([c, t, e]) => pick(c, t, e),
    on: {
      cpu: {
        js: ([c, t, e]) => `(${c} === 1 ? ${t} : ${e})`,
        simd: ([c, t, e]) => select([...c, ...i32x4Const(-1), ...wasmOp.simd(simd.i32x4Eq)], t, e),
        scalar: ([c, t, e]) => pick([...c, ...wasmOp.i32Const(1), ...wasmOp.i32Eq], t, e),
        scalarInt: ([c, t, e]) => pick([...c, ...wasmOp.i32Const(1), ...wasmOp.i32Eq], t, e),
        why: 'tfjs-cpu selects t where the condition byte is exactly 1 (a bool byte 2 from fill(…, 2, \'bool\') selects e)',
      },
      wasm: {
        accepts: NUM,
        why: 'tfjs-wasm selects through float pointers, which misreads bool data; any nonzero condition byte selects t',
      },
    },
  },
};

/** C's (emscripten's) float-to-int32 conversion, for constants known at code generation. */
function f2i(x: number): number {
  return Math.abs(x) < 2147483648 ? Math.trunc(x) | 0 : -2147483648;
}

/** Helpers the generated code may call (formulas too long to inline). */
export const FUSED_HELPERS = `
const __f2i = (x) => (Math.abs(x) < 2147483648 ? x | 0 : -2147483648);
const __roundCpu = (x) => { const b = Math.floor(x); const d = x - b;
  return d < 0.5 ? Math.floor(x) : d > 0.5 ? Math.ceil(x) : (b % 2 === 0 ? b : b + 1); };
const __rint = (x) => { const r = Math.round(x); return (r - x === 0.5 && r % 2 !== 0) ? r - 1 : r; };
const __mod = (a, b) => { const r = a % b; return ((a < 0 && b < 0) || (a >= 0 && b >= 0)) ? r : (r + b) % b; };
const __fmodC = (a, b) => { const r = a % b; return r === r ? r : (a * b) / (a * b); };
const __modf = (a, b) => { const r = __fmodC(a, b); return ((a < 0 && b < 0) || (a >= 0 && b >= 0)) ? r : __fmodC(Math.fround(r + b), b); };
const __sqdiff = (a, b) => { const d = a - b; return d * d; };
const __sqdiffF = (a, b) => { const d = Math.fround(a - b); return d * d; };
const __clamp = (x, lo, hi) => { const t = lo < x ? x : lo; return t < hi ? t : hi; };
const __softplus = (x) => { const e = Math.exp(x);
  return x < ${Math.log(1.1920928955078125e-7) + 2.0} ? e : x > ${-(Math.log(1.1920928955078125e-7) + 2.0)} ? x : Math.log(1.0 + e); };
const __erf = (x) => { const s = Math.sign(x); const v = Math.abs(x); const t = 1 / (1 + ${backend_util.ERF_P} * v);
  return s * (1 - (((((${backend_util.ERF_A5} * t + ${backend_util.ERF_A4}) * t) + ${backend_util.ERF_A3}) * t + ${backend_util.ERF_A2}) * t + ${backend_util.ERF_A1}) * t * Math.exp(-v * v)); };
`;

/**
 * Overrides registered for a whole formulas key from another file (the WGSL forms,
 * ./wgsl-ops.ts), read where a record has no `on` entry of its own for that key.
 */
const registeredForms = new Map<FusionTarget, Readonly<Record<string, BackendForm>>>();

/** Registers the overrides of every op under the formulas key `target`; a second registration is an error. */
export function registerBackendForms(target: FusionTarget, forms: Readonly<Record<string, BackendForm>>): void {
  if (registeredForms.has(target)) throw new InternalError(`registerBackendForms: formulas '${target}' are registered twice`);
  registeredForms.set(target, forms);
}

/** An op's forms on `target`: the record's own, with the backend's overrides applied. */
export function formFor(kernel: string, target: FusionTarget): (OpForm & { readonly op: ElementwiseOp }) | undefined {
  const op = ELEMENTWISE_OPS[kernel];
  if (op === undefined) return undefined;
  const o = op.on?.[target] ?? registeredForms.get(target)?.[kernel];
  if (o === undefined) return { ...op, op };
  return {
    op,
    accepts: o.accepts ?? op.accepts,
    when: o.when ?? op.when,
    js: o.js ?? op.js,
    simd: o.simd === null ? undefined : (o.simd ?? op.simd),
    simdWhen: o.simdWhen ?? op.simdWhen,
    scalar: o.scalar === null ? undefined : (o.scalar ?? op.scalar),
    scalarInt: o.scalarInt === null ? undefined : (o.scalarInt ?? op.scalarInt),
  };
}

/**
 * The result dtype of `kernel` on inputs of dtypes `inputDtypes`, or undefined if it is
 * not fused on `target`.
 */
export function resultDtype(kernel: string, inputDtypes: readonly tf.DataType[],
  attrs: Readonly<Record<string, unknown>>, target: FusionTarget): tf.DataType | undefined {
  const form = formFor(kernel, target);
  if (form === undefined) return undefined;
  const isSelect = kernel === 'Select';
  if (isSelect && inputDtypes[0] !== 'bool') return undefined;
  if (!inputDtypes.every((d, i) => (isSelect && i === 0) || form.accepts.includes(d))) return undefined;
  let out: tf.DataType;
  switch (form.op.dtype) {
    case 'bool':
      out = 'bool';
      break;
    case 'attr': {
      const d = attrs.dtype as tf.DataType;
      if (!ANY.includes(d)) return undefined;
      out = d;
      break;
    }
    case 'same':
      out = isSelect ? inputDtypes[1] : inputDtypes[0];
      break;
  }
  if (form.when !== undefined && !form.when({ attrs, inDtypes: inputDtypes, outDtype: out })) return undefined;
  return out;
}

/**
 * Wraps the expression computing an op's result so the value is exactly what tfjs
 * stores for `dtype`: float32 rounded with Math.fround, int32 wrapped with `| 0` (as an
 * Int32Array store does), bool as the 0/1 the forms produce.
 */
export function roundTo(dtype: tf.DataType, expr: string): string {
  switch (dtype) {
    case 'float32':
      return `Math.fround(${expr})`;
    case 'int32':
      return `(${expr} | 0)`;
    default:
      return expr;
  }
}

/**
 * The elements of a fused kernel's literal input at its constant's own shape: host values, as
 * the program's constant is held (a kernel that replays the group reads it as the unfused
 * program read that constant; `tf.fill` would be a GPU kernel on webgpu).
 */
export function literalValues(input: Extract<FusedInput, { mode: 'literal' }>): tf.TypedArray {
  return util.getTypedArrayFromDType(input.dtype as 'float32', util.sizeFromShape([...input.shape])).fill(input.value);
}

/**
 * Generates a WebAssembly SIMD kernel for a fused elementwise spec, running in place on
 * tfjs-wasm's heap: four float32 lanes per step, bool values as lane masks.
 *
 * Supported: float32 and bool values, inputs read whole or as one value (no strided
 * broadcasts), and the ops in {@link SIMD_OPS}. Anything else uses the JS loop.
 */
import type { FusedSpec } from '../ir';

/** The parts of the WebAssembly JS API used here (not in the ES lib typings). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
import {
  buildModule, F32, f32x4Const, I32, i32x4Const, memarg, op, simd, V128,
} from './wasm-binary';

type Emit = (args: number[][], attrs: Readonly<Record<string, unknown>>, tmp: () => number) => number[];

const un = (code: number): Emit => ([x]) => [...x, ...op.simd(code)];
const bin = (code: number): Emit => ([a, b]) => [...a, ...b, ...op.simd(code)];
const num = (v: unknown): number => Number(v);

/** `select(mask, t, e)` as v128.bitselect(t, e, mask). */
const select = (mask: number[], t: number[], e: number[]): number[] => [...t, ...e, ...mask, ...op.simd(simd.bitselect)];

// Cephes expf: range reduction by ln 2, a degree-5 polynomial, and a scale by 2^n in two
// halves so that results near the float32 limits overflow and underflow correctly.
const EXP_C1 = 0.693359375;
const EXP_C2 = -2.12194440e-4;
const EXP_P = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];

function expOf(x: number[], tmp: () => number): number[] {
  const xl = tmp();
  const fx = tmp();
  const r = tmp();
  const n = tmp();
  const y = tmp();
  const code: number[] = [
    ...x, ...f32x4Const(-104), ...op.simd(simd.f32x4Max), ...f32x4Const(89), ...op.simd(simd.f32x4Min), ...op.localSet(xl),
    ...op.localGet(xl), ...f32x4Const(Math.LOG2E), ...op.simd(simd.f32x4Mul), ...op.simd(simd.f32x4Nearest), ...op.localSet(fx),
    ...op.localGet(xl), ...op.localGet(fx), ...f32x4Const(EXP_C1), ...op.simd(simd.f32x4Mul), ...op.simd(simd.f32x4Sub),
    ...op.localGet(fx), ...f32x4Const(EXP_C2), ...op.simd(simd.f32x4Mul), ...op.simd(simd.f32x4Sub), ...op.localSet(r),
    ...f32x4Const(EXP_P[0]),
  ];
  for (const p of EXP_P.slice(1)) code.push(...op.localGet(r), ...op.simd(simd.f32x4Mul), ...f32x4Const(p), ...op.simd(simd.f32x4Add));
  code.push(
    ...op.localGet(r), ...op.localGet(r), ...op.simd(simd.f32x4Mul), ...op.simd(simd.f32x4Mul),
    ...op.localGet(r), ...op.simd(simd.f32x4Add), ...f32x4Const(1), ...op.simd(simd.f32x4Add), ...op.localSet(y),
    ...op.localGet(fx), ...op.simd(simd.i32x4TruncSatF32x4S), ...op.localSet(n),
    // y * 2^(n >> 1) * 2^(n - (n >> 1))
    ...op.localGet(y),
    ...op.localGet(n), ...op.i32Const(1), ...op.simd(simd.i32x4ShrS), ...i32x4Const(127), ...op.simd(simd.i32x4Add),
    ...op.i32Const(23), ...op.simd(simd.i32x4Shl), ...op.simd(simd.f32x4Mul),
    ...op.localGet(n), ...op.localGet(n), ...op.i32Const(1), ...op.simd(simd.i32x4ShrS), ...op.simd(simd.i32x4Sub),
    ...i32x4Const(127), ...op.simd(simd.i32x4Add), ...op.i32Const(23), ...op.simd(simd.i32x4Shl), ...op.simd(simd.f32x4Mul),
  );
  return code;
}

/** Ops with a SIMD form, over float32 values and bool masks. */
const SIMD_OPS: Readonly<Record<string, Emit>> = {
  Add: bin(simd.f32x4Add),
  Sub: bin(simd.f32x4Sub),
  Multiply: bin(simd.f32x4Mul),
  RealDiv: bin(simd.f32x4Div),
  Maximum: bin(simd.f32x4Max),
  Minimum: bin(simd.f32x4Min),
  Abs: un(simd.f32x4Abs),
  Neg: un(simd.f32x4Neg),
  Sqrt: un(simd.f32x4Sqrt),
  Floor: un(simd.f32x4Floor),
  Ceil: un(simd.f32x4Ceil),
  Square: ([x], _a, tmp) => { const t = tmp(); return [...x, ...op.localTee(t), ...op.localGet(t), ...op.simd(simd.f32x4Mul)]; },
  SquaredDifference: ([a, b], _a, tmp) => {
    const t = tmp();
    return [...a, ...b, ...op.simd(simd.f32x4Sub), ...op.localTee(t), ...op.localGet(t), ...op.simd(simd.f32x4Mul)];
  },
  Reciprocal: ([x]) => [...f32x4Const(1), ...x, ...op.simd(simd.f32x4Div)],
  Rsqrt: ([x]) => [...f32x4Const(1), ...x, ...op.simd(simd.f32x4Sqrt), ...op.simd(simd.f32x4Div)],
  Relu: ([x]) => [...f32x4Const(0), ...x, ...op.simd(simd.f32x4Max)],
  Relu6: ([x]) => [...f32x4Const(0), ...x, ...op.simd(simd.f32x4Max), ...f32x4Const(6), ...op.simd(simd.f32x4Min)],
  ClipByValue: ([x], a, tmp) => {
    const t = tmp();
    const lo = f32x4Const(num(a.clipValueMin));
    const hi = f32x4Const(num(a.clipValueMax));
    const g = op.localGet(t);
    return [...x, ...op.localSet(t),
      ...select([...g, ...hi, ...op.simd(simd.f32x4Gt)], hi, select([...g, ...lo, ...op.simd(simd.f32x4Lt)], lo, g))];
  },
  LeakyRelu: ([x], a, tmp) => {
    const t = tmp();
    const g = op.localGet(t);
    return [...x, ...op.localSet(t),
      ...select([...g, ...f32x4Const(0), ...op.simd(simd.f32x4Lt)], [...g, ...f32x4Const(num(a.alpha)), ...op.simd(simd.f32x4Mul)], g)];
  },
  Sign: ([x], _a, tmp) => {
    const t = tmp();
    const g = op.localGet(t);
    return [...x, ...op.localSet(t), ...select([...g, ...f32x4Const(0), ...op.simd(simd.f32x4Lt)], f32x4Const(-1),
      select([...g, ...f32x4Const(0), ...op.simd(simd.f32x4Gt)], f32x4Const(1), f32x4Const(0)))];
  },
  Step: ([x], a, tmp) => {
    const t = tmp();
    const g = op.localGet(t);
    return [...x, ...op.localSet(t), ...select([...g, ...g, ...op.simd(simd.f32x4Ne)], g,
      select([...g, ...f32x4Const(0), ...op.simd(simd.f32x4Gt)], f32x4Const(1), f32x4Const(num(a.alpha))))];
  },
  Exp: ([x], _a, tmp) => expOf(x, tmp),
  Sigmoid: ([x], _a, tmp) => [...f32x4Const(1), ...f32x4Const(1), ...expOf([...x, ...op.simd(simd.f32x4Neg)], tmp),
    ...op.simd(simd.f32x4Add), ...op.simd(simd.f32x4Div)],
  Greater: bin(simd.f32x4Gt),
  GreaterEqual: bin(simd.f32x4Ge),
  Less: bin(simd.f32x4Lt),
  LessEqual: bin(simd.f32x4Le),
  Equal: bin(simd.f32x4Eq),
  NotEqual: bin(simd.f32x4Ne),
  LogicalAnd: bin(simd.and),
  LogicalOr: bin(simd.or),
  LogicalNot: un(simd.not),
  Select: ([c, t, e]) => select(c, t, e),
  ZerosLike: () => f32x4Const(0),
  OnesLike: () => f32x4Const(1),
};

/** Whether `spec` can run as a SIMD kernel. */
export function simdSupports(spec: FusedSpec): boolean {
  const nIn = spec.inputs.length;
  const dtypeOf = (r: number) => (r < nIn ? spec.inputs[r].dtype : spec.ops[r - nIn].dtype);
  // int32 values are supported only as inputs that are cast to float32 (labels, counters).
  const intOnlyCast = (k: number) => spec.ops.every((o) => !o.args.includes(k) || (o.kernel === 'Cast' && o.dtype === 'float32'));
  if (spec.inputs.some((i, k) => i.mode === 'strided' ||
    !(i.dtype === 'float32' || i.dtype === 'bool' || (i.dtype === 'int32' && intOnlyCast(k))))) return false;
  return spec.ops.every((o) => {
    if (o.dtype !== 'float32' && o.dtype !== 'bool') return false;
    if (o.kernel === 'Cast') {
      const from = dtypeOf(o.args[0]);
      return (from === 'bool' || from === 'float32' || (from === 'int32' && o.dtype === 'float32')) &&
        (o.dtype === 'float32' || o.dtype === 'bool');
    }
    if ((o.kernel === 'ZerosLike' || o.kernel === 'OnesLike') && o.dtype !== 'float32') return false;
    if (SIMD_OPS[o.kernel] === undefined) return false;
    // Arithmetic on bool values (other than logic and select) has no mask form.
    const logic = ['LogicalAnd', 'LogicalOr', 'LogicalNot'].includes(o.kernel);
    return o.args.every((a, i) => (dtypeOf(a) === 'bool') === (logic || (o.kernel === 'Select' && i === 0)));
  });
}

/** A compiled SIMD kernel: `run(inputPtrs..., outputPtrs..., n)` over the first `n` elements (a multiple of 4). */
export type SimdKernel = (...ptrsAndCount: number[]) => void;

/** Compiles `spec` (see {@link simdSupports}) against `memory`, tfjs-wasm's heap. */
export function compileSimdKernel(spec: FusedSpec, memory: WasmMemory): SimdKernel {
  const nIn = spec.inputs.length;
  const dtypeOf = (r: number) => (r < nIn ? spec.inputs[r].dtype : spec.ops[r - nIn].dtype);
  const params: number[] = [];
  const ptrParam = new Map<number, number>();
  spec.inputs.forEach((inp, k) => { if (inp.mode !== 'literal') { ptrParam.set(k, params.length); params.push(I32); } });
  const outParam = spec.outputs.map(() => { params.push(I32); return params.length - 1; });
  const nParam = params.length;
  params.push(I32);

  const locals: number[] = [];
  const local = (t: number): number => { locals.push(t); return params.length + locals.length - 1; };
  const iLocal = local(I32);
  const i4Local = local(I32);
  const valueLocal = new Map<number, number>();
  const pre: number[] = [];
  const body: number[] = [];

  // Inputs: literals are constants, scalars are splatted once, whole inputs loaded per step.
  const get = (r: number): number[] => {
    if (r < nIn && spec.inputs[r].mode === 'literal') {
      const inp = spec.inputs[r] as { value: number; dtype: string };
      return inp.dtype === 'bool' ? i32x4Const(inp.value !== 0 ? -1 : 0)
        : inp.dtype === 'int32' ? i32x4Const(inp.value) : f32x4Const(inp.value);
    }
    return op.localGet(valueLocal.get(r)!);
  };
  spec.inputs.forEach((inp, k) => {
    if (inp.mode === 'literal') return;
    const l = local(V128);
    valueLocal.set(k, l);
    const ptr = op.localGet(ptrParam.get(k)!);
    if (inp.mode === 'scalar') {
      if (inp.dtype === 'bool') pre.push(...ptr, ...op.i32Load8U, ...op.simd(simd.i32x4Splat), ...op.simd(simd.i32x4Neg));
      else if (inp.dtype === 'int32') pre.push(...ptr, ...op.i32Load, ...op.simd(simd.i32x4Splat));
      else pre.push(...ptr, ...op.f32Load, ...op.simd(simd.f32x4Splat));
      pre.push(...op.localSet(l));
    } else if (inp.dtype === 'bool') {
      body.push(...ptr, ...op.localGet(iLocal), ...op.i32Add, ...op.simd(simd.load32Zero, ...memarg(0)),
        ...op.simd(simd.i16x8ExtendLowI8x16U), ...op.simd(simd.i32x4ExtendLowI16x8U), ...op.simd(simd.i32x4Neg), ...op.localSet(l));
    } else {
      body.push(...ptr, ...op.localGet(i4Local), ...op.i32Add, ...op.simd(simd.load, ...memarg(2)), ...op.localSet(l));
    }
  });

  const tmp = (): number => local(V128);
  spec.ops.forEach((o, j) => {
    const args = o.args.map(get);
    let code: number[];
    if (o.kernel === 'Cast') {
      const from = dtypeOf(o.args[0]);
      if (from === o.dtype) code = args[0];
      else if (from === 'bool') code = [...args[0], ...f32x4Const(1), ...op.simd(simd.and)];
      else if (from === 'int32') code = [...args[0], ...op.simd(simd.f32x4ConvertI32x4S)];
      else code = [...args[0], ...f32x4Const(0), ...op.simd(simd.f32x4Ne)];
    } else {
      code = SIMD_OPS[o.kernel](args, o.attrs, tmp);
    }
    const l = local(V128);
    valueLocal.set(nIn + j, l);
    body.push(...code, ...op.localSet(l));
  });

  spec.outputs.forEach((r, m) => {
    const ptr = op.localGet(outParam[m]);
    if (dtypeOf(r) === 'bool') {
      // Lane masks (-1 / 0) become 0 / 1, then narrow to four bytes stored at once.
      const t = tmp();
      body.push(...ptr, ...op.localGet(iLocal), ...op.i32Add,
        ...get(r), ...op.simd(simd.i32x4Neg), ...op.localTee(t), ...op.localGet(t), ...op.simd(simd.i16x8NarrowI32x4U),
        ...op.localTee(t), ...op.localGet(t), ...op.simd(simd.i8x16NarrowI16x8U), ...op.simd(simd.store32Lane, ...memarg(0), 0));
    } else {
      body.push(...ptr, ...op.localGet(i4Local), ...op.i32Add, ...get(r), ...op.simd(simd.store, ...memarg(2)));
    }
  });

  const code: number[] = [
    ...pre,
    ...op.block, ...op.loop,
    ...op.localGet(iLocal), ...op.localGet(nParam), ...op.i32GeU, ...op.brIf(1),
    ...op.localGet(iLocal), ...op.i32Const(2), ...op.i32Shl, ...op.localSet(i4Local),
    ...body,
    ...op.localGet(iLocal), ...op.i32Const(4), ...op.i32Add, ...op.localSet(iLocal),
    ...op.br(0),
    ...op.end, ...op.end,
  ];
  const module = new WA.Module(buildModule(params, locals, code));
  const instance = new WA.Instance(module, { env: { memory } });
  return instance.exports.run as SimdKernel;
}

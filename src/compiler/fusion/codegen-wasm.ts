/**
 * Generates a WebAssembly SIMD kernel for a fused elementwise spec, running in place on
 * tfjs-wasm's heap: four float32 lanes per step, bool values as lane masks.
 *
 * Supported: float32 and bool values, inputs read whole, as one value, or (float32) as a
 * row broadcast (a bias: the input is the domain's trailing dimensions, repeated; see
 * {@link periodOf}), and ops whose record (fusion/ops.ts) has an exact SIMD form on the
 * target backend. Anything else uses the JS loop.
 */
import type { FusedSpec } from '../ir';
import { buildModule, f32x4Const, I32, i32x4Const, memarg, op, simd, V128 } from '../../util/wasm-binary';
import { EmitContext, formFor, FusionTarget } from './ops';
import { refDtype } from './codegen-js';
import { noteKernelCompiled } from './compile-count';

/** The parts of the WebAssembly JS API used here (not in the ES lib typings). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The emit context of op `j` of `spec`. */
function contextOf(spec: FusedSpec, j: number): EmitContext {
  const o = spec.ops[j];
  return { attrs: o.attrs, inDtypes: o.args.map((a) => refDtype(spec, a)), outDtype: o.dtype };
}

/**
 * Elements after which a strided input repeats when it is a row broadcast: zero strides
 * on the leading dimensions of the domain, then the row-major strides of the trailing
 * ones (a `[256]` bias over a `[128, 256]` domain: 256), so element `i` of the domain
 * reads element `i % period`. Undefined for any other strided input, and for a period
 * that is not a multiple of 4 (a vector would straddle two repeats).
 */
export function periodOf(spec: FusedSpec, k: number): number | undefined {
  const inp = spec.inputs[k];
  if (inp.mode !== 'strided' || inp.dtype !== 'float32') return undefined;
  const dims = spec.shape;
  let period = 1;
  let d = dims.length - 1;
  for (; d >= 0 && inp.strides[d] !== 0; d--) {
    if (inp.strides[d] !== period) return undefined;
    period *= dims[d];
  }
  for (; d >= 0; d--) if (inp.strides[d] !== 0 && dims[d] !== 1) return undefined;
  return period % 4 === 0 ? period : undefined;
}

/**
 * Whether `spec` can run as a SIMD kernel on `target`: float32 and bool values (int32 only
 * as inputs cast to float32), strided inputs only as row broadcasts, and every op with an
 * exact SIMD form there.
 */
export function simdSupports(spec: FusedSpec, target: FusionTarget): boolean {
  // int32 values are supported only as inputs that are cast to float32 (labels, counters).
  const intOnlyCast = (k: number) => spec.ops.every((o) => !o.args.includes(k) || (o.kernel === 'Cast' && o.dtype === 'float32'));
  if (spec.inputs.some((i, k) => (i.mode === 'strided' && periodOf(spec, k) === undefined) ||
    !(i.dtype === 'float32' || i.dtype === 'bool' || (i.dtype === 'int32' && intOnlyCast(k))))) return false;
  // A literal outside its dtype's values (tfjs-cpu storage, see storedValues) would round or wrap in a lane.
  if (spec.inputs.some((i) => i.mode === 'literal' && ((i.dtype === 'float32' && Math.fround(i.value) !== i.value &&
    !Number.isNaN(i.value)) || (i.dtype === 'int32' && (i.value | 0) !== i.value)))) return false;
  return spec.ops.every((o, j) => {
    if (o.dtype !== 'float32' && o.dtype !== 'bool') return false;
    const form = formFor(o.kernel, target);
    if (form?.simd === undefined) return false;
    const c = contextOf(spec, j);
    if (form.simdWhen !== undefined && !form.simdWhen(c)) return false;
    if (o.kernel === 'Cast') return true;
    // Arithmetic on bool values (other than logic and select) has no mask form.
    const logic = ['LogicalAnd', 'LogicalOr', 'LogicalNot'].includes(o.kernel);
    return o.args.every((a, i) => (refDtype(spec, a) === 'bool') === (logic || (o.kernel === 'Select' && i === 0)));
  });
}

/** A compiled SIMD kernel: `run(inputPtrs..., outputPtrs..., n)` over the first `n` elements (a multiple of 4). */
export type SimdKernel = (...ptrsAndCount: number[]) => void;

/** Compiles `spec` (see {@link simdSupports}) for `target` against `memory` (tfjs-wasm's heap, or a private one). */
export function compileSimdKernel(spec: FusedSpec, target: FusionTarget, memory: WasmMemory): SimdKernel {
  const nIn = spec.inputs.length;
  const dtypeOf = (r: number) => refDtype(spec, r);
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
    } else if (inp.mode === 'strided') {
      // A row broadcast: its own byte offset, wrapping to 0 after each period.
      const off = local(I32);
      const periodBytes = 4 * periodOf(spec, k)!;
      body.push(...ptr, ...op.localGet(off), ...op.i32Add, ...op.simd(simd.load, ...memarg(2)), ...op.localSet(l),
        ...op.i32Const(0), ...op.localGet(off), ...op.i32Const(16), ...op.i32Add, ...op.localTee(off),
        ...op.localGet(off), ...op.i32Const(periodBytes), ...op.i32Eq, ...op.select, ...op.localSet(off));
    } else if (inp.dtype === 'bool') {
      body.push(...ptr, ...op.localGet(iLocal), ...op.i32Add, ...op.simd(simd.load32Zero, ...memarg(0)),
        ...op.simd(simd.i16x8ExtendLowI8x16U), ...op.simd(simd.i32x4ExtendLowI16x8U), ...op.simd(simd.i32x4Neg), ...op.localSet(l));
    } else {
      body.push(...ptr, ...op.localGet(i4Local), ...op.i32Add, ...op.simd(simd.load, ...memarg(2)), ...op.localSet(l));
    }
  });

  const tmp = (): number => local(V128);
  spec.ops.forEach((o, j) => {
    const code = formFor(o.kernel, target)!.simd!(o.args.map(get), contextOf(spec, j), tmp);
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
  noteKernelCompiled();
  const instance = new WA.Instance(module, { env: { memory } });
  return instance.exports.run as SimdKernel;
}

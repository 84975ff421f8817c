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
import { isMask, liveOps, rewrittenOp } from './simd-rewrites';
import { boolByte, isInt32Op } from './scalar-emit';
import { maskBytes, negMasks } from './simd-emit';

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
  return laneSupports(spec, target, 'simd');
}

/**
 * Whether `spec` can run as a WebAssembly kernel of `lane` on `target` (see
 * {@link simdSupports}). The scalar kernels take the same specs through their `scalar` forms,
 * and int32 values too where the op has a `scalarInt` form on `target`.
 */
export function laneSupports(spec: FusedSpec, target: FusionTarget, lane: 'simd' | 'scalar'): boolean {
  // SIMD takes int32 values only as inputs that are cast to float32 (labels, counters).
  const intOnlyCast = (k: number) => spec.ops.every((o) => !o.args.includes(k) || (o.kernel === 'Cast' && o.dtype === 'float32'));
  if (spec.inputs.some((i, k) => (i.mode === 'strided' && periodOf(spec, k) === undefined) ||
    !(i.dtype === 'float32' || i.dtype === 'bool' || (i.dtype === 'int32' && (lane === 'scalar' || intOnlyCast(k)))))) return false;
  // A literal outside its dtype's values (tfjs-cpu storage, see storedValues) would round or wrap in a lane.
  if (spec.inputs.some((i) => i.mode === 'literal' && ((i.dtype === 'float32' && Math.fround(i.value) !== i.value &&
    !Number.isNaN(i.value)) || (i.dtype === 'int32' && (i.value | 0) !== i.value)))) return false;
  return spec.ops.every((o, j) => {
    const form = formFor(o.kernel, target);
    if (form === undefined) return false;
    const c = contextOf(spec, j);
    if (lane === 'scalar' && isInt32Op(o.kernel, c)) {
      if (form.scalarInt === undefined) return false;
      if (o.kernel === 'Cast') return true;
      // Only int32 operands (a select's condition aside): no mixing with bool or float32 values.
      return c.inDtypes.every((d, i) => (o.kernel === 'Select' && i === 0 ? d === 'bool' : d === 'int32'));
    }
    if (o.dtype !== 'float32' && o.dtype !== 'bool') return false;
    if ((lane === 'simd' ? form.simd : form.scalar) === undefined) return false;
    if (form.simdWhen !== undefined && !form.simdWhen(c)) return false;
    if (o.kernel === 'Cast') return true;
    // Arithmetic on bool values (other than logic and select) has no mask form.
    const logic = ['LogicalAnd', 'LogicalOr', 'LogicalNot'].includes(o.kernel);
    return o.args.every((a, i) => (refDtype(spec, a) === 'bool') === (logic || (o.kernel === 'Select' && i === 0)));
  });
}

/** A compiled SIMD kernel: `run(inputPtrs..., outputPtrs..., n)` over the first `n` elements (a multiple of 4). */
export type SimdKernel = (...ptrsAndCount: number[]) => void;

/** Four-lane groups per step of the main loop (16 elements: one v128 of bool bytes). */
const UNROLL = 4;

/**
 * The signature and locals of a fused kernel's function, shared by the SIMD and scalar
 * generators: one i32 pointer per input that is not a literal (`ptrParam`: input index ->
 * parameter), one per output, then the element count; `local(type)` adds a local and
 * returns its index.
 */
export function kernelFrame(spec: FusedSpec): {
  params: number[]; ptrParam: Map<number, number>; outParam: number[]; nParam: number; locals: number[];
  local: (type: number) => number;
} {
  const params: number[] = [];
  const ptrParam = new Map<number, number>();
  spec.inputs.forEach((inp, k) => { if (inp.mode !== 'literal') { ptrParam.set(k, params.length); params.push(I32); } });
  const outParam = spec.outputs.map(() => { params.push(I32); return params.length - 1; });
  const nParam = params.length;
  params.push(I32);
  const locals: number[] = [];
  const local = (t: number): number => { locals.push(t); return params.length + locals.length - 1; };
  return { params, ptrParam, outParam, nParam, locals, local };
}

/**
 * Compiles `spec` (see {@link simdSupports}) for `target` against `memory` (tfjs-wasm's heap, or a private one).
 *
 * The main loop takes 16 elements per step: four groups of four lanes, each input read at
 * a constant offset from one address per input (memarg offsets, no address arithmetic per
 * group), and the lane masks of a bool output narrowed together into one 16-byte store.
 * A second loop takes the remaining groups of four (n is a multiple of 4). The ops are the
 * same in both loops, lane by lane: unrolling changes no result. Some op patterns take a
 * shorter exact form (./simd-rewrites.ts), and ops nothing reads are not computed.
 */
export function compileSimdKernel(spec: FusedSpec, target: FusionTarget, memory: WasmMemory): SimdKernel {
  const nIn = spec.inputs.length;
  const dtypeOf = (r: number) => refDtype(spec, r);
  const { params, ptrParam, outParam, nParam, locals, local } = kernelFrame(spec);
  const iLocal = local(I32);
  const i4Local = local(I32);
  const n16Local = local(I32);
  const valueLocal = new Map<number, number>();
  const pre: number[] = [];
  const tmp = (): number => local(V128);

  // Inputs: literals are constants, scalars are splatted once, others loaded per group.
  const get = (r: number): number[] => {
    if (r < nIn && spec.inputs[r].mode === 'literal') {
      const inp = spec.inputs[r] as { value: number; dtype: string };
      return inp.dtype === 'bool' ? i32x4Const(-boolByte(inp.value))
        : inp.dtype === 'int32' ? i32x4Const(inp.value) : f32x4Const(inp.value);
    }
    return op.localGet(valueLocal.get(r)!);
  };
  const offsets = new Map<number, number>();
  spec.inputs.forEach((inp, k) => {
    if (inp.mode === 'literal') return;
    const l = local(V128);
    valueLocal.set(k, l);
    if (inp.mode === 'strided') offsets.set(k, local(I32));
    if (inp.mode !== 'scalar') return;
    const ptr = op.localGet(ptrParam.get(k)!);
    if (inp.dtype === 'bool') pre.push(...ptr, ...op.i32Load8U, ...op.simd(simd.i32x4Splat), ...op.simd(simd.i32x4Neg));
    else if (inp.dtype === 'int32') pre.push(...ptr, ...op.i32Load, ...op.simd(simd.i32x4Splat));
    else pre.push(...ptr, ...op.f32Load, ...op.simd(simd.f32x4Splat));
    pre.push(...op.localSet(l));
  });
  spec.ops.forEach((_, j) => valueLocal.set(nIn + j, local(V128)));
  const live = liveOps(spec);
  const boolOuts = spec.outputs.map((r) => dtypeOf(r) === 'bool');
  // The lane masks of each bool output, per group of the main loop.
  const maskLocals = spec.outputs.map((_, m) => (boolOuts[m] ? Array.from({ length: UNROLL }, () => local(V128)) : []));

  /** Loads the inputs and computes the ops of group `g` (elements i + 4g ..), leaving the values in their locals. */
  const group = (g: number): number[] => {
    const code: number[] = [];
    spec.inputs.forEach((inp, k) => {
      if (inp.mode === 'literal' || inp.mode === 'scalar') return;
      const l = valueLocal.get(k)!;
      const ptr = op.localGet(ptrParam.get(k)!);
      if (inp.mode === 'strided') {
        // A row broadcast: its own byte offset, wrapping to 0 after each period.
        const off = offsets.get(k)!;
        const periodBytes = 4 * periodOf(spec, k)!;
        code.push(...ptr, ...op.localGet(off), ...op.i32Add, ...op.simd(simd.load, ...memarg(2)), ...op.localSet(l),
          ...op.i32Const(0), ...op.localGet(off), ...op.i32Const(16), ...op.i32Add, ...op.localTee(off),
          ...op.localGet(off), ...op.i32Const(periodBytes), ...op.i32Eq, ...op.select, ...op.localSet(off));
      } else if (inp.dtype === 'bool') {
        code.push(...ptr, ...op.localGet(iLocal), ...op.i32Add, ...op.simd(simd.load32Zero, ...memarg(0, 4 * g)),
          ...op.simd(simd.i16x8ExtendLowI8x16U), ...op.simd(simd.i32x4ExtendLowI16x8U), ...op.simd(simd.i32x4Neg), ...op.localSet(l));
      } else {
        code.push(...ptr, ...op.localGet(i4Local), ...op.i32Add, ...op.simd(simd.load, ...memarg(2, 16 * g)), ...op.localSet(l));
      }
    });
    spec.ops.forEach((o, j) => {
      if (!live[j]) return;
      const c = rewrittenOp(spec, j, get) ?? formFor(o.kernel, target)!.simd!(o.args.map(get), contextOf(spec, j), tmp);
      code.push(...c, ...op.localSet(valueLocal.get(nIn + j)!));
    });
    return code;
  };

  /** Stores the float outputs of group `g`; bool outputs keep their masks (main loop) or store four bytes (`single`). */
  const store = (g: number, single: boolean): number[] => {
    const code: number[] = [];
    spec.outputs.forEach((r, m) => {
      const ptr = op.localGet(outParam[m]);
      if (!boolOuts[m]) {
        code.push(...ptr, ...op.localGet(i4Local), ...op.i32Add, ...get(r), ...op.simd(simd.store, ...memarg(2, 16 * g)));
      } else if (!single) {
        code.push(...get(r), ...op.localSet(maskLocals[m][g]));
      } else {
        // Lane masks (-1 / 0) become 0 / 1, then narrow to four bytes stored at once.
        const t = tmp();
        code.push(...ptr, ...op.localGet(iLocal), ...op.i32Add,
          ...get(r), ...op.simd(simd.i32x4Neg), ...op.localTee(t), ...op.localGet(t), ...op.simd(simd.i16x8NarrowI32x4U),
          ...op.localTee(t), ...op.localGet(t), ...op.simd(simd.i8x16NarrowI16x8U), ...op.simd(simd.store32Lane, ...memarg(0), 0));
      }
    });
    return code;
  };

  /** The bool outputs of the main loop: 16 lanes (-byte each) negated and narrowed to their bytes (a comparison's masks the short way). */
  const storeMasks = (): number[] => {
    const code: number[] = [];
    spec.outputs.forEach((_, m) => {
      if (!boolOuts[m]) return;
      const [m0, m1, m2, m3] = maskLocals[m].map((l) => op.localGet(l));
      code.push(...op.localGet(outParam[m]), ...op.localGet(iLocal), ...op.i32Add,
        ...(isMask(spec, spec.outputs[m]) ? maskBytes : negMasks)(m0, m1, m2, m3), ...op.simd(simd.store, ...memarg(0)));
    });
    return code;
  };

  const main: number[] = [];
  for (let g = 0; g < UNROLL; g++) main.push(...group(g), ...store(g, false));
  main.push(...storeMasks());
  const tail = [...group(0), ...store(0, true)];
  const setI4 = [...op.localGet(iLocal), ...op.i32Const(2), ...op.i32Shl, ...op.localSet(i4Local)];
  const step = (k: number) => [...op.localGet(iLocal), ...op.i32Const(k), ...op.i32Add, ...op.localSet(iLocal)];

  const code: number[] = [
    ...pre,
    ...op.localGet(nParam), ...op.i32Const(-4 * UNROLL), ...op.i32And, ...op.localSet(n16Local),
    // Main loop: 16 elements per step.
    ...op.block, ...op.loop,
    ...op.localGet(iLocal), ...op.localGet(n16Local), ...op.i32GeU, ...op.brIf(1),
    ...setI4, ...main, ...step(4 * UNROLL),
    ...op.br(0),
    ...op.end, ...op.end,
    // Tail: the remaining groups of four.
    ...op.block, ...op.loop,
    ...op.localGet(iLocal), ...op.localGet(nParam), ...op.i32GeU, ...op.brIf(1),
    ...setI4, ...tail, ...step(4),
    ...op.br(0),
    ...op.end, ...op.end,
  ];
  const module = new WA.Module(buildModule(params, locals, code));
  noteKernelCompiled();
  const instance = new WA.Instance(module, { env: { memory } });
  return instance.exports.run as SimdKernel;
}

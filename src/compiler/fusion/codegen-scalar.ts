/**
 * Generates a scalar WebAssembly kernel for a fused elementwise spec: the kernel that runs
 * where SIMD is off (`BRAINSTATE_SIMD=0`) or the engine has no WebAssembly SIMD. It takes
 * the specs the SIMD kernel takes ({@link laneSupports}) and computes each element with the
 * ops' scalar forms (fusion/ops.ts): the same float32 operations as a SIMD lane, so the
 * same bits as the SIMD kernel, the JS loop and eager tfjs.
 *
 * Values: float32 as `f32`, bool as `i32` holding the stored byte (as the JS loop reads a
 * Uint8Array), int32 as `i32` (ops with a `scalarInt` form on the target: add, sub, compare,
 * select, min / max..., each exactly the backend's int32 arithmetic). The main loop takes four
 * elements per step (each input read at a constant offset from one address: no address
 * arithmetic per element), a second loop the rest one by one, so any `n` works: no JS tail.
 */
import type { FusedSpec } from '../ir';
import { buildModule, F32, I32, memarg, op, scalar } from '../../util/wasm-binary';
import { EmitContext, formFor, FusionTarget } from './ops';
import { refDtype } from './spec-refs';
import { noteKernelCompiled } from './compile-count';
import { foldedNeg, liveOps } from './simd-rewrites';
import { kernelFrame, periodOf } from './codegen-wasm';
import type { SimdKernel, WasmMemory } from './codegen-wasm';
import { constOf, isInt32Op } from './scalar-emit';

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Elements per step of the main loop. */
const UNROLL = 4;

/** The emit context of op `j` of `spec`. */
function contextOf(spec: FusedSpec, j: number): EmitContext {
  const o = spec.ops[j];
  return { attrs: o.attrs, inDtypes: o.args.map((a) => refDtype(spec, a)), outDtype: o.dtype };
}

/** The wasm value type holding a value of `dtype`. */
const valueType = (dtype: string): number => (dtype === 'float32' ? F32 : I32);

/**
 * Compiles `spec` (see {@link laneSupports} with lane 'scalar') for `target` against
 * `memory`: `run(inputPtrs..., outputPtrs..., n)` over the first `n` elements (any `n`).
 */
export function compileScalarKernel(spec: FusedSpec, target: FusionTarget, memory: WasmMemory): SimdKernel {
  const nIn = spec.inputs.length;
  const { params, ptrParam, outParam, nParam, locals, local } = kernelFrame(spec);
  const iLocal = local(I32);
  const i4Local = local(I32);
  const n4Local = local(I32);
  const valueLocal = new Map<number, number>();
  const offsets = new Map<number, number>();
  const pre: number[] = [];

  const get = (r: number): number[] => {
    if (r < nIn && spec.inputs[r].mode === 'literal') {
      const inp = spec.inputs[r] as { value: number; dtype: string };
      return constOf(inp.dtype, inp.value);
    }
    return op.localGet(valueLocal.get(r)!);
  };
  spec.inputs.forEach((inp, k) => {
    if (inp.mode === 'literal') return;
    const l = local(valueType(inp.dtype));
    valueLocal.set(k, l);
    if (inp.mode === 'strided') offsets.set(k, local(I32));
    if (inp.mode !== 'scalar') return;
    const ptr = op.localGet(ptrParam.get(k)!);
    const load = inp.dtype === 'bool' ? [scalar.i32Load8U, ...memarg(0)] : inp.dtype === 'int32' ? [scalar.i32Load, ...memarg(2)]
      : [scalar.load, ...memarg(2)];
    pre.push(...ptr, ...load, ...op.localSet(l));
  });
  spec.ops.forEach((o, j) => valueLocal.set(nIn + j, local(valueType(o.dtype))));
  const live = liveOps(spec);
  const tmp = (t: number): number => local(t);

  /** Loads and computes element i + g (byte offsets 4g and g from the loop's addresses). */
  const element = (g: number): number[] => {
    const code: number[] = [];
    spec.inputs.forEach((inp, k) => {
      if (inp.mode === 'literal' || inp.mode === 'scalar') return;
      const l = valueLocal.get(k)!;
      const ptr = op.localGet(ptrParam.get(k)!);
      if (inp.mode === 'strided') {
        // A row broadcast (float32): its own byte offset, wrapping to 0 after each period.
        const off = offsets.get(k)!;
        const periodBytes = 4 * periodOf(spec, k)!;
        code.push(...ptr, ...op.localGet(off), ...op.i32Add, scalar.load, ...memarg(2), ...op.localSet(l),
          ...op.i32Const(0), ...op.localGet(off), ...op.i32Const(4), ...op.i32Add, ...op.localTee(off),
          ...op.localGet(off), ...op.i32Const(periodBytes), ...op.i32Eq, ...op.select, ...op.localSet(off));
      } else if (inp.dtype === 'bool') {
        code.push(...ptr, ...op.localGet(iLocal), ...op.i32Add, scalar.i32Load8U, ...memarg(0, g), ...op.localSet(l));
      } else {
        code.push(...ptr, ...op.localGet(i4Local), ...op.i32Add, inp.dtype === 'int32' ? scalar.i32Load : scalar.load,
          ...memarg(2, 4 * g), ...op.localSet(l));
      }
    });
    spec.ops.forEach((o, j) => {
      if (!live[j]) return;
      const sub = foldedNeg(spec, j, (r) => refDtype(spec, r) === 'float32');
      const ctx = contextOf(spec, j);
      const form = formFor(o.kernel, target)!;
      const c = sub !== undefined ? [...get(sub[0]), ...get(sub[1]), scalar.sub]
        : (isInt32Op(o.kernel, ctx) ? form.scalarInt! : form.scalar!)(o.args.map(get), ctx, tmp);
      code.push(...c, ...op.localSet(valueLocal.get(nIn + j)!));
    });
    spec.outputs.forEach((r, m) => {
      const ptr = op.localGet(outParam[m]);
      const d = refDtype(spec, r);
      if (d === 'bool') {
        code.push(...ptr, ...op.localGet(iLocal), ...op.i32Add, ...get(r), scalar.i32Store8, ...memarg(0, g));
      } else {
        code.push(...ptr, ...op.localGet(i4Local), ...op.i32Add, ...get(r), d === 'int32' ? scalar.i32Store : scalar.store,
          ...memarg(2, 4 * g));
      }
    });
    return code;
  };

  const main: number[] = [];
  for (let g = 0; g < UNROLL; g++) main.push(...element(g));
  const setI4 = [...op.localGet(iLocal), ...op.i32Const(2), ...op.i32Shl, ...op.localSet(i4Local)];
  const step = (k: number) => [...op.localGet(iLocal), ...op.i32Const(k), ...op.i32Add, ...op.localSet(iLocal)];
  const code: number[] = [
    ...pre,
    ...op.localGet(nParam), ...op.i32Const(-UNROLL), ...op.i32And, ...op.localSet(n4Local),
    ...op.block, ...op.loop,
    ...op.localGet(iLocal), ...op.localGet(n4Local), ...op.i32GeU, ...op.brIf(1),
    ...setI4, ...main, ...step(UNROLL),
    ...op.br(0),
    ...op.end, ...op.end,
    ...op.block, ...op.loop,
    ...op.localGet(iLocal), ...op.localGet(nParam), ...op.i32GeU, ...op.brIf(1),
    ...setI4, ...element(0), ...step(1),
    ...op.br(0),
    ...op.end, ...op.end,
  ];
  const module = new WA.Module(buildModule(params, locals, code));
  noteKernelCompiled();
  const instance = new WA.Instance(module, { env: { memory } });
  return instance.exports.run as SimdKernel;
}

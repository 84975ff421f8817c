/**
 * Whole-loop SIMD kernels for pointwise loop bodies: a scan whose body is one fused
 * elementwise kernel (a neuron model: LIF, Izhikevich, an exponential synapse...) computes
 * element i of every step from element i of the carries, of that step's xs and of the
 * invariants only. Such a loop runs as one WebAssembly call with the loops exchanged: for
 * each block of 16 elements (4 lanes x 4 groups), the carries are loaded into registers
 * once, all the steps run with the carries staying in registers (each step reads its row
 * of the xs and writes its row of the ys, nothing else), and the final carries are stored
 * once. No return to JavaScript per step, no load or store of a carry per step, and full
 * invariants are loaded once per block instead of once per step.
 *
 * Every element goes through the same SIMD code (fusion/ops.ts's forms) in the same order
 * as in the step-by-step SIMD kernel (codegen-wasm.ts), so the results are the same bits;
 * only the order in which independent elements are visited changes.
 */
import type { FusedSpec } from '../ir';
import { buildModule, f32x4Const, I32, i32x4Const, memarg, op, simd, V128 } from '../../util/wasm-binary';
import { formFor, FusionTarget } from './ops';
import { refDtype } from './codegen-js';
import { noteKernelCompiled } from './compile-count';
import type { WasmMemory } from './codegen-wasm';
import { boolByte } from './scalar-emit';
import { maskBytes, negMasks } from './simd-emit';
import { isMask } from './simd-rewrites';

/** Where input k of the fused kernel comes from during the loop. */
export type PointwisePlace =
  /** A literal of the spec (no pointer). */
  | { readonly kind: 'literal' }
  /** The same buffer at every step (an invariant or a constant of the body). */
  | { readonly kind: 'fixed' }
  /** Row s of an x at step s; rows `rowBytes` apart. */
  | { readonly kind: 'x'; readonly rowBytes: number }
  /** The value carry `carry` has at the start of the step (its initial buffer at step 0). */
  | { readonly kind: 'carry'; readonly carry: number };

/** A pointwise loop: the body's fused kernel and where its inputs and outputs go. */
export interface PointwiseLoopSpec {
  readonly spec: FusedSpec;
  readonly places: readonly PointwisePlace[];
  /** Per carry: the fused output (index into spec.outputs) that is its next value (float32). */
  readonly carryOuts: readonly number[];
  /** Per y: the fused output it stacks, and the bytes between its rows. */
  readonly ys: readonly { readonly out: number; readonly rowBytes: number }[];
}

/**
 * `run(inputPtrs..., finalCarryPtrs..., yPtrs..., n, steps)`: input pointers for every
 * non-literal input in order (a carry's is its initial value), `n` elements per step (a
 * multiple of 4).
 */
export type PointwiseLoopKernel = (...ptrsAndCounts: number[]) => void;

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const GROUPS = 4;

/** Steps per tile: each block of elements runs this many steps before the next block. */
const TILE = 2;
const I32_SUB = [0x6b];
const I32_GT_U = [0x4b];

/** Byte size of one element of an input (bool values are bytes). */
const bytesOf = (dtype: string) => (dtype === 'bool' ? 1 : 4);

/** Compiles `loop` (its spec passed {@link simdSupports}) for `target` against `memory`. */
export function compilePointwiseLoop(loop: PointwiseLoopSpec, target: FusionTarget, memory: WasmMemory): PointwiseLoopKernel {
  const { spec, places } = loop;
  const nIn = spec.inputs.length;
  const nCarry = loop.carryOuts.length;
  const params: number[] = [];
  const ptrParam = new Map<number, number>();
  places.forEach((p, k) => { if (p.kind !== 'literal') { ptrParam.set(k, params.length); params.push(I32); } });
  const carryOutParam = loop.carryOuts.map(() => { params.push(I32); return params.length - 1; });
  const yParam = loop.ys.map(() => { params.push(I32); return params.length - 1; });
  const nParam = params.length;
  params.push(I32);
  const stepsParam = params.length;
  params.push(I32);

  const locals: number[] = [];
  const local = (t: number): number => { locals.push(t); return params.length + locals.length - 1; };
  const tmp = (): number => local(V128);
  const blk = local(I32); // first element of the block
  const s = local(I32); // step within the tile
  const end = local(I32); // end of the 16-element blocks
  const t0 = local(I32); // first step of the tile
  const tn = local(I32); // steps in the tile
  const carrySrc = loop.carryOuts.map(() => local(I32)); // where the tile reads the carries
  const carryLocal = loop.carryOuts.map(() => Array.from({ length: GROUPS }, () => local(V128)));
  // The first input reading each carry gives its initial pointer.
  const carryInput = loop.carryOuts.map((_, c) => places.findIndex((p) => p.kind === 'carry' && p.carry === c));
  const fixedLocal = new Map<number, number[]>();
  const xPtr = new Map<number, number>();
  const valueLocal = new Map<number, number>();
  const pre: number[] = [];
  spec.inputs.forEach((inp, k) => {
    const p = places[k];
    if (inp.mode === 'literal') {
      const l = local(V128);
      valueLocal.set(k, l);
      const v = inp.value;
      pre.push(...(inp.dtype === 'bool' ? i32x4Const(-boolByte(v)) : inp.dtype === 'int32' ? i32x4Const(v) : f32x4Const(v)),
        ...op.localSet(l));
      return;
    }
    if (p.kind === 'x') xPtr.set(k, local(I32));
    if (p.kind === 'fixed' && inp.mode === 'full') fixedLocal.set(k, Array.from({ length: GROUPS }, () => local(V128)));
    if (p.kind !== 'carry' && !(p.kind === 'fixed' && inp.mode === 'full')) valueLocal.set(k, local(V128));
  });
  spec.ops.forEach((_, j) => valueLocal.set(nIn + j, local(V128)));
  const yBool = loop.ys.map((y) => refDtype(spec, spec.outputs[y.out]) === 'bool');
  const yPtr = loop.ys.map(() => local(I32));
  const xTile = new Map([...xPtr.keys()].map((k) => [k, local(I32)]));
  const yTile = loop.ys.map(() => local(I32));
  const maskLocal = loop.ys.map((_, m) => (yBool[m] ? Array.from({ length: GROUPS }, () => local(V128)) : []));

  /** Pushes the value of ref `r` in group `g`. */
  const get = (r: number, g: number): number[] => {
    if (r < nIn) {
      const p = places[r];
      if (p.kind === 'carry') return op.localGet(carryLocal[p.carry][g]);
      const f = fixedLocal.get(r);
      if (f !== undefined) return op.localGet(f[g]);
    }
    return op.localGet(valueLocal.get(r)!);
  };
  /** Loads a full input's group `g` at `ptr` (element offset of the group within the block). */
  const loadFull = (ptr: number[], dtype: string, g: number): number[] => (dtype === 'bool'
    ? [...ptr, ...op.simd(simd.load32Zero, ...memarg(0, 4 * g)), ...op.simd(simd.i16x8ExtendLowI8x16U),
      ...op.simd(simd.i32x4ExtendLowI16x8U), ...op.simd(simd.i32x4Neg)]
    : [...ptr, ...op.simd(simd.load, ...memarg(2, 16 * g))]);
  /** Pushes the byte address of element `blk` of the buffer at param `param` (element size `bytes`). */
  const blockAddr = (base: number, bytes: number): number[] =>
    [...op.localGet(base), ...op.localGet(blk), ...(bytes === 4 ? [...op.i32Const(2), ...op.i32Shl] : []), ...op.i32Add];

  /** All the steps of one block of `G` groups (4 lanes each) starting at element `blk`. */
  const block = (G: number): number[] => {
    const code: number[] = [];
    // Carries and full invariants into registers; row pointers to the block.
    loop.carryOuts.forEach((_, c) => {
      const k = carryInput[c];
      if (k < 0) return;
      for (let g = 0; g < G; g++) code.push(...loadFull(blockAddr(carrySrc[c], 4), 'float32', g), ...op.localSet(carryLocal[c][g]));
    });
    for (const [k, ls] of fixedLocal) {
      const dtype = spec.inputs[k].dtype;
      for (let g = 0; g < G; g++) code.push(...loadFull(blockAddr(ptrParam.get(k)!, bytesOf(dtype)), dtype, g), ...op.localSet(ls[g]));
    }
    spec.inputs.forEach((inp, k) => {
      const p = places[k];
      if (p.kind === 'fixed' && inp.mode === 'scalar') {
        const ptr = op.localGet(ptrParam.get(k)!);
        code.push(...scalarLoad(ptr, inp.dtype), ...op.localSet(valueLocal.get(k)!));
      }
    });
    for (const [k, l] of xPtr) {
      const inp = spec.inputs[k];
      code.push(...(inp.mode === 'scalar' ? op.localGet(xTile.get(k)!) : blockAddr(xTile.get(k)!, bytesOf(inp.dtype))),
        ...op.localSet(l));
    }
    loop.ys.forEach((_, m) => code.push(...blockAddr(yTile[m], yBool[m] ? 1 : 4), ...op.localSet(yPtr[m])));
    // The steps of the tile.
    code.push(...op.i32Const(0), ...op.localSet(s), ...op.block, ...op.loop,
      ...op.localGet(s), ...op.localGet(tn), ...op.i32GeU, ...op.brIf(1));
    for (const [k, l] of xPtr) {
      if (spec.inputs[k].mode === 'scalar') code.push(...scalarLoad(op.localGet(l), spec.inputs[k].dtype), ...op.localSet(valueLocal.get(k)!));
    }
    for (let g = 0; g < G; g++) {
      for (const [k, l] of xPtr) {
        const inp = spec.inputs[k];
        if (inp.mode === 'full') code.push(...loadFull(op.localGet(l), inp.dtype, g), ...op.localSet(valueLocal.get(k)!));
      }
      spec.ops.forEach((o, j) => {
        const c = { attrs: o.attrs, inDtypes: o.args.map((a) => refDtype(spec, a)), outDtype: o.dtype };
        code.push(...formFor(o.kernel, target)!.simd!(o.args.map((a) => get(a, g)), c, tmp), ...op.localSet(valueLocal.get(nIn + j)!));
      });
      loop.ys.forEach((y, m) => {
        const r = spec.outputs[y.out];
        if (!yBool[m]) code.push(...op.localGet(yPtr[m]), ...get(r, g), ...op.simd(simd.store, ...memarg(2, 16 * g)));
        else if (G === GROUPS) code.push(...get(r, g), ...op.localSet(maskLocal[m][g]));
        else {
          // Lane masks (-1 / 0) become 0 / 1, then narrow to four bytes stored at once.
          const t = tmp();
          code.push(...op.localGet(yPtr[m]), ...get(r, g), ...op.simd(simd.i32x4Neg), ...op.localTee(t), ...op.localGet(t),
            ...op.simd(simd.i16x8NarrowI32x4U), ...op.localTee(t), ...op.localGet(t), ...op.simd(simd.i8x16NarrowI16x8U),
            ...op.simd(simd.store32Lane, ...memarg(0, 4 * g), 0));
        }
      });
      // The next carries (after every op of the group read the old ones).
      loop.carryOuts.forEach((m, c) => code.push(...op.localGet(valueLocal.get(spec.outputs[m])!), ...op.localSet(carryLocal[c][g])));
    }
    loop.ys.forEach((y, m) => {
      if (yBool[m] && G === GROUPS) {
        const [m0, m1, m2, m3] = maskLocal[m].map((l) => op.localGet(l));
        const bytes = isMask(spec, spec.outputs[y.out]) ? maskBytes : negMasks;
        code.push(...op.localGet(yPtr[m]), ...bytes(m0, m1, m2, m3), ...op.simd(simd.store, ...memarg(0)));
      }
      code.push(...op.localGet(yPtr[m]), ...op.i32Const(y.rowBytes), ...op.i32Add, ...op.localSet(yPtr[m]));
    });
    for (const [k, l] of xPtr) {
      const p = places[k] as { rowBytes: number };
      code.push(...op.localGet(l), ...op.i32Const(p.rowBytes), ...op.i32Add, ...op.localSet(l));
    }
    code.push(...op.localGet(s), ...op.i32Const(1), ...op.i32Add, ...op.localSet(s), ...op.br(0), ...op.end, ...op.end);
    // The final carries.
    loop.carryOuts.forEach((_, c) => {
      for (let g = 0; g < G; g++) {
        code.push(...blockAddr(carryOutParam[c], 4), ...op.localGet(carryLocal[c][g]), ...op.simd(simd.store, ...memarg(2, 16 * g)));
      }
    });
    code.push(...op.localGet(blk), ...op.i32Const(4 * G), ...op.i32Add, ...op.localSet(blk));
    return code;
  };

  const addTo = (l: number, bytes: number) => [...op.localGet(l), ...op.i32Const(bytes), ...op.i32Add, ...op.localSet(l)];
  const code: number[] = [
    ...pre,
    ...op.localGet(nParam), ...op.i32Const(-4 * GROUPS), ...op.i32And, ...op.localSet(end),
    // The first tile reads the initial carries; later ones the carries the last tile stored.
    ...loop.carryOuts.flatMap((_, c) => (carryInput[c] >= 0 ? [...op.localGet(ptrParam.get(carryInput[c])!), ...op.localSet(carrySrc[c])] : [])),
    ...[...xTile].flatMap(([k, l]) => [...op.localGet(ptrParam.get(k)!), ...op.localSet(l)]),
    ...loop.ys.flatMap((_, m) => [...op.localGet(yParam[m]), ...op.localSet(yTile[m])]),
    ...op.block, ...op.loop, ...op.localGet(t0), ...op.localGet(stepsParam), ...op.i32GeU, ...op.brIf(1),
    // tn = min(TILE, steps - t0)
    ...op.i32Const(TILE), ...op.localGet(stepsParam), ...op.localGet(t0), ...I32_SUB, ...op.localTee(tn),
    ...op.localGet(tn), ...op.i32Const(TILE), ...I32_GT_U, ...op.select, ...op.localSet(tn),
    ...op.i32Const(0), ...op.localSet(blk),
    ...op.block, ...op.loop, ...op.localGet(blk), ...op.localGet(end), ...op.i32GeU, ...op.brIf(1),
    ...block(GROUPS), ...op.br(0), ...op.end, ...op.end,
    ...op.block, ...op.loop, ...op.localGet(blk), ...op.localGet(nParam), ...op.i32GeU, ...op.brIf(1),
    ...block(1), ...op.br(0), ...op.end, ...op.end,
    ...loop.carryOuts.flatMap((_, c) => [...op.localGet(carryOutParam[c]), ...op.localSet(carrySrc[c])]),
    ...[...xTile].flatMap(([k, l]) => addTo(l, TILE * (places[k] as { rowBytes: number }).rowBytes)),
    ...loop.ys.flatMap((y, m) => addTo(yTile[m], TILE * y.rowBytes)),
    ...addTo(t0, TILE),
    ...op.br(0), ...op.end, ...op.end,
  ];
  void nCarry;
  const module = new WA.Module(buildModule(params, locals, code));
  noteKernelCompiled();
  const instance = new WA.Instance(module, { env: { memory } });
  return instance.exports.run as PointwiseLoopKernel;
}

/** A scalar input's value splatted to four lanes (bool: a lane mask). */
function scalarLoad(ptr: number[], dtype: string): number[] {
  if (dtype === 'bool') return [...ptr, ...op.i32Load8U, ...op.simd(simd.i32x4Splat), ...op.simd(simd.i32x4Neg)];
  if (dtype === 'int32') return [...ptr, ...op.i32Load, ...op.simd(simd.i32x4Splat)];
  return [...ptr, ...op.f32Load, ...op.simd(simd.f32x4Splat)];
}

/**
 * A minimal WebAssembly binary writer: one module importing a memory and exporting one
 * function, enough for generated SIMD kernels. Instructions are appended as bytes; the
 * helpers below name the opcodes used.
 */

/** Value types. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 (for i32.const). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  let v = n | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)]; // not Buffer: this also runs in browsers
  return [...uleb(bytes.length), ...bytes];
}

/** Builds the bytes of a module: `(import "env" "memory" (memory 1))`, one exported function `run` (returning `results`). */
export function buildModule(params: number[], locals: number[], body: number[], results: number[] = []): Uint8Array {
  const type = [0x60, ...vec(params.map((p) => [p])), ...vec(results.map((r) => [r]))];
  const imports = vec([[...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(1)]]);
  const localDecls = vec(locals.map((t) => [...uleb(1), t]));
  const code = [...localDecls, ...body, 0x0b];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([type])),
    ...section(2, imports),
    ...section(3, vec([uleb(0)])),
    ...section(7, vec([[...name('run'), 0x00, ...uleb(0)]])),
    ...section(10, vec([[...uleb(code.length), ...code]])),
  ];
  return new Uint8Array(bytes);
}

/** Core opcodes used by the generators. */
export const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  localGet: (i: number) => [0x20, ...uleb(i)],
  localSet: (i: number) => [0x21, ...uleb(i)],
  localTee: (i: number) => [0x22, ...uleb(i)],
  i32Const: (v: number) => [0x41, ...sleb(v)],
  i32Add: [0x6a],
  i32And: [0x71],
  i32Shl: [0x74],
  i32GeU: [0x4f],
  i32Eq: [0x46],
  select: [0x1b],
  f32Load: [0x2a, 0x02, 0x00],
  i32Load: [0x28, 0x02, 0x00],
  i32Load8U: [0x2d, 0x00, 0x00],
  i32Eqz: [0x45],
  i32Ne: [0x47],
  i32Or: [0x72],
  i32Xor: [0x73],
  /** A SIMD instruction: the 0xfd prefix and its LEB opcode. */
  simd: (code: number, ...imm: number[]) => [0xfd, ...uleb(code), ...imm],
};

/** SIMD opcodes (the final WebAssembly SIMD proposal). */
export const simd = {
  load: 0x00, store: 0x0b, const: 0x0c,
  i32x4Splat: 0x11, f32x4Splat: 0x13,
  i32x4Eq: 0x37, i32x4Ne: 0x38,
  f32x4Eq: 0x41, f32x4Ne: 0x42, f32x4Lt: 0x43, f32x4Gt: 0x44, f32x4Le: 0x45, f32x4Ge: 0x46,
  not: 0x4d, and: 0x4e, andnot: 0x4f, or: 0x50, xor: 0x51, bitselect: 0x52,
  store32Lane: 0x5a, load32Zero: 0x5c,
  f32x4Ceil: 0x67, f32x4Floor: 0x68, f32x4Trunc: 0x69, f32x4Nearest: 0x6a,
  i8x16Neg: 0x61, i8x16NarrowI16x8S: 0x65, i8x16NarrowI16x8U: 0x66, i16x8NarrowI32x4S: 0x85, i16x8NarrowI32x4U: 0x86, i16x8ExtendLowI8x16U: 0x89,
  i32x4ExtendLowI16x8U: 0xa9, i32x4Neg: 0xa1, i32x4Shl: 0xab, i32x4ShrS: 0xac, i32x4Add: 0xae, i32x4Sub: 0xb1,
  i32x4MinS: 0xb6, i32x4MaxS: 0xb8,
  f32x4Abs: 0xe0, f32x4Neg: 0xe1, f32x4Sqrt: 0xe3, f32x4Add: 0xe4, f32x4Sub: 0xe5, f32x4Mul: 0xe6, f32x4Div: 0xe7,
  f32x4Min: 0xe8, f32x4Max: 0xe9, f32x4Pmin: 0xea, f32x4Pmax: 0xeb,
  i32x4TruncSatF32x4S: 0xf8, f32x4ConvertI32x4S: 0xfa,
};

/**
 * Scalar float32 opcodes (and the loads, stores and conversions the scalar kernels use;
 * memory opcodes take a {@link memarg} after them).
 */
export const scalar = {
  eq: 0x5b, ne: 0x5c, lt: 0x5d, gt: 0x5e, le: 0x5f, ge: 0x60,
  abs: 0x8b, neg: 0x8c, ceil: 0x8d, floor: 0x8e, trunc: 0x8f, nearest: 0x90, sqrt: 0x91,
  add: 0x92, sub: 0x93, mul: 0x94, div: 0x95, min: 0x96, max: 0x97,
  convertI32S: 0xb2, convertI32U: 0xb3,
  load: 0x2a, store: 0x38, i32Load: 0x28, i32Load8U: 0x2d, i32Store: 0x36, i32Store8: 0x3a,
  i32Eq: 0x46, i32Ne: 0x47, i32LtS: 0x48, i32GtS: 0x4a, i32LeS: 0x4c, i32GeS: 0x4e,
  i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c, i32WrapI64: 0xa7,
  /** Non-trapping i64.trunc_sat_f32_s (NaN gives 0, out of range saturates). */
  i64TruncSatF32S: [0xfc, 0x04],
};

/** `f32.const v` (NaN as the canonical quiet NaN). */
export function f32Const(v: number): number[] {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setFloat32(0, v, true);
  return [0x43, ...bytes];
}

/** A memarg: alignment exponent and offset. */
export function memarg(alignLog2: number, offset = 0): number[] {
  return [...uleb(alignLog2), ...uleb(offset)];
}

/** `v128.const` with four f32 lanes equal to `v`. */
export function f32x4Const(v: number): number[] {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 4; i++) view.setFloat32(i * 4, v, true);
  return op.simd(simd.const, ...bytes);
}

/** `v128.const` with four i32 lanes equal to `v`. */
export function i32x4Const(v: number): number[] {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 4; i++) view.setInt32(i * 4, v, true);
  return op.simd(simd.const, ...bytes);
}

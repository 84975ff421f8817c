/**
 * Building blocks for the WebAssembly SIMD form of an elementwise op: four float32 lanes
 * per value, bool values as lane masks (all ones or all zeros).
 */
import type * as tf from '@tensorflow/tfjs';
import { f32x4Const, op, simd } from '../../util/wasm-binary';

/** What an op's emitters know about one application: attributes and dtypes. */
export interface EmitContext {
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly inDtypes: readonly tf.DataType[];
  readonly outDtype: tf.DataType;
}

/** Emits the code leaving the op's value on the stack; `args` push the operands; `tmp` makes a v128 local. */
export type SimdEmit = (args: number[][], c: EmitContext, tmp: () => number) => number[];

/** A unary op that is one SIMD instruction. */
export const un = (code: number): SimdEmit => ([x]) => [...x, ...op.simd(code)];
/** A binary op that is one SIMD instruction. */
export const bin = (code: number): SimdEmit => ([a, b]) => [...a, ...b, ...op.simd(code)];

/** `mask ? t : e` lane by lane (v128.bitselect(t, e, mask)). */
export const select = (mask: number[], t: number[], e: number[]): number[] => [...t, ...e, ...mask, ...op.simd(simd.bitselect)];

/** A number attribute as a float32 splat. */
export const splat = (v: unknown): number[] => f32x4Const(Number(v));

/** Evaluates `x` once into a local and returns code reading it (for ops that use their operand twice). */
export function once(x: number[], tmp: () => number): { set: number[]; get: number[] } {
  const t = tmp();
  return { set: [...x, ...op.localSet(t)], get: op.localGet(t) };
}

/**
 * Sixteen bool lanes (four v128 of i32 lanes, each the negated byte: -1 / 0 for a fused
 * comparison's mask, -2 for a byte 2 tfjs-wasm stored) as sixteen bytes: negated back, then
 * narrowed unsigned (bytes up to 255 stay exact; a signed narrow would clamp them at 128).
 */
export function negMasks(m0: number[], m1: number[], m2: number[], m3: number[]): number[] {
  const neg = op.simd(simd.i32x4Neg);
  return [...m0, ...neg, ...m1, ...neg, ...op.simd(simd.i16x8NarrowI32x4U), ...m2, ...neg, ...m3, ...neg,
    ...op.simd(simd.i16x8NarrowI32x4U), ...op.simd(simd.i8x16NarrowI16x8U)];
}

/**
 * Sixteen lane masks (-1 / 0: a fused comparison's result) as sixteen bytes 1 / 0: narrowed
 * signed (-1 / 0 stay -1 / 0), then negated once. Three instructions fewer than
 * {@link negMasks}, which any bool lane needs; a loop storing a spike raster per step
 * feels them (the LIF forLoop at N=1e4: 3.4 -> 4.1 ms).
 */
export function maskBytes(m0: number[], m1: number[], m2: number[], m3: number[]): number[] {
  return [...m0, ...m1, ...op.simd(simd.i16x8NarrowI32x4S), ...m2, ...m3, ...op.simd(simd.i16x8NarrowI32x4S),
    ...op.simd(simd.i8x16NarrowI16x8S), ...op.simd(simd.i8x16Neg)];
}

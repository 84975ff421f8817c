/**
 * Building blocks for the scalar WebAssembly form of an elementwise op (the kernels used
 * where SIMD is off or the engine has no WebAssembly SIMD): one element per value, float32
 * values as `f32`, bool values as `i32` holding the stored byte (0 / 1, read as true when
 * nonzero, as the JS loop reads it). The same IEEE float32 operations as the SIMD form's
 * lanes, so the same bits.
 */
import type { EmitContext } from './simd-emit';
import { F32, f32Const, I32, op, scalar } from '../../util/wasm-binary';

/**
 * Emits the code leaving the op's value on the stack; `args` push the operands; `tmp`
 * makes a local of the given value type (`F32` or `I32` from util/wasm-binary).
 */
export type ScalarEmit = (args: number[][], c: EmitContext, tmp: (type: number) => number) => number[];

/** A unary op that is one instruction. */
export const un1 = (code: number): ScalarEmit => ([x]) => [...x, code];
/** A binary op that is one instruction. */
export const bin1 = (code: number): ScalarEmit => ([a, b]) => [...a, ...b, code];

/** `cond ? t : e` (wasm `select`: both operands are evaluated, neither has effects). */
export const pick = (cond: number[], t: number[], e: number[]): number[] => [...t, ...e, ...cond, ...op.select];

/** Evaluates `x` (of value type `type`) once into a local and returns code reading it. */
export function once1(x: number[], type: number, tmp: (type: number) => number): { set: number[]; get: number[] } {
  const t = tmp(type);
  return { set: [...x, ...op.localSet(t)], get: op.localGet(t) };
}

/** std::max as tfjs-wasm (and wasm's f32x4.pmax) computes it: `a < b ? b : a`. */
export function pmax1(a: number[], b: number[], tmp: (type: number) => number): number[] {
  const x = once1(a, F32, tmp);
  const y = once1(b, F32, tmp);
  return [...x.set, ...y.set, ...pick([...x.get, ...y.get, scalar.lt], y.get, x.get)];
}

/** std::min as tfjs-wasm (and wasm's f32x4.pmin) computes it: `b < a ? b : a`. */
export function pmin1(a: number[], b: number[], tmp: (type: number) => number): number[] {
  const x = once1(a, F32, tmp);
  const y = once1(b, F32, tmp);
  return [...x.set, ...y.set, ...pick([...y.get, ...x.get, scalar.lt], y.get, x.get)];
}

/** A number attribute as a float32 constant. */
export const const1 = (v: unknown): number[] => f32Const(Number(v));

/** A bool value (any nonzero byte) as 0 / 1. */
export const truth = (x: number[]): number[] => [...x, ...op.i32Eqz, ...op.i32Eqz];

/**
 * The byte a bool tensor stores for the number `v`, as a Uint8Array store converts it
 * (truncated, modulo 256: 2 stays 2, -1 gives 255, 256 and 0.5 give 0). tfjs-wasm's eager
 * Cast and Fill to bool store exactly this byte, and its kernels read it raw.
 */
export const boolByte = (v: number): number => v & 255;

/** The constant `v` of dtype `dtype` (bool as its stored byte). */
export function constOf(dtype: string, v: number): number[] {
  if (dtype === 'bool') return op.i32Const(boolByte(v));
  if (dtype === 'int32') return op.i32Const(v);
  return f32Const(v);
}

/**
 * Whether an op application works on int32 values (its scalar kernel then uses the record's
 * `scalarInt` form): an int32 input or result, except a cast from int32 to float32, which the
 * `scalar` form converts.
 */
export function isInt32Op(kernel: string, c: EmitContext): boolean {
  if (kernel === 'Cast') return c.outDtype === 'int32' || (c.inDtypes[0] === 'int32' && c.outDtype !== 'float32');
  return c.outDtype === 'int32' || c.inDtypes.includes('int32');
}

export { F32, I32 };

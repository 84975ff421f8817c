/**
 * Shorter SIMD code for patterns that elementwise programs write often, each giving the
 * same lanes as the ops it replaces (so no result changes):
 * - `x + (-y)` and `(-y) + x` (float32) are `x - y`: IEEE 754 defines subtraction as the
 *   addition of the negated operand (a LIF step's `-v + I`). Three instructions fewer per
 *   group on x64 (V8 builds the sign mask for each neg).
 * - `where(c, 0, x)` is `x & ~c` and `where(c, x, 0)` is `x & c` when the literal's lanes
 *   are all zero bits (+0, integer 0, false) and `c` is a comparison's lane mask (-1 / 0): one
 *   instruction instead of bitselect's three. (A bool read from memory is its negated byte, and
 *   a stored byte 2 is -2, not a mask; Select's own form tests it as its backend does.)
 * - An op whose value nothing reads (a neg folded into a subtraction) is not computed.
 * The JS loop (./codegen-js.ts) folds negs likewise, where its operands are float32 values.
 */
import type { FusedSpec } from '../ir';
import { op, simd } from '../../util/wasm-binary';
import { refDtype } from './spec-refs';

/** Whether ref `r` of `spec` is a literal input whose lanes are all zero bits. */
function isZeroLiteral(spec: FusedSpec, r: number): boolean {
  if (r >= spec.inputs.length) return false;
  const inp = spec.inputs[r];
  return inp.mode === 'literal' && Object.is(inp.value, 0);
}

/** Kernels whose SIMD form always gives lane masks (all ones or all zeros). */
const MASK_KERNELS = new Set(['Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual', 'IsNan']);

/** Whether ref `r` of `spec` is computed by a kernel whose lanes are masks. */
export function isMask(spec: FusedSpec, r: number): boolean {
  const nIn = spec.inputs.length;
  return r >= nIn && MASK_KERNELS.has(spec.ops[r - nIn].kernel);
}

/** The operand of ref `r` if `r` is a float32 Neg op of `spec` on a float32 value (`isF32Value`), else undefined. */
function negated(spec: FusedSpec, r: number, isF32Value: (r: number) => boolean): number | undefined {
  const nIn = spec.inputs.length;
  if (r < nIn) return undefined;
  const o = spec.ops[r - nIn];
  return o.kernel === 'Neg' && o.dtype === 'float32' && isF32Value(o.args[0]) ? o.args[0] : undefined;
}

/** In a SIMD kernel every float32 ref is a float32 lane. */
const lanesAreF32 = (spec: FusedSpec) => (r: number): boolean => refDtype(spec, r) === 'float32';

/**
 * `[x, y]` when op `j` is `x + (-y)` or `(-y) + x` in float32, where `-y` negates a value
 * that `isF32Value` says is a float32 value (the JS loop's reads of tfjs-cpu's shared
 * cast storage are not: there the neg rounds), else undefined.
 */
export function foldedNeg(spec: FusedSpec, j: number, isF32Value: (r: number) => boolean): [number, number] | undefined {
  const o = spec.ops[j];
  if (o.kernel !== 'Add' || o.dtype !== 'float32' || !o.args.every((a) => refDtype(spec, a) === 'float32')) return undefined;
  const [a, b] = o.args;
  const nb = negated(spec, b, isF32Value);
  if (nb !== undefined) return [a, nb];
  const na = negated(spec, a, isF32Value);
  return na !== undefined ? [b, na] : undefined;
}

/**
 * The code of op `j` as a shorter equivalent, or undefined where none applies. `get`
 * pushes the value of a ref.
 */
export function rewrittenOp(spec: FusedSpec, j: number, get: (r: number) => number[]): number[] | undefined {
  const o = spec.ops[j];
  const sub = foldedNeg(spec, j, lanesAreF32(spec));
  if (sub !== undefined) return [...get(sub[0]), ...get(sub[1]), ...op.simd(simd.f32x4Sub)];
  if (o.kernel === 'Select' && isMask(spec, o.args[0])) {
    const [c, t, e] = o.args;
    if (isZeroLiteral(spec, t)) return [...get(e), ...get(c), ...op.simd(simd.andnot)];
    if (isZeroLiteral(spec, e)) return [...get(t), ...get(c), ...op.simd(simd.and)];
  }
  return undefined;
}

/** The refs op `j` reads once a folded neg applies (the add reads the neg's operand instead). */
export function opReads(spec: FusedSpec, j: number, isF32Value: (r: number) => boolean = lanesAreF32(spec)): readonly number[] {
  return foldedNeg(spec, j, isF32Value) ?? spec.ops[j].args;
}

/**
 * Which ops of `spec` are computed: those the outputs read, directly or through other
 * computed ops, with negs folded where `isF32Value` allows (by default: SIMD lanes).
 */
export function liveOps(spec: FusedSpec, isF32Value: (r: number) => boolean = lanesAreF32(spec)): boolean[] {
  const nIn = spec.inputs.length;
  const live = spec.ops.map(() => false);
  for (const r of spec.outputs) if (r >= nIn) live[r - nIn] = true;
  for (let j = spec.ops.length - 1; j >= 0; j--) {
    if (!live[j]) continue;
    for (const a of opReads(spec, j, isF32Value)) if (a >= nIn) live[a - nIn] = true;
  }
  return live;
}

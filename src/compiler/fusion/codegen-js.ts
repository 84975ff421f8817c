/**
 * Generates a JavaScript loop for a fused elementwise kernel: one pass over the
 * domain, each input element read once, every intermediate kept in a local and
 * rounded to its dtype exactly as tfjs stores it.
 */
import type { FusedSpec } from '../ir';
import { formFor, FUSED_HELPERS, FusionTarget, jsLiteral, roundTo } from './ops';
import { InternalError } from '../../errors';
import { noteKernelCompiled } from './compile-count';
import { foldedNeg, liveOps, opReads } from './simd-rewrites';
import { hasCanonicalStorage } from './scratch';
import { boolByte } from './scalar-emit';
import { refDtype } from './spec-refs';

/**
 * A compiled fused kernel: reads `inputs` (non-literal inputs, in order) and fills
 * `outputs`, from element `start` (default 0; only kernels without broadcast inputs
 * honour it, for the tail a SIMD kernel leaves).
 */
export type FusedLoop = (inputs: ArrayLike<number>[], outputs: { [i: number]: number }[], start?: number) => void;

export { refDtype } from './spec-refs';

/** Ops whose float32 result is one of their float32 operands, sign-flipped at most: no rounding needed. */
const EXACT_ON_F32 = new Set(['Neg', 'Abs', 'Select']);

/**
 * The generated source of the kernel body on `target` (for inspection and tests).
 * `canonical`: every input array is its dtype's own typed array (see
 * `hasCanonicalStorage`), so a float32 input holds float32 values: the loop may then
 * skip roundings and fold `x + (-y)` into `x - y` where the operands are such values.
 */
export function fusedLoopSource(spec: FusedSpec, target: FusionTarget, canonical = false): string {
  const lines: string[] = [];
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const nIn = spec.inputs.length;
  const strided: number[] = [];
  let arrayIndex = 0;
  const read: string[] = []; // per input: expression for the element in the loop body
  spec.inputs.forEach((inp, k) => {
    switch (inp.mode) {
      case 'literal':
        read.push(jsLiteral(inp.dtype === 'bool' ? boolByte(inp.value) : inp.value));
        break;
      case 'scalar':
        lines.push(`const s${k} = inputs[${arrayIndex++}][0];`);
        read.push(`s${k}`);
        break;
      case 'full':
        lines.push(`const x${k} = inputs[${arrayIndex++}];`);
        read.push(`x${k}[i]`);
        break;
      case 'strided':
        lines.push(`const x${k} = inputs[${arrayIndex++}];`);
        read.push(`x${k}[j${k}]`);
        strided.push(k);
        break;
    }
  });
  spec.outputs.forEach((_, m) => lines.push(`const o${m} = outputs[${m}];`));

  const body: string[] = [];
  const name = (r: number): string => (r < nIn ? `a${r}` : `v${r - nIn}`);
  // Whether ref r holds a float32 value exactly (op results are rounded as they are made).
  const isF32Value = (r: number): boolean => {
    if (refDtype(spec, r) !== 'float32') return false;
    if (r >= nIn) return true;
    const inp = spec.inputs[r];
    return inp.mode === 'literal' ? Number.isNaN(inp.value) || Math.fround(inp.value) === inp.value : canonical;
  };
  const live = liveOps(spec, isF32Value);
  // Each input read once per element, into a local.
  const usedInputs = new Set<number>();
  spec.ops.forEach((_, j) => { if (live[j]) for (const a of opReads(spec, j, isF32Value)) if (a < nIn) usedInputs.add(a); });
  for (const k of [...usedInputs].sort((a, b) => a - b)) body.push(`const a${k} = ${read[k]};`);
  spec.ops.forEach((op, j) => {
    if (!live[j]) return;
    const form = formFor(op.kernel, target);
    if (form === undefined) throw new InternalError(`${op.kernel} is not an elementwise op`);
    const sub = foldedNeg(spec, j, isF32Value);
    if (sub !== undefined) {
      // x + (-y) is x - y, in doubles as in float32 (see ./simd-rewrites.ts).
      body.push(`const v${j} = ${roundTo('float32', `(${name(sub[0])} - ${name(sub[1])})`)};`);
      return;
    }
    const expr = form.js(op.args.map(name), { attrs: op.attrs, inDtypes: op.args.map((a) => refDtype(spec, a)), outDtype: op.dtype });
    // Negating, taking |x| or choosing float32 values gives a float32 value: no rounding to do.
    const exact = op.dtype === 'float32' && EXACT_ON_F32.has(op.kernel) &&
      op.args.every((a, i) => (op.kernel === 'Select' && i === 0) || isF32Value(a));
    body.push(`const v${j} = ${exact ? expr : roundTo(op.dtype, expr)};`);
  });
  spec.outputs.forEach((r, m) => body.push(`o${m}[i] = ${name(r)};`));

  if (strided.length === 0) {
    lines.push(`for (let i = start | 0; i < ${size}; i++) {`, ...body.map((l) => `  ${l}`), '}');
  } else {
    // Nested loops over the domain; each strided input keeps its own offset.
    const dims = spec.shape;
    const r = dims.length;
    lines.push('let i = 0;');
    for (let d = 0; d < r; d++) {
      const indent = '  '.repeat(d);
      lines.push(`${indent}for (let i${d} = 0; i${d} < ${dims[d]}; i${d}++) {`);
      for (const k of strided) {
        const st = (spec.inputs[k] as { strides: readonly number[] }).strides[d];
        const base = d === 0 ? '0' : `b${d - 1}_${k}`;
        lines.push(`${indent}  const ${d === r - 1 ? `j${k}` : `b${d}_${k}`} = ${base} + i${d} * ${st};`);
      }
    }
    const inner = '  '.repeat(r);
    lines.push(...body.map((l) => `${inner}${l}`), `${inner}i++;`);
    for (let d = r - 1; d >= 0; d--) lines.push(`${'  '.repeat(d)}}`);
  }
  return lines.join('\n');
}

function compileSource(src: string): FusedLoop {
  noteKernelCompiled();
  // eslint-disable-next-line no-new-func
  return new Function(`${FUSED_HELPERS}\nreturn function fused(inputs, outputs, start) {\n${src}\n};`)() as FusedLoop;
}

/**
 * Compiles `spec` into a {@link FusedLoop} computing as `target`'s kernels do. Where the
 * loop for canonical storage differs (roundings skipped, negations folded), a call whose
 * arrays are not all their dtype's own typed arrays (tfjs-cpu's shared cast storage) takes
 * the general loop, compiled when first needed.
 */
export function compileFusedLoop(spec: FusedSpec, target: FusionTarget): FusedLoop {
  const general = fusedLoopSource(spec, target, false);
  const fastSrc = fusedLoopSource(spec, target, true);
  if (fastSrc === general) return compileSource(general);
  const fast = compileSource(fastSrc);
  let slow: FusedLoop | undefined;
  return (inputs, outputs, start) => {
    if (hasCanonicalStorage(spec, inputs)) fast(inputs, outputs, start);
    else (slow ??= compileSource(general))(inputs, outputs, start);
  };
}

/**
 * Generates a JavaScript loop for a fused elementwise kernel: one pass over the
 * domain, each input element read once, every intermediate kept in a local and
 * rounded to its dtype exactly as tfjs stores it.
 */
import type * as tf from '@tensorflow/tfjs';
import type { FusedSpec } from '../ir';
import { formFor, FUSED_HELPERS, FusionTarget, jsLiteral, roundTo } from './ops';
import { InternalError } from '../../errors';
import { noteKernelCompiled } from './compile-count';

/**
 * A compiled fused kernel: reads `inputs` (non-literal inputs, in order) and fills
 * `outputs`, from element `start` (default 0; only kernels without broadcast inputs
 * honour it, for the tail a SIMD kernel leaves).
 */
export type FusedLoop = (inputs: ArrayLike<number>[], outputs: { [i: number]: number }[], start?: number) => void;

/** The dtype of ref `r` of `spec` (inputs first, then ops). */
export function refDtype(spec: FusedSpec, r: number): tf.DataType {
  return r < spec.inputs.length ? spec.inputs[r].dtype : spec.ops[r - spec.inputs.length].dtype;
}

/** The generated source of the kernel body on `target` (for inspection and tests). */
export function fusedLoopSource(spec: FusedSpec, target: FusionTarget): string {
  const lines: string[] = [];
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const nIn = spec.inputs.length;
  const strided: number[] = [];
  let arrayIndex = 0;
  const read: string[] = []; // per input: expression for the element in the loop body
  spec.inputs.forEach((inp, k) => {
    switch (inp.mode) {
      case 'literal':
        read.push(jsLiteral(inp.value));
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
  // Each input read once per element, into a local.
  const usedInputs = new Set<number>();
  for (const op of spec.ops) for (const a of op.args) if (a < nIn) usedInputs.add(a);
  for (const k of [...usedInputs].sort((a, b) => a - b)) body.push(`const a${k} = ${read[k]};`);
  spec.ops.forEach((op, j) => {
    const form = formFor(op.kernel, target);
    if (form === undefined) throw new InternalError(`${op.kernel} is not an elementwise op`);
    const expr = form.js(op.args.map(name), { attrs: op.attrs, inDtypes: op.args.map((a) => refDtype(spec, a)), outDtype: op.dtype });
    body.push(`const v${j} = ${roundTo(op.dtype, expr)};`);
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

/** Compiles `spec` into a {@link FusedLoop} computing as `target`'s kernels do. */
export function compileFusedLoop(spec: FusedSpec, target: FusionTarget): FusedLoop {
  const src = fusedLoopSource(spec, target);
  noteKernelCompiled();
  // eslint-disable-next-line no-new-func
  return new Function(`${FUSED_HELPERS}\nreturn function fused(inputs, outputs, start) {\n${src}\n};`)() as FusedLoop;
}

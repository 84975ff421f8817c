/**
 * Algebraic simplification, only where the result is bit-identical for every input:
 * x*1, 1*x, x/1, x-0, x+(-0) become x (x+(+0) is not: it turns -0 into +0), and a
 * reshape of a reshape becomes one reshape.
 */
import type { KernelNode, Program, ValueId } from '../ir';
import type { Pass } from './pass';
import { rewritePass } from './rewrite';
import { constantSplat } from '../constants';

function sameType(p: Program, a: ValueId, b: ValueId): boolean {
  const x = p.values[a];
  const y = p.values[b];
  return x.dtype === y.dtype && x.shape.length === y.shape.length && x.shape.every((d, i) => d === y.shape[i]);
}

/** The input of `n` that the identity rule keeps, if `n` is an identity on it. */
function identityInput(p: Program, n: KernelNode): ValueId | undefined {
  if (n.inputs.length !== 2 || n.outputs.length !== 1 || n.inputs.some((v) => v < 0)) return undefined;
  const [a, b] = n.inputs;
  const out = n.outputs[0];
  const keep = (x: ValueId, c: ValueId, ok: (v: number) => boolean) => {
    const s = constantSplat(p, c);
    return s !== undefined && ok(s) && sameType(p, x, out) ? x : undefined;
  };
  switch (n.kernel) {
    case 'Multiply':
      return keep(a, b, (v) => v === 1) ?? keep(b, a, (v) => v === 1);
    case 'RealDiv':
      return keep(a, b, (v) => v === 1);
    case 'Sub':
      return keep(a, b, (v) => v === 0);
    case 'Add':
      return keep(a, b, (v) => Object.is(v, -0)) ?? keep(b, a, (v) => Object.is(v, -0));
    default:
      return undefined;
  }
}

export const simplifyAlgebra: Pass = rewritePass('simplify', (p, n, producer) => {
  const id = identityInput(p, n);
  if (id !== undefined) return { alias: id };
  const src = n.inputs.length === 1 ? producer(n.inputs[0]) : undefined;
  // reshape(reshape(x)) = reshape(x)
  if (n.kernel === 'Reshape' && src?.kernel === 'Reshape') return { node: { ...n, inputs: [src.inputs[0]] } };
  return undefined;
});

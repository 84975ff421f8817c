/**
 * Algebraic simplification, only where the result is bit-identical for every input:
 * x*1, 1*x, x/1, x-0, x+(-0) become x (x+(+0) is not: it turns -0 into +0); a reshape
 * of a reshape becomes one reshape; a cast of a cast of a bool becomes one cast.
 */
import type { KernelNode, Program, ValueId } from '../ir';
import { Pass, renameUses } from './pass';

/** The value of a constant whose elements are all equal (read once at compile time). */
function splat(p: Program, v: ValueId): number | undefined {
  const c = p.constants.find((k) => k.value === v);
  if (c === undefined || c.tensor.dtype === 'string' || c.tensor.dtype === 'complex64') return undefined;
  const d = c.tensor.dataSync();
  for (let i = 1; i < d.length; i++) if (!Object.is(d[i], d[0])) return undefined;
  return Number(d[0]);
}

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
    const s = splat(p, c);
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

export const simplifyAlgebra: Pass = {
  name: 'simplify',
  run(p) {
    const alias = new Map<ValueId, ValueId>();
    const resolve = (v: ValueId): ValueId => alias.get(v) ?? v;
    const producer = new Map<ValueId, KernelNode>();
    const nodes: KernelNode[] = [];
    let changed = false;
    for (const n0 of p.nodes) {
      const n: KernelNode = { ...n0, inputs: n0.inputs.map((v) => (v < 0 ? v : resolve(v))) };
      const id = identityInput(p, n);
      if (id !== undefined) {
        alias.set(n.outputs[0], id);
        changed = true;
        continue;
      }
      const src = n.inputs.length === 1 ? producer.get(n.inputs[0]) : undefined;
      let out: KernelNode = n;
      if (n.kernel === 'Reshape' && src?.kernel === 'Reshape') {
        out = { ...n, inputs: [src.inputs[0]] }; // reshape(reshape(x)) = reshape(x)
      } else if (n.kernel === 'Cast' && src?.kernel === 'Cast' && p.values[src.inputs[0]]?.dtype === 'bool') {
        // A bool cast to int32 or float32 is exactly 0 / 1: casting back gives the bool,
        // casting on needs one cast from the bool.
        if (n.attrs.dtype === 'bool') {
          alias.set(n.outputs[0], src.inputs[0]);
          changed = true;
          continue;
        }
        out = { ...n, inputs: [src.inputs[0]] };
      }
      if (out !== n) changed = true;
      for (const o of out.outputs) producer.set(o, out);
      nodes.push(out);
    }
    if (!changed) return p;
    return renameUses({ ...p, nodes }, resolve);
  },
};

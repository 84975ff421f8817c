/**
 * Algebraic simplification, only where the result is bit-identical for every input on
 * the backend the program runs on: x*1, 1*x, x/1, x-0, x+(-0) become x (x+(+0) is not:
 * it turns -0 into +0), and a reshape of a reshape becomes one reshape.
 *
 * The identities hold only where a tensor's storage holds exactly its dtype's values
 * (`TARGETS[...].canonicalStorage` in fusion/ops.ts). On tfjs-cpu a float32 cast of an
 * int32 keeps the Int32Array, so `x * 1` rounds 16777217 to 16777216, and int32 `square`
 * keeps a Float32Array, so `square(x) * 1` wraps what square left unwrapped: there, and
 * on backends that flush denormals to zero, the identities are not applied.
 */
import type { KernelNode, Program, ValueId } from '../ir';
import type { Pass } from './pass';
import { rewritePass } from './rewrite';
import { constantSplat } from '../constants';
import { hasCanonicalStorageOn } from '../fusion/ops';
import { kernelInfo } from '../kernels';

function sameType(p: Program, a: ValueId, b: ValueId): boolean {
  const x = p.values[a];
  const y = p.values[b];
  return x.dtype === y.dtype && x.shape.length === y.shape.length && x.shape.every((d, i) => d === y.shape[i]);
}

/** The input of `n` that an identity rule keeps, if `n` is an identity on it. */
function identityInput(p: Program, n: KernelNode): ValueId | undefined {
  const rule = kernelInfo(n.kernel)?.elementwise?.identity;
  if (rule === undefined || n.inputs.length !== 2 || n.outputs.length !== 1 || n.inputs.some((v) => v < 0)) return undefined;
  const out = n.outputs[0];
  const dtype = p.values[out].dtype;
  if (dtype !== 'float32' && dtype !== 'int32') return undefined;
  const [a, b] = n.inputs;
  const keep = (x: ValueId, c: ValueId) => {
    const s = constantSplat(p, c);
    return s !== undefined && Object.is(s, rule.constant) && sameType(p, x, out) ? x : undefined;
  };
  switch (rule.side) {
    case 'b':
      return keep(a, b);
    case 'a':
      return keep(b, a);
    case 'either':
      return keep(a, b) ?? keep(b, a);
  }
}

/** Simplification for programs that run on `backendName`. */
export function simplifyAlgebraFor(backendName: string): Pass {
  const identities = hasCanonicalStorageOn(backendName);
  return rewritePass('simplify', (p, n, producer) => {
    const id = identities ? identityInput(p, n) : undefined;
    if (id !== undefined) return { alias: id };
    const src = n.inputs.length === 1 ? producer(n.inputs[0]) : undefined;
    // reshape(reshape(x)) = reshape(x)
    if (n.kernel === 'Reshape' && src?.kernel === 'Reshape') return { node: { ...n, inputs: [src.inputs[0]] } };
    return undefined;
  });
}

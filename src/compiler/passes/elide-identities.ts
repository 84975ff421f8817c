/**
 * Identity elision: `Identity` kernels (tf.clone, saved tensors of the gradient tape)
 * and reshapes or casts that change nothing are replaced by their input.
 */
import type { KernelNode, ValueId, ValueType } from '../ir';
import { Pass, renameUses } from './pass';
import { kernelInfo } from '../kernels';

function sameType(a: ValueType, b: ValueType): boolean {
  return a.dtype === b.dtype && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
}

function isIdentity(n: KernelNode, values: readonly ValueType[]): boolean {
  if (n.outputs.length !== 1 || n.inputs.length < 1 || n.inputs[0] < 0) return false;
  const same = sameType(values[n.inputs[0]], values[n.outputs[0]]);
  // The kernel table says which kernels pass their input through (src/compiler/kernels/).
  switch (kernelInfo(n.kernel)?.passThrough) {
    case 'any-inputs':
      return same;
    case 'one-input':
      return same && n.inputs.length === 1;
    default:
      return false;
  }
}

export const elideIdentities: Pass = {
  name: 'elide-identities',
  run(p) {
    const alias = new Map<ValueId, ValueId>();
    const resolve = (v: ValueId): ValueId => {
      let r = v;
      while (alias.has(r)) r = alias.get(r)!;
      return r;
    };
    for (const n of p.nodes) {
      if (isIdentity(n, p.values)) alias.set(n.outputs[0], resolve(n.inputs[0]));
    }
    if (alias.size === 0) return p;
    const kept = { ...p, nodes: p.nodes.filter((n) => !alias.has(n.outputs[0]) || n.outputs.length !== 1) };
    // Drop folded results of removed nodes (their outputs are now aliases).
    for (const n of p.nodes) {
      if (n.outputs.length === 1 && alias.has(n.outputs[0])) for (const t of n.folded ?? []) t.dispose();
    }
    return renameUses(kept, resolve);
  },
};

/**
 * Common-subexpression elimination: two kernels with the same name, attributes and
 * inputs compute the same values (tfjs kernels are pure functions of their inputs,
 * the random kernels included: their key is an input), so the second is dropped and
 * its uses read the first.
 */
import type { KernelNode, ValueId } from '../ir';
import { Pass, renameUses } from './pass';

function keyOf(n: KernelNode, resolve: (v: ValueId) => ValueId): string {
  return `${n.kernel}|${JSON.stringify(n.inputNames)}|${n.inputs.map((v) => (v < 0 ? v : resolve(v))).join(',')}|` +
    JSON.stringify(n.attrs, (_k, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v));
}

export const eliminateCommonSubexpressions: Pass = {
  name: 'cse',
  run(p) {
    const alias = new Map<ValueId, ValueId>();
    const resolve = (v: ValueId): ValueId => alias.get(v) ?? v;
    const seen = new Map<string, KernelNode>();
    const nodes: KernelNode[] = [];
    for (const n of p.nodes) {
      if (n.fused !== undefined || n.folded !== undefined || n.control !== undefined) {
        nodes.push(n);
        continue;
      }
      const key = keyOf(n, resolve);
      const first = seen.get(key);
      if (first !== undefined && first.outputs.length === n.outputs.length) {
        n.outputs.forEach((o, i) => alias.set(o, first.outputs[i]));
        continue;
      }
      seen.set(key, n);
      nodes.push(n);
    }
    return alias.size === 0 ? p : renameUses({ ...p, nodes }, resolve);
  },
};

/**
 * Common-subexpression elimination: two kernels with the same name, attributes and
 * inputs compute the same values (tfjs kernels are pure functions of their inputs,
 * the random kernels included: their key is an input), so the second is dropped and
 * its uses read the first.
 */
import type { KernelNode, ValueId } from '../ir';
import { Pass, renameUses } from './pass';
import { kernelInfo } from '../kernels';

/**
 * An attribute value as key text. JSON alone would merge kernels that differ: it writes
 * -0 as 0 (clipByValue(x, -0, 1) is not clipByValue(x, 0, 1)) and NaN and the infinities
 * as null.
 */
function attrKey(_k: string, v: unknown): unknown {
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (typeof v === 'number' && (Object.is(v, -0) || !Number.isFinite(v))) return { number: Object.is(v, -0) ? '-0' : String(v) };
  return v;
}

function keyOf(n: KernelNode, resolve: (v: ValueId) => ValueId): string {
  return `${n.kernel}|${JSON.stringify(n.inputNames)}|${n.inputs.map((v) => (v < 0 ? v : resolve(v))).join(',')}|` +
    JSON.stringify(n.attrs, attrKey);
}

export const eliminateCommonSubexpressions: Pass = {
  name: 'cse',
  run(p) {
    const alias = new Map<ValueId, ValueId>();
    const resolve = (v: ValueId): ValueId => alias.get(v) ?? v;
    const seen = new Map<string, KernelNode>();
    const nodes: KernelNode[] = [];
    for (const n of p.nodes) {
      if (n.fused !== undefined || n.folded !== undefined || n.control !== undefined || kernelInfo(n.kernel)?.pure === false) {
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

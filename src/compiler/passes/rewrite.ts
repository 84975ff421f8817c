/**
 * The driver shared by local rewrite passes: walk the nodes in order, let a rule
 * replace a node by one of its inputs (an alias) or by another node, and rename uses.
 */
import type { KernelNode, Program, ValueId } from '../ir';
import { Pass, renameUses } from './pass';

/** What a rule does with a node: nothing, alias its single output to a value, or replace it. */
export type Rewrite = undefined | { readonly alias: ValueId } | { readonly node: KernelNode };

/** A local rule; `producer(v)` is the (already rewritten) node defining `v`, if any. */
export type Rule = (p: Program, n: KernelNode, producer: (v: ValueId) => KernelNode | undefined) => Rewrite;

/** A pass applying `rule` to every node once, in program order. */
export function rewritePass(name: string, rule: Rule): Pass {
  return {
    name,
    run(p: Program): Program {
      const alias = new Map<ValueId, ValueId>();
      const resolve = (v: ValueId): ValueId => alias.get(v) ?? v;
      const producers = new Map<ValueId, KernelNode>();
      const nodes: KernelNode[] = [];
      let changed = false;
      for (const n0 of p.nodes) {
        const n: KernelNode = { ...n0, inputs: n0.inputs.map((v) => (v < 0 ? v : resolve(v))) };
        const r = n.fused !== undefined || n.control !== undefined ? undefined : rule(p, n, (v) => producers.get(v));
        if (r !== undefined && 'alias' in r) {
          alias.set(n.outputs[0], r.alias);
          changed = true;
          continue;
        }
        const out = r === undefined ? n : r.node;
        if (out !== n) changed = true;
        for (const o of out.outputs) producers.set(o, out);
        nodes.push(out);
      }
      return changed ? renameUses({ ...p, nodes }, resolve) : p;
    },
  };
}

/**
 * A pass rewrites a {@link Program} into an equivalent one. Passes never mutate their
 * input; they dispose the tensors of anything they drop.
 */
import type { Program, ValueId } from '../ir';

/** One rewrite over a program. */
export interface Pass {
  readonly name: string;
  run(p: Program): Program;
}

/** Runs `passes` in order. */
export function runPasses(p: Program, passes: readonly Pass[]): Program {
  return passes.reduce((q, pass) => pass.run(q), p);
}

/** Returns `p` with every use of a value (node inputs, outputs, writes) renamed through `rename`. */
export function renameUses(p: Program, rename: (id: ValueId) => ValueId): Program {
  return {
    ...p,
    nodes: p.nodes.map((n) => ({ ...n, inputs: n.inputs.map((v) => (v < 0 ? v : rename(v))) })),
    outputs: p.outputs.map((o) => (o.kind === 'value' ? { kind: 'value', value: rename(o.value) } : o)),
    writes: p.writes.map((w) => ({ ...w, values: w.values.map(rename) })),
  };
}

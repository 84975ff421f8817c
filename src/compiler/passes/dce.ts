/**
 * Dead-code elimination: drops kernels none of whose outputs reach a program output
 * or a state write, and constants nothing uses. tfjs kernels have no side effects, so
 * this is always safe. A dropped control node takes its bodies' constants with it.
 */
import { disposeProgram, liveOuts, subPrograms, ValueId } from '../ir';
import type { Pass } from './pass';

export const eliminateDeadCode: Pass = {
  name: 'dce',
  run(p) {
    const live = new Set<ValueId>(liveOuts(p));
    const keep: boolean[] = new Array(p.nodes.length).fill(false);
    for (let i = p.nodes.length - 1; i >= 0; i--) {
      const n = p.nodes[i];
      if (n.outputs.some((o) => live.has(o))) {
        keep[i] = true;
        for (const v of n.inputs) if (v >= 0) live.add(v);
      }
    }
    const nodes = p.nodes.filter((n, i) => {
      if (!keep[i]) {
        for (const t of n.folded ?? []) t.dispose();
        // A dropped loop or branch owns its bodies' constants.
        if (n.control !== undefined) for (const sub of subPrograms(n.control)) disposeProgram(sub);
      }
      return keep[i];
    });
    const constants = p.constants.filter((c) => {
      if (!live.has(c.value)) c.tensor.dispose();
      return live.has(c.value);
    });
    return { ...p, nodes, constants };
  },
};

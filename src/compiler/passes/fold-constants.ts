/**
 * Constant folding: a kernel whose inputs are all constants computed the same result
 * during the trace as it would at every call, so its outputs become constants and the
 * kernel is dropped. (The recorder kept those trace results for exactly this.)
 */
import type { ProgramConstant } from '../ir';
import type { Pass } from './pass';

export const foldConstants: Pass = {
  name: 'fold-constants',
  run(p) {
    const constants: ProgramConstant[] = [...p.constants];
    const nodes = p.nodes.filter((n) => {
      if (n.folded === undefined) return true;
      n.outputs.forEach((value, i) => constants.push({ value, tensor: n.folded![i] }));
      return false;
    });
    return { ...p, constants, nodes };
  },
};

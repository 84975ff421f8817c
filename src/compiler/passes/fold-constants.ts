/**
 * Constant folding: a kernel whose inputs are all constants computed the same result
 * during the trace as it would at every call, so its outputs become constants and the
 * kernel is dropped. (The recorder kept those trace results for exactly this.)
 *
 * On a backend that runs kernels on small host data on its CPU forms (tfjs-webgpu), a
 * kernel over small inputs only is kept. Eagerly its bits depend on where its inputs are
 * at each call: a fresh constant made from JS values is host data until some GPU kernel
 * reads it, so the same kernel runs on the CPU forms at one call and on the GPU at the
 * next (fuzz seed 931140: `tf.mul(c, 1)` of a denormal c kept it on the host at the first
 * call, and flushed it to 0 once a compare of c with a GPU state had uploaded c; seed 167:
 * a dead `log1p(c)` on the GPU decided that `floorDiv(x, c)` ran in f32). Kept, it runs
 * where eager runs it; its results are small, so it costs no dispatch where tfjs runs it
 * on the host. Kernels over larger constants run on the GPU at every call and fold.
 */
import { targetNamed } from '../../backend/targets';
import type { KernelNode, Program, ProgramConstant } from '../ir';
import type { Pass } from './pass';

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function fold(p: Program, keep: (n: KernelNode) => boolean): Program {
  const constants: ProgramConstant[] = [...p.constants];
  const nodes: KernelNode[] = [];
  for (const n of p.nodes) {
    if (n.folded === undefined) {
      nodes.push(n);
    } else if (keep(n)) {
      // Runs at every call like any kernel: its trace results are not needed.
      n.folded.forEach((t) => t.dispose());
      nodes.push({ ...n, folded: undefined });
    } else {
      n.outputs.forEach((value, i) => constants.push({ value, tensor: n.folded![i] }));
    }
  }
  return { ...p, constants, nodes };
}

export const foldConstants: Pass = {
  name: 'fold-constants',
  run: (p) => fold(p, () => false),
};

/** Constant folding for a program that runs on `backendName` (see the module comment). */
export function foldConstantsFor(backendName: string): Pass {
  const gpu = targetNamed(backendName)?.gpuFusion;
  if (gpu === undefined) return foldConstants;
  return {
    name: 'fold-constants',
    run: (p) => {
      const threshold = gpu.cpuForwardThreshold();
      if (threshold === 0) return fold(p, () => false);
      return fold(p, (n) => n.control === undefined && n.inputs.every((v) => v < 0 || sizeOf(p.values[v].shape) < threshold));
    },
  };
}

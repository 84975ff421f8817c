/**
 * Constant folding: a kernel whose inputs are all constants computed the same result
 * during the trace as it would at every call, so its outputs become constants and the
 * kernel is dropped. (The recorder kept those trace results for exactly this.)
 *
 * On a backend that runs small host data on CPU forms (tfjs-webgpu), one such kernel is
 * kept: one that ran on the GPU over a small constant made from JS values in the trace.
 * Eagerly it uploads that constant at every call (the jit gives each call a fresh host copy
 * of it, see `freshHostConstant`), so later kernels on the constant run on the GPU; folded,
 * they would run on the CPU forms, whose bits differ (fuzz seed 167 on webgpu: a dead
 * log1p(c) decided that floorDiv(x, c) ran in f32 on the GPU).
 */
import { targetNamed } from '../../backend/targets';
import { hostConstant } from '../../backend/tfjs-engine';
import type { KernelNode, Program, ProgramConstant } from '../ir';
import type { Pass } from './pass';

function fold(p: Program, keep: (n: KernelNode, constants: readonly ProgramConstant[]) => boolean): Program {
  const constants: ProgramConstant[] = [...p.constants];
  const nodes: KernelNode[] = [];
  for (const n of p.nodes) {
    if (n.folded === undefined) {
      nodes.push(n);
    } else if (keep(n, constants)) {
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
      return fold(p, (n, constants) => n.folded!.some((t) => gpu.onDevice(t)) && n.inputs.some((v) => {
        const c = constants.find((k) => k.value === v);
        return c !== undefined && c.tensor.size < threshold && hostConstant(c.tensor)?.data !== undefined;
      }));
    },
  };
}

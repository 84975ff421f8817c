/**
 * Constant folding: a kernel whose inputs are all constants computed the same result
 * during the trace as it would at every call, so its outputs become constants and the
 * kernel is dropped. (The recorder kept those trace results for exactly this.)
 *
 * On a backend that runs kernels on small host data on its CPU forms (tfjs-webgpu), eagerly
 * such a kernel's bits depend on where its inputs are at each call: a constant made in the
 * traced code is new host data at every call until some GPU kernel reads it. So a kernel
 * over small constants is kept (it runs where eager runs it) when a kernel that runs at
 * every call reads one of its inputs before it (fuzz seed 931140: a compare of a denormal c
 * with a GPU state uploaded c, so eagerly `tf.mul(c, 1)` ran on the GPU and flushed c to 0),
 * or when it ran on the GPU in the trace and such a kernel reads one of its inputs after it
 * (seed 167: a dead `log1p(c)` uploaded c, so `floorDiv(x, c)` ran in f32) or the caller
 * reads it after the call (seed 44: `tf.step(|c|)` uploads the int32 result |c|, whose host
 * array holds 2147483648 and whose GPU buffer -2147483648). A kernel reading a kept kernel's
 * result is kept too. The rest fold, and run nowhere. Folded results that were small host
 * data are new host data at every call, as eagerly (backend/webgpu/host-reads.ts
 * recordHostResult).
 */
import { targetNamed } from '../../backend/targets';
import type * as tf from '@tensorflow/tfjs';
import { liveOuts } from '../ir';
import type { KernelNode, Program, ProgramConstant, ValueId } from '../ir';
import type { Pass } from './pass';
import { readersOf, sharedInputOf } from './upload-order';

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The folded nodes to keep as kernels (see the module comment), as a predicate. */
function keptFolds(p: Program, threshold: number, onDevice: (t: tf.Tensor) => boolean): (n: KernelNode) => boolean {
  const kept = new Set<KernelNode>();
  const runs = (n: KernelNode) => n.folded === undefined || kept.has(n);
  const small = (n: KernelNode) => n.control === undefined && n.inputs.every((v) => v < 0 || sizeOf(p.values[v].shape) < threshold);
  // Reads per data: a reshape or a lossless cast shares its input's (./upload-order.ts).
  const { root, readers } = readersOf(p);
  // Data the caller reads after the call (results, state writes): eagerly its bits depend on whether a GPU kernel uploaded it.
  const readAfter = new Set<ValueId>(liveOuts(p).map((v) => root[v]));
  const keptOutputs = new Set<ValueId>();
  for (let changed = true; changed;) {
    changed = false;
    p.nodes.forEach((n, i) => {
      if (runs(n) || !small(n)) return;
      const onGpu = n.folded!.some(onDevice) && sharedInputOf(p, n) < 0;
      const coupled = n.inputs.some((v) => v >= 0 && (keptOutputs.has(v) || (onGpu && readAfter.has(root[v])) ||
        (readers.get(root[v]) ?? []).some((j) => runs(p.nodes[j]) && (j < i || (onGpu && j > i)))));
      if (!coupled) return;
      kept.add(n);
      n.outputs.forEach((o) => keptOutputs.add(o));
      changed = true;
    });
  }
  return (n) => kept.has(n);
}

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
      return fold(p, keptFolds(p, threshold, (t) => gpu.onDevice(t)));
    },
  };
}

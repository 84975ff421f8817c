/**
 * Whole-step kernels: a jitted program (one step of a network, say) made only of what a
 * whole-loop kernel takes (fused kernels, single elementwise ops, memory kernels such as the
 * event-driven CSR products, views such as a contiguous Slice) runs as one call on the
 * backend's memory: the loop kernel of fusion/loop-kernel.ts with one step and no carries,
 * every program input an invariant and every result (outputs, then state writes) a y. So a
 * jitted COBA step is one kernel: no dispatch per kernel, no Slice copy of the spike vector.
 *
 * Only programs with a view or a memory kernel are taken (a program of fused kernels alone
 * gains nothing and keeps the executable's in-place state updates).
 */
import type { TensorInfo } from '../../backend/tfjs-engine';
import { currentBackend } from '../../backend/tfjs-engine';
import { memoryKernelParts } from '../../backend/custom-kernels';
import type { Program, ScanSpec } from '../ir';
import { liveOuts } from '../ir';
import { loopKernelFor } from './loop-kernel';

/** Runs a whole program: its inputs in `program.inputs` order; its results in outputs-then-writes order. */
export type StepKernel = (inputs: readonly TensorInfo[]) => TensorInfo[] | undefined;

/** The whole-step kernel of `program` on `backendName`, or undefined when it does not qualify. */
export function stepKernelFor(program: Program, backendName: string): StepKernel | undefined {
  if (program.nodes.length < 2 || program.outputs.some((o) => o.kind !== 'value')) return undefined;
  if (!program.nodes.some((n) => n.kernel === 'Slice' || n.kernel === 'Reshape' || memoryKernelParts(n.kernel) !== undefined)) {
    return undefined;
  }
  const results = liveOuts(program);
  const body: Program = {
    ...program,
    inputs: program.inputs.map((i, k) => ({ value: i.value, source: { kind: 'arg', leaf: k } })),
    outputs: results.map((value) => ({ kind: 'value', value })),
    writes: [],
  };
  const spec: ScanSpec = {
    kind: 'scan', body, length: 1, carryArgs: [], xArgs: [], invariantArgs: program.inputs.map((_, k) => k), numYs: results.length,
  };
  // On cpu a call whose inputs tfjs-cpu keeps in another array type falls back: the executable then runs node by node.
  let fell = false;
  const kernel = loopKernelFor(spec, backendName, () => { fell = true; return []; }, false);
  if (kernel === undefined) return undefined;
  return (inputs) => {
    fell = false;
    const out = kernel({ inputs: inputs as TensorInfo[], backend: currentBackend(), attrs: {} }) as TensorInfo[];
    return fell ? undefined : out;
  };
}

/**
 * Dead-code elimination: drops kernels none of whose outputs reach a program output
 * or a state write, and constants nothing uses. tfjs kernels have no side effects on
 * values, so this is safe everywhere but in one respect on webgpu (below).
 *
 * tfjs-webgpu runs a kernel on its CPU forms when every input is host data smaller than
 * WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD, and uploads host inputs (for good) when it runs the
 * GPU form. The two forms differ in their bits (int32 through f32 on the GPU, denormals
 * flushed, another summation order), so a kernel whose result is never used still decides
 * how a later kernel on the same small input computes: eagerly, `tf.erf(x)` then
 * `tf.cast(x, 'int32')` casts on the GPU (1e10 becomes 2147483520), while the cast alone
 * casts on the host (1410065408; fuzz seed 32 on webgpu). So on such a backend a dead
 * kernel that reads a small value used after it is kept (its results are disposed at once),
 * and so is one that reads a small input of the program: the upload outlives the call, so
 * eagerly the next call's kernels on that argument or state run on the GPU (fuzz seed
 * 930984: a dead `tf.argMin(s)` after `tf.prod(s, 0, true)`; tfjs-webgpu's CPU Prod drops
 * keepDims, so the shape changed from the second call on). Uploads are of data, which a
 * reshape or a lossless cast shares with its input (fuzz seed 971461: a dead `tf.log1p` of
 * `tf.cast(x, 'float32')` uploaded the int32 argument `x`, so `tf.add(x, c)` ran on the GPU);
 * such kernels run no program and upload nothing themselves.
 */
import { disposeProgram, KernelNode, liveOuts, Program, subPrograms, ValueId } from '../ir';
import { dataRoots, sharedInputOf } from './upload-order';
import { targetNamed } from '../../backend/targets';
import type { Pass } from './pass';

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** DCE keeping dead kernels that upload a small value a later kernel reads (`threshold` 0: none kept). */
function eliminateDeadCodeKeeping(p: Program, threshold: number): Program {
  const live = new Set<ValueId>(liveOuts(p));
  // Uploads are of data, which a reshape or a lossless cast shares with its input (./upload-order.ts).
  const root = threshold > 0 ? dataRoots(p) : [];
  const liveData = new Set<ValueId>(threshold > 0 ? [...live].map((v) => root[v]) : []);
  // The program's inputs (arguments, states, loop carries) outlive the kernel: a later call or step reads them.
  const outlives = new Set<ValueId>(p.inputs.map((i) => (threshold > 0 ? root[i.value] : i.value)));
  const keep: boolean[] = new Array(p.nodes.length).fill(false);
  // A scan's body kernels upload too (fuzz seed 448: a dead gradient of a scan over a state uploaded it, so a later
  // `tf.mul(s, 1)` flushed its denormals on the GPU). Not a dead `whileLoop` or branch: on webgpu its predicate would
  // then have to be read back (callAsync) where eager's result is not used.
  // A scan gradient's dead recomputed forward kernel stays too, for the uploads eager's forward kernel made during
  // the step (fuzz seed 3603768: a dead `round(carry)` uploaded the initial carry; seed 8403049: a dead
  // `mul(v2, xrow)` on a captured v2 uploaded xrow): the backward step reads the carries, rows and invariants as
  // eager's forward step found them (ir.ts ScanSpec.foundInvariants), so it runs where eager's did.
  const uploadsUsedValue = (n: KernelNode) => threshold > 0 && sharedInputOf(p, n) < 0 &&
    (n.control === undefined || n.control.kind === 'scan') &&
    n.inputs.some((v) => v >= 0 && (liveData.has(root[v]) || outlives.has(root[v])) && sizeOf(p.values[v].shape) < threshold);
  for (let i = p.nodes.length - 1; i >= 0; i--) {
    const n = p.nodes[i];
    // A branch node with a run-time check (ifelse's checkCond) stays: failing the call is its effect.
    const checks = n.control?.kind === 'cond' && n.control.check !== undefined;
    if (checks || n.outputs.some((o) => live.has(o)) || uploadsUsedValue(n)) {
      keep[i] = true;
      for (const v of n.inputs) {
        if (v < 0) continue;
        live.add(v);
        if (threshold > 0) liveData.add(root[v]);
      }
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
}

/** Dead-code elimination with no backend in view (every dead kernel dropped). */
export const eliminateDeadCode: Pass = {
  name: 'dce',
  run: (p) => eliminateDeadCodeKeeping(p, 0),
};

/** Dead-code elimination for a program that runs on `backendName` (see the module comment). */
export function eliminateDeadCodeFor(backendName: string): Pass {
  const gpu = targetNamed(backendName)?.gpuFusion;
  if (gpu === undefined) return eliminateDeadCode;
  return { name: 'dce', run: (p) => eliminateDeadCodeKeeping(p, gpu.cpuForwardThreshold()) };
}

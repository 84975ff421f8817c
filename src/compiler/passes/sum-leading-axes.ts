/**
 * Bias-gradient sums in one GPU dispatch: a `Sum` over leading axes (`sum(dy, 0)` of a
 * `[batch, units]` tensor) becomes kernel `BrainStateSumLeadingAxes` where the backend
 * target offers it for that input (`GpuFusion.sumLeadingAxes`). tfjs-webgpu's own `Sum`
 * transposes the reduced axes last first (a dispatch and a copy of the input); the target's
 * kernel reads the input in place with the same summation order, so the bits are tfjs's.
 */
import { SUM_LEADING_AXES } from '../../kernels/names';
import { targetNamed } from '../../backend/targets';
import type { Program } from '../ir';
import type { Pass } from './pass';

/** The pass for programs that run on `backendName` (a no-op where the target lacks the kernel). */
export function sumLeadingAxesFor(backendName: string): Pass {
  return {
    name: 'sum-leading-axes',
    run(p: Program): Program {
      const covers = targetNamed(backendName)?.gpuFusion?.sumLeadingAxes;
      if (covers === undefined) return p;
      let changed = false;
      const nodes = p.nodes.map((n) => {
        if (n.kernel !== 'Sum' || n.folded !== undefined || n.inputs.length !== 1 || n.inputs[0] < 0) return n;
        const x = p.values[n.inputs[0]];
        if (!covers(x.shape, x.dtype, n.attrs.axis)) return n;
        changed = true;
        return { ...n, kernel: SUM_LEADING_AXES };
      });
      return changed ? { ...p, nodes } : p;
    },
  };
}

/**
 * Matrix products with their bias and activation as one kernel (webgpu): a BatchMatMul
 * whose only reader adds a bias vector, optionally followed by a Relu, becomes tfjs's
 * `_FusedMatMul` (bias and activation applied in the product's own program as it writes
 * each element), so a dense layer is one GPU dispatch instead of two or three.
 *
 * The results are eager's bits: webgpu's registered `_FusedMatMul` (brainstate-ts's
 * program, src/backend/webgpu/matmul-program.ts, or tfjs-backend-webgpu's own when that is
 * turned off) runs the product BatchMatMul runs, then `value = value + bias` and Relu's own
 * formula (`select(a, 0.0, a < 0.0)`) on the f32 value, which is what the separate Add and
 * Relu kernels compute on the stored product.
 *
 * A Relu's gradient reads the pre-activation value through `Step(t)`. `Step(t)` equals
 * `Step(Relu(t))` for every t (positive: both 1; zero, negative: both alpha; NaN: both
 * NaN), so such readers read the activation instead and the pre-activation value need not
 * exist.
 */
import type { KernelNode, Program, ValueId } from '../ir';
import { liveOuts } from '../ir';
import type { Pass } from './pass';

const inputOf = (n: KernelNode, name: string): ValueId => (n.inputNames === null ? -1 : n.inputs[n.inputNames.indexOf(name)] ?? -1);

export const matMulEpilogue: Pass = {
  name: 'matmul-epilogue',
  run(p: Program): Program {
    if (!p.nodes.some((n) => n.kernel === 'BatchMatMul')) return p;
    const live = new Set(liveOuts(p));
    const readers = new Map<ValueId, number[]>();
    p.nodes.forEach((n, i) => n.inputs.forEach((v) => {
      if (v < 0) return;
      const list = readers.get(v) ?? [];
      if (!list.includes(i)) list.push(i);
      readers.set(v, list);
    }));
    const onlyReader = (v: ValueId): number | undefined => {
      const r = readers.get(v);
      return !live.has(v) && r !== undefined && r.length === 1 ? r[0] : undefined;
    };

    const replaced = new Map<number, KernelNode>(); // node index -> its replacement
    const dropped = new Set<number>();
    const renamed = new Map<number, Map<ValueId, ValueId>>(); // node index -> input renames
    p.nodes.forEach((mm, i) => {
      if (mm.kernel !== 'BatchMatMul' || mm.folded !== undefined || mm.inputNames === null) return;
      const prod = mm.outputs[0];
      const t = p.values[prod];
      if (t.dtype !== 'float32' || t.shape.length < 2) return;
      const j = onlyReader(prod);
      const add = j === undefined ? undefined : p.nodes[j];
      if (add === undefined || add.kernel !== 'Add' || add.folded !== undefined || add.inputNames === null) return;
      const [x, y] = [inputOf(add, 'a'), inputOf(add, 'b')];
      const bias = x === prod ? y : x;
      if (bias === prod || bias < 0) return;
      const b = p.values[bias];
      const sum = p.values[add.outputs[0]];
      // tfjs broadcasts the bias by output coordinates: a vector along the product's last axis.
      if (b.dtype !== 'float32' || b.shape.length !== 1 || b.shape[0] !== t.shape[t.shape.length - 1] ||
        sum.shape.join() !== t.shape.join()) return;

      // A Relu of the sum, and Step gradients of it, may fold in too (see the file comment).
      const pre = add.outputs[0];
      const uses = live.has(pre) ? undefined : (readers.get(pre) ?? []);
      const relus = (uses ?? []).filter((k) => p.nodes[k].kernel === 'Relu');
      const steps = (uses ?? []).filter((k) => p.nodes[k].kernel === 'Step');
      const withRelu = uses !== undefined && relus.length === 1 && relus.length + steps.length === uses.length &&
        p.nodes[relus[0]].folded === undefined;
      const out = withRelu ? p.nodes[relus[0]].outputs[0] : pre;
      replaced.set(j!, {
        kernel: '_FusedMatMul',
        inputNames: ['a', 'b', 'bias'],
        inputs: [inputOf(mm, 'a'), inputOf(mm, 'b'), bias],
        attrs: { transposeA: mm.attrs.transposeA === true, transposeB: mm.attrs.transposeB === true,
          activation: withRelu ? 'relu' : 'linear', leakyreluAlpha: 0 },
        outputs: [out],
      });
      dropped.add(i);
      if (withRelu) {
        dropped.add(relus[0]);
        for (const k of steps) renamed.set(k, new Map([[pre, out]]));
      }
    });
    if (replaced.size === 0) return p;
    const nodes: KernelNode[] = [];
    p.nodes.forEach((n, i) => {
      if (dropped.has(i)) return;
      const r = renamed.get(i);
      nodes.push(replaced.get(i) ?? (r === undefined ? n : { ...n, inputs: n.inputs.map((v) => r.get(v) ?? v) }));
    });
    return { ...p, nodes };
  },
};

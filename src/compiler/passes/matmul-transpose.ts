/**
 * tfjs-wasm's BatchMatMul takes a slow path when an operand is transposed: measured
 * here, Xᵀ·Y for X 128x784, Y 128x256 costs 24 ms with transposeA but 2.6 ms as an
 * explicit Transpose (0.3 ms) followed by a plain product. On the cpu backend the
 * transposed path is as fast or faster, so this pass runs for wasm only, and only when
 * tfjs's own kernel does the products (the generated GEMM, src/backend/gemm, packs a
 * transposed operand at no extra cost).
 */
import type { KernelNode, Program, ValueId, ValueType } from '../ir';
import type { Pass } from './pass';

function transposedType(t: ValueType): ValueType {
  const shape = [...t.shape];
  const r = shape.length;
  [shape[r - 2], shape[r - 1]] = [shape[r - 1], shape[r - 2]];
  return { shape, dtype: t.dtype };
}

export const explicitMatMulTranspose: Pass = {
  name: 'matmul-explicit-transpose',
  run(p: Program): Program {
    if (!p.nodes.some((n) => n.kernel === 'BatchMatMul' && (n.attrs.transposeA === true || n.attrs.transposeB === true))) return p;
    const values: ValueType[] = [...p.values];
    const nodes: KernelNode[] = [];
    for (const n of p.nodes) {
      if (n.kernel !== 'BatchMatMul' || n.inputNames === null) {
        nodes.push(n);
        continue;
      }
      const inputs = [...n.inputs];
      const attrs: Record<string, unknown> = { ...n.attrs };
      (['a', 'b'] as const).forEach((name) => {
        const flag = name === 'a' ? 'transposeA' : 'transposeB';
        const at = n.inputNames!.indexOf(name);
        if (attrs[flag] !== true || at < 0 || inputs[at] < 0) return;
        const src: ValueId = inputs[at];
        const rank = values[src].shape.length;
        const perm = [...Array(rank).keys()];
        [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
        values.push(transposedType(values[src]));
        const t = values.length - 1;
        nodes.push({ kernel: 'Transpose', inputNames: ['x'], inputs: [src], attrs: { perm }, outputs: [t] });
        inputs[at] = t;
        attrs[flag] = false;
      });
      nodes.push({ ...n, inputs, attrs });
    }
    return { ...p, values, nodes };
  },
};

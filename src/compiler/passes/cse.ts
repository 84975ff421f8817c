/**
 * Common-subexpression elimination: two kernels with the same name, attributes and
 * inputs compute the same values (tfjs kernels are pure functions of their inputs,
 * the random kernels included: their key is an input), so the second is dropped and
 * its uses read the first.
 *
 * On tfjs-webgpu, where a kernel on small host data runs on its CPU forms and a GPU kernel
 * uploads its inputs for good (docs/sharp-bits.md 24), equal kernels can compute different
 * bits: eagerly the second runs where its inputs are by then (fuzz seed 42: `tf.cast(x,
 * 'int32')`, then `tf.mod(x, x)` on the GPU uploads x, then the same cast casts NaN on the
 * GPU: -2147483648, not the host's 0), and its result is new host data that a reader of the
 * first result does not upload. So there a kernel that may run on the host (every input
 * small, none traced on the GPU) is merged only when no kernel between the two reads one of
 * its inputs' data, and the results of one or the other are never read.
 */
import type { KernelNode, Program, ValueId } from '../ir';
import { liveOuts } from '../ir';
import { Pass, renameUses } from './pass';
import { kernelInfo } from '../kernels';
import { targetNamed } from '../../backend/targets';
import { onDeviceInputs, readersOf, sharedInputOf } from './upload-order';

/**
 * An attribute value as key text. JSON alone would merge kernels that differ: it writes
 * -0 as 0 (clipByValue(x, -0, 1) is not clipByValue(x, 0, 1)) and NaN and the infinities
 * as null.
 */
function attrKey(_k: string, v: unknown): unknown {
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (typeof v === 'number' && (Object.is(v, -0) || !Number.isFinite(v))) return { number: Object.is(v, -0) ? '-0' : String(v) };
  return v;
}

function keyOf(n: KernelNode, resolve: (v: ValueId) => ValueId): string {
  return `${n.kernel}|${JSON.stringify(n.inputNames)}|${n.inputs.map((v) => (v < 0 ? v : resolve(v))).join(',')}|` +
    JSON.stringify(n.attrs, attrKey);
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Whether node `second` (index) may not read node `first`'s results instead of its own: see the module comment. */
type Keeps = (first: number, second: number) => boolean;

function eliminate(p: Program, keeps: Keeps): Program {
  const alias = new Map<ValueId, ValueId>();
  const resolve = (v: ValueId): ValueId => alias.get(v) ?? v;
  const seen = new Map<string, { node: KernelNode; at: number; pos: number }>();
  const nodes: KernelNode[] = [];
  p.nodes.forEach((n, i) => {
    if (n.fused !== undefined || n.folded !== undefined || n.control !== undefined || kernelInfo(n.kernel)?.pure === false) {
      nodes.push(n);
      return;
    }
    const key = keyOf(n, resolve);
    const first = seen.get(key);
    if (first !== undefined && first.node.outputs.length === n.outputs.length && !keeps(first.at, i)) {
      n.outputs.forEach((o, k) => alias.set(o, first.node.outputs[k]));
      return;
    }
    seen.set(key, { node: n, at: i, pos: nodes.length });
    nodes.push(n);
  });
  return alias.size === 0 ? p : renameUses({ ...p, nodes }, resolve);
}

export const eliminateCommonSubexpressions: Pass = {
  name: 'cse',
  run: (p) => eliminate(p, () => false),
};

/** Merges that would move where tfjs-webgpu computes or uploads small data (see the module comment). */
function placementKeeps(p: Program, threshold: number): Keeps {
  const { root, readers } = readersOf(p);
  const onDevice = new Set(onDeviceInputs(p).map((v) => root[v]));
  const readAfter = new Set(liveOuts(p).map((v) => root[v]));
  const mayRunOnHost = (n: KernelNode) => n.inputs.every((v) => v < 0 || (sizeOf(p.values[v].shape) < threshold && !onDevice.has(root[v])));
  const read = (n: KernelNode) => n.outputs.some((o) => readAfter.has(root[o]) || (readers.get(root[o]) ?? []).length > 0);
  return (f, i) => {
    const n = p.nodes[i];
    // A reshape or lossless cast runs nothing: both results are their input's data.
    if (sharedInputOf(p, n) >= 0 || !mayRunOnHost(n)) return false;
    if (read(p.nodes[f]) && read(n)) return true;
    return n.inputs.some((v) => v >= 0 && (readers.get(root[v]) ?? []).some((j) => j > f && j < i));
  };
}

/** Common-subexpression elimination for a program that runs on `backendName` (see the module comment). */
export function eliminateCommonSubexpressionsFor(backendName: string): Pass {
  const gpu = targetNamed(backendName)?.gpuFusion;
  if (gpu === undefined) return eliminateCommonSubexpressions;
  return {
    name: 'cse',
    run: (p) => {
      const threshold = gpu.cpuForwardThreshold();
      return eliminate(p, threshold > 0 ? placementKeeps(p, threshold) : () => false);
    },
  };
}

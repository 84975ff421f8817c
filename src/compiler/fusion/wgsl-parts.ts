/**
 * Independent fused kernels as one WGSL program (a `FusedParts` node: the optimiser's
 * updates of every parameter, each over its own shape): one invocation per element of
 * all parts together, each running its part's code (./codegen-wgsl.ts, names prefixed
 * `p<m>_`) on its own element index, writing into one packed int32 buffer from the
 * part's offset. The kernel then copies each part's elements into its own tensor (GPU
 * buffer copies, not dispatches). Each element is computed by the code its part would run
 * alone, so the results are those of the separate fused kernels, and so eager's.
 *
 * Where tfjs-webgpu would run some op of a part on its CPU kernels (small host inputs:
 * see ./wgsl-kernel.ts), every part runs as its own kernel instead.
 */
import type * as tf from '@tensorflow/tfjs';
import type { GpuFusion, GpuProgram } from '../../backend/targets';
import type { KernelFunc, TensorInfo } from '../../backend/tfjs-engine';
import { disposeInfo } from '../../backend/tfjs-engine';
import type { FusedPart, ValueType } from '../ir';
import { generateWgslKernel, wgslStorageBufferLimit, wgslSupports } from './codegen-wgsl';
import { noteKernelCompiled } from './compile-count';
import { wgslFusedKernel } from './wgsl-kernel';

const WORKGROUP = 64;
const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** The storage buffers the program of `parts` binds (every part's non-literal inputs, and the output). */
export function partsStorageBuffers(parts: readonly FusedPart[]): number {
  return parts.reduce((a, p) => a + p.inputs.length, 0) + 1;
}

/** Whether `parts` can run as one program: each part alone can, and all inputs fit the storage-buffer limit. */
export function wgslPartsSupported(parts: readonly FusedPart[], limit = wgslStorageBufferLimit()): boolean {
  return parts.every((p) => p.spec.outputs.length === 1 && wgslSupports(p.spec, limit)) &&
    partsStorageBuffers(parts) <= limit;
}

interface PartsProgram {
  readonly program: GpuProgram;
  /** Node input indices in binding order. */
  readonly bound: readonly number[];
  readonly uniforms: readonly number[];
  /** Element offset of each part in the packed output. */
  readonly offsets: readonly number[];
}

function generate(parts: readonly FusedPart[], dtypes: readonly tf.DataType[]): PartsProgram {
  const offsets: number[] = [];
  let total = 0;
  for (const p of parts) {
    offsets.push(total);
    total += sizeOf(p.spec.shape);
  }
  const sources: string[] = [];
  const variableNames: string[] = [];
  const bound: number[] = [];
  const uniforms: number[] = [];
  const uniformDecls: string[] = [];
  parts.forEach((p, m) => {
    const k = generateWgslKernel(p.spec, { kind: 'packed', dtypes: [dtypes[m]] }, { prefix: `p${m}_`, outOffset: offsets[m] });
    sources.push(k.source);
    variableNames.push(...(k.program.variableNames));
    bound.push(...k.bound.map((b) => p.inputs[b]));
    uniforms.push(...k.uniforms);
    if (k.program.uniforms !== undefined) uniformDecls.push(k.program.uniforms);
  });
  const branches = parts.map((_, m) => (m + 1 < parts.length
    ? `if (index < ${offsets[m + 1]}) { p${m}_main(index - ${offsets[m]}); return; }`
    : `p${m}_main(index - ${offsets[m]});`));
  const source = `${sources.join('\n')}\nfn main(index : i32) {\n  _ = uniforms.NAN;\n  if (index >= ${total}) { return; }\n  ` +
    `${branches.join('\n  ')}\n}\n`;
  const program: GpuProgram = {
    outputShape: [total],
    shaderKey: `brainstate_fused_parts_${source}`,
    dispatchLayout: { x: [0] },
    dispatch: [Math.max(1, Math.ceil(total / WORKGROUP)), 1, 1],
    variableNames,
    workgroupSize: [WORKGROUP, 1, 1],
    ...(uniformDecls.length > 0 ? { uniforms: uniformDecls.join('') } : {}),
    getUserCode: () => source,
  };
  noteKernelCompiled();
  return { program, bound, uniforms, offsets };
}

/** The kernel function of a `FusedParts` node whose program runs through `gpu`. */
export function wgslPartsKernel(parts: readonly FusedPart[], outTypes: readonly ValueType[], formulas: string, gpu: GpuFusion,
  backendName: string): KernelFunc {
  const alone = parts.map((p, m) => wgslFusedKernel(p.spec, [outTypes[m]], formulas, gpu, backendName, undefined));
  const runAlone: KernelFunc = (args) => {
    const ins = args.inputs as TensorInfo[];
    const outs: TensorInfo[] = [];
    try {
      parts.forEach((p, m) => {
        const r = alone[m]({ ...args, inputs: p.inputs.map((k) => ins[k]) as never });
        outs.push((Array.isArray(r) ? r[0] : r) as TensorInfo);
      });
    } catch (e) {
      for (const t of outs) disposeInfo(t);
      throw e;
    }
    return outs;
  };
  if (!wgslPartsSupported(parts)) return runAlone;
  const made = generate(parts, outTypes.map((t) => t.dtype));
  return (args) => {
    const ins = args.inputs as TensorInfo[];
    const threshold = gpu.cpuForwardThreshold();
    // Small host inputs: tfjs-webgpu might run some op on its CPU kernels; each part decides alone.
    if (threshold > 0 && ins.some((t) => !gpu.onDevice(t) && sizeOf(t.shape) < threshold)) return runAlone(args);
    const packed = gpu.run(made.program, made.bound.map((b) => ins[b]), 'int32', made.uniforms);
    try {
      return outTypes.map((o, m) => gpu.copyOut(packed, made.offsets[m], { shape: [...o.shape], dtype: o.dtype }));
    } finally {
      disposeInfo(packed);
    }
  };
}

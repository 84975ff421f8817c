/**
 * Independent fused kernels as one WGSL program (a `FusedParts` node: the optimiser's
 * updates of every parameter, each over its own shape): every invocation runs each part's
 * code (./codegen-wgsl.ts, names prefixed `p<m>_`) on its share of that part's groups of
 * four elements (./codegen-wgsl.ts `launchFor`, over the groups of all parts), writing
 * into one packed int32 buffer from the part's offset (a multiple of 4). The kernel then
 * copies each part's elements into its own tensor (GPU buffer copies, not dispatches). Each element is computed by the code its part would run alone, so the
 * results are those of the separate fused kernels, and so eager's.
 *
 * Where tfjs-webgpu would run some op of a part on its CPU kernels (small host inputs:
 * see ./wgsl-kernel.ts), every part runs as its own kernel instead.
 */
import type * as tf from '@tensorflow/tfjs';
import type { GpuFusion, GpuProgram } from '../../backend/targets';
import type { KernelFunc, TensorInfo } from '../../backend/tfjs-engine';
import { disposeInfo } from '../../backend/tfjs-engine';
import type { FusedPart, ValueType } from '../ir';
import { generateWgslPart, LANES, launchFields, launchFor, wgslStorageBufferLimit, wgslSupports } from './codegen-wgsl';
import { noteKernelCompiled } from './compile-count';
import { wgslFusedKernel } from './wgsl-kernel';

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
  const partGroups: number[] = [];
  let total = 0; // elements of the packed output, each part's padded to whole groups
  let groups = 0;
  const sources: string[] = [];
  const variableNames: string[] = [];
  const variableComponents: number[] = [];
  const bound: number[] = [];
  const uniforms: number[] = [];
  const uniformDecls: string[] = [];
  parts.forEach((p, m) => {
    const k = generateWgslPart(p.spec, { kind: 'packed', dtypes: [dtypes[m]] }, { prefix: `p${m}_`, outOffset: total });
    offsets.push(k.outOffsets[0]);
    partGroups.push(k.groups);
    total += k.outElements;
    groups += k.groups;
    sources.push(k.source);
    variableNames.push(...k.variableNames);
    variableComponents.push(...k.variableComponents);
    bound.push(...k.bound.map((b) => p.inputs[b]));
    uniforms.push(...k.uniforms);
    uniformDecls.push(...k.uniformNames.map((u) => `${u} : f32, `));
  });
  // Every invocation runs each part's groups in turn (`t`, `t + stride`, ...), not a branch on the
  // part per group: SwiftShader ran every branch's code, masked, for each group, and the MLP's
  // update of two parts took 2x the time of its larger part alone.
  const launch = launchFor(groups);
  const loops = parts.map((_, m) => {
    const count = partGroups[m];
    const per = Math.ceil(count / launch.stride);
    return per <= 1
      ? `if (t < ${count}) { p${m}_group(t); }`
      : `for (var j = 0; j < ${per}; j++) {\n    let g = t + j * ${launch.stride};\n    if (g >= ${count}) { break; }\n    p${m}_group(g);\n  }`;
  });
  const main = `fn main(t : i32) {\n  _ = uniforms.NAN;\n  if (t >= ${launch.stride}) { return; }\n  ${loops.join('\n  ')}\n}\n`;
  const source = `${sources.join('\n')}\n${main}`;
  const program: GpuProgram = {
    outputShape: [total],
    shaderKey: `brainstate_fused_parts_${source}`,
    dispatchLayout: { x: [0] },
    ...launchFields(launch),
    variableNames,
    variableComponents,
    outputComponent: LANES,
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

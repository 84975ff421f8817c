/**
 * The kernel function of a fused node on a GPU backend ({@link GpuFusion}): one dispatch of
 * the generated WGSL program (./codegen-wgsl.ts), in place where the executable's reuse
 * plan allows, or, where tfjs-backend-webgpu itself would not run the group's kernels as
 * GPU programs, the group's kernels replayed one by one.
 *
 * tfjs-webgpu runs some kernels on its CPU implementations (JavaScript formulas, exact
 * int32 arithmetic) when every input is host data below its hand-off size (1000 elements):
 * small tensors made from JS values, and their results. Eagerly, such a chain never
 * touches the GPU; a fused WGSL program would compute it in f32 on the GPU and change
 * results. So each call first works out, from where its inputs live, whether any op of the
 * group would be handed to the CPU, and if so replays the group op by op through the
 * backend's own kernels (the unfused path, with the same results as eager).
 */
import * as tf from '@tensorflow/tfjs';
import type { GpuFusion } from '../../backend/targets';
import {
  currentBackend, disposeInfo, KernelFunc, lookupKernel, OutputReuse, reuseFor, TensorInfo,
} from '../../backend/tfjs-engine';
import { InternalError } from '../../errors';
import type { FusedSpec, ValueType } from '../ir';
import { OutputPlan, wgslKernelFor, wgslSupports } from './codegen-wgsl';
import { ELEMENTWISE_OPS } from './ops';
import { WGSL_OPS } from './wgsl-ops';

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Whether a Cast shares its input's data (no encoding loss: tfjs-webgpu returns an identity). */
function isIdentityCast(spec: FusedSpec, j: number): boolean {
  const op = spec.ops[j];
  if (op.kernel !== 'Cast') return false;
  const from = op.args[0] < spec.inputs.length ? spec.inputs[op.args[0]].dtype : spec.ops[op.args[0] - spec.inputs.length].dtype;
  return !tf.util.hasEncodingLoss(from, op.dtype);
}

/**
 * The size each inlined constant had where op `j` reads it: the domain's when every
 * argument of the op is a constant or a scalar (the op's result has the domain's shape,
 * so the constant had it) and always for Select, else 1 (a scalar broadcast against the
 * other argument).
 */
function literalSize(spec: FusedSpec, j: number): number {
  const nIn = spec.inputs.length;
  // Select's kernel does not broadcast: tf.where broadcast its operands before recording it.
  if (spec.ops[j].kernel === 'Select') return sizeOf(spec.shape);
  const allSmall = spec.ops[j].args.every((a) => a < nIn && spec.inputs[a].mode !== 'full' && spec.inputs[a].mode !== 'strided');
  return allSmall ? sizeOf(spec.shape) : 1;
}

/**
 * Whether tfjs-webgpu would hand some op of the group to its CPU kernels, given which
 * non-literal inputs are small host data (`smallHost`, by non-literal input index).
 */
function someOpRunsOnCpu(spec: FusedSpec, smallHost: readonly boolean[], threshold: number): boolean {
  const nIn = spec.inputs.length;
  const domain = sizeOf(spec.shape);
  const host: boolean[] = []; // by ref: small host data
  let k = 0;
  spec.inputs.forEach((inp) => { host.push(inp.mode === 'literal' ? false : smallHost[k++]); });
  // A literal stands for one constant's data (replayUnfused makes it once): a GPU kernel that
  // reads it uploads it for good, so a later kernel on it runs on the GPU too (fuzz seed
  // 1031949 on an H200: `mod(c, gpuValue)` then `exp(c)`, both on the GPU eagerly).
  const uploaded = new Set<number>();
  for (let j = 0; j < spec.ops.length; j++) {
    const op = spec.ops[j];
    const argHost = op.args.map((a) => (a < nIn && spec.inputs[a].mode === 'literal'
      ? !uploaded.has(a) && literalSize(spec, j) < threshold
      : host[a]));
    if (isIdentityCast(spec, j)) {
      host.push(argHost[0]);
      continue;
    }
    const forwarded = WGSL_OPS[op.kernel]?.cpuForward === true && argHost.every((h) => h);
    if (forwarded) return true;
    for (const a of op.args) if (a < nIn && spec.inputs[a].mode === 'literal') uploaded.add(a);
    host.push(false);
  }
  return false;
}

/** `x` tiled to `shape` as tf.broadcastTo does it (a Reshape to the rank, then Tile). */
function broadcastToDomain(x: TensorInfo, shape: readonly number[], backendName: string): TensorInfo {
  const backend = currentBackend();
  const reshape = lookupKernel('Reshape', backendName);
  const tile = lookupKernel('Tile', backendName);
  if (reshape === undefined || tile === undefined) throw new InternalError('Reshape and Tile kernels are needed to replay a Select');
  const padded = [...new Array(shape.length - x.shape.length).fill(1), ...x.shape];
  const r = reshape({ inputs: { x }, backend, attrs: { shape: padded } }) as TensorInfo;
  try {
    return tile({ inputs: { x: r }, backend, attrs: { reps: shape.map((d, i) => d / padded[i]) } }) as TensorInfo;
  } finally {
    disposeInfo(r);
  }
}

/** Runs the group's kernels one by one through the backend's own kernels (tfjs's results exactly). */
function replayUnfused(spec: FusedSpec, inputs: readonly TensorInfo[], outTypes: readonly ValueType[],
  backendName: string): TensorInfo[] {
  const backend = currentBackend();
  const nIn = spec.inputs.length;
  const vals: TensorInfo[] = [];
  const made: TensorInfo[] = [];
  let k = 0;
  const literals: (number | undefined)[] = spec.inputs.map((inp) => (inp.mode === 'literal' ? inp.value : undefined));
  const literalData = new Map<string, TensorInfo>();
  spec.inputs.forEach((inp) => { if (inp.mode !== 'literal') vals.push(inputs[k++]); else vals.push(undefined as never); });
  try {
    spec.ops.forEach((op, j) => {
      const kernel = lookupKernel(op.kernel, backendName);
      const names = ELEMENTWISE_OPS[op.kernel]?.inputs;
      if (kernel === undefined || names === undefined) throw new InternalError(`fused kernel ${op.kernel} cannot be replayed`);
      const args: Record<string, TensorInfo> = {};
      op.args.forEach((a, i) => {
        if (a < nIn && literals[a] !== undefined) {
          // Select's operands have the domain's shape even when it holds one element (tfjs-webgpu's
          // Select program takes its rank from them; a rank-0 literal made invalid WGSL: fuzz seed 278).
          const shape = op.kernel !== 'Select' && literalSize(spec, j) === 1 ? [] : [...spec.shape];
          // One data per literal (and shape), as eager's constant is one tensor: a GPU kernel
          // that reads it uploads it, and a later kernel reading it then runs on the GPU too
          // (fuzz seed 1031949: a fresh copy per read let `exp(c)` run on the CPU forms).
          const key = `${a}:${shape.join(',')}`;
          let info = literalData.get(key);
          if (info === undefined) {
            const dtype = spec.inputs[a].dtype;
            const values = tf.util.getTypedArrayFromDType(dtype as 'float32', sizeOf(shape)).fill(literals[a]!);
            info = { dataId: backend.write(values, shape, dtype), shape, dtype };
            made.push(info);
            literalData.set(key, info);
          }
          args[names[i]] = info;
        } else if (op.kernel === 'Select' && vals[a].shape.join() !== spec.shape.join()) {
          // An operand the group reads as a scalar or broadcast: tf.where had tiled it to the
          // domain's shape (tfjs-webgpu's Select program needs equal ranks; fuzz seed 278).
          const tiled = broadcastToDomain(vals[a], spec.shape, backendName);
          made.push(tiled);
          args[names[i]] = tiled;
        } else {
          args[names[i]] = vals[a];
        }
      });
      const out = kernel({ inputs: args, backend, attrs: op.attrs as Record<string, unknown> });
      const info = (Array.isArray(out) ? out[0] : out) as TensorInfo;
      made.push(info);
      vals.push(info);
    });
    return spec.outputs.map((r, m) => {
      const v = vals[r];
      const want = outTypes[m];
      if (sizeOf(v.shape) !== sizeOf(want.shape)) {
        throw new InternalError(`a replayed fused kernel made shape [${v.shape}] for [${want.shape}]`);
      }
      backend.incRef(v.dataId);
      return { dataId: v.dataId, shape: [...want.shape], dtype: v.dtype };
    });
  } finally {
    for (const t of made) disposeInfo(t);
  }
}

/** The kernel function of a fused node whose program runs through `gpu`. */
export function wgslFusedKernel(spec: FusedSpec, outTypes: readonly ValueType[], formulas: string, gpu: GpuFusion,
  backendName: string, reuse: OutputReuse | undefined): KernelFunc {
  const outs = outTypes.map((t) => ({ shape: [...t.shape], dtype: t.dtype }));
  const nonLiteral = spec.inputs.filter((i) => i.mode !== 'literal');
  const supported = wgslSupports(spec);
  const single = outs.length === 1;
  const fresh = single
    ? wgslKernelFor(spec, formulas, { kind: 'single', dtype: outs[0].dtype, inPlaceInput: -1 })
    : wgslKernelFor(spec, formulas, { kind: 'packed', dtypes: outs.map((o) => o.dtype) });
  return ({ inputs }) => {
    const ins = inputs as TensorInfo[];
    // A group whose results no one reads is kept only for the uploads its kernels make eagerly
    // (passes/dce.ts): its kernels run one by one, each uploading what eager's would (the
    // generated program reads no input it does not need; fuzz seeds 931210, 931553).
    if (!supported || outs.length === 0) return replayUnfused(spec, ins, outTypes, backendName);
    const threshold = gpu.cpuForwardThreshold();
    if (threshold > 0) {
      const smallHost = ins.map((t) => !gpu.onDevice(t) && sizeOf(t.shape) < threshold);
      // Literals are small host data too (a group over constants only: fuzz seed 930015).
      if (someOpRunsOnCpu(spec, smallHost, threshold)) {
        return replayUnfused(spec, ins, outTypes, backendName);
      }
    }
    if (single) {
      // In place: the dead old buffer of the state this output replaces, when its array type fits.
      const [target] = reuseFor(ins, outs, reuse, (k, dtype) => gpu.storageDtype(ins[k]) === dtype &&
        nonLiteral[k].mode === 'full');
      if (target !== undefined) {
        const k = reuse!.inputOf[0];
        const kern = wgslKernelFor(spec, formulas, { kind: 'single', dtype: outs[0].dtype, inPlaceInput: k });
        try {
          return [gpu.run(kern.program, kern.bound.map((b) => ins[b]), outs[0].dtype, kern.uniforms, target)];
        } catch (e) {
          disposeInfo(target);
          throw e;
        }
      }
      return [gpu.run(fresh.program, fresh.bound.map((b) => ins[b]), outs[0].dtype, fresh.uniforms)];
    }
    const packed = gpu.run(fresh.program, fresh.bound.map((b) => ins[b]), 'int32', fresh.uniforms);
    try {
      return outs.map((o, m) => gpu.copyOut(packed, fresh.outOffsets[m], o));
    } finally {
      disposeInfo(packed);
    }
  };
}

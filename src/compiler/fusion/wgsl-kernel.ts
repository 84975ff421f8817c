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
import type { FusedInput, FusedSpec, ValueType } from '../ir';
import { OutputPlan, wgslKernelFor, wgslSupports } from './codegen-wgsl';
import { ELEMENTWISE_OPS, literalValues } from './ops';
import { WGSL_OPS } from './wgsl-ops';

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Whether a Cast shares its input's data (no encoding loss: tfjs-webgpu returns an identity). */
function isIdentityCast(spec: FusedSpec, j: number): boolean {
  const op = spec.ops[j];
  if (op.kernel !== 'Cast') return false;
  const from = op.args[0] < spec.inputs.length ? spec.inputs[op.args[0]].dtype : spec.ops[op.args[0] - spec.inputs.length].dtype;
  return !tf.util.hasEncodingLoss(from, op.dtype);
}

/** The literal input `a` of `spec`, or undefined when `a` is not one. */
function literalAt(spec: FusedSpec, a: number): Extract<FusedInput, { mode: 'literal' }> | undefined {
  const inp = a < spec.inputs.length ? spec.inputs[a] : undefined;
  return inp?.mode === 'literal' ? inp : undefined;
}

/**
 * Whether tfjs-webgpu would hand some op of the group to its CPU kernels, given which
 * non-literal inputs are small host data (`smallHost`, by non-literal input index).
 */
function someOpRunsOnCpu(spec: FusedSpec, smallHost: readonly boolean[], threshold: number): boolean {
  const domain = sizeOf(spec.shape);
  const host: boolean[] = []; // by ref: small host data
  let k = 0;
  spec.inputs.forEach((inp) => { host.push(inp.mode === 'literal' ? false : smallHost[k++]); });
  // A literal stands for one constant's data, of the constant's own shape (replayUnfused makes
  // it once): a GPU kernel that reads it uploads it for good, so a later kernel on it runs on
  // the GPU too (fuzz seed 1031949 on an H200: `mod(c, gpuValue)` then `exp(c)`, both on the
  // GPU eagerly; seed 1108059: `where(b, x, c)` then `maximum(c, d)`, c of shape [1]).
  const uploaded = new Set<number>();
  const literalHost = (a: number) => !uploaded.has(a) && sizeOf(literalAt(spec, a)!.shape) < threshold;
  for (let j = 0; j < spec.ops.length; j++) {
    const op = spec.ops[j];
    const argHost = op.args.map((a) => (literalAt(spec, a) !== undefined ? literalHost(a) : host[a]));
    if (isIdentityCast(spec, j)) {
      host.push(argHost[0]);
      continue;
    }
    const forwarded = WGSL_OPS[op.kernel]?.cpuForward === true && argHost.every((h) => h);
    if (forwarded) return true;
    for (const a of op.args) {
      const lit = literalAt(spec, a);
      if (lit === undefined) continue;
      // Select reads a literal that tf.where tiled (some axis grows) through that Tile, which
      // runs on the CPU forms while the literal is small host data: it stays on the host then.
      const tiledOnHost = op.kernel === 'Select' && sizeOf(lit.shape) !== domain && literalHost(a);
      if (!tiledOnHost) uploaded.add(a);
    }
    host.push(false);
  }
  return false;
}

/**
 * `x` broadcast to `shape` as tf.broadcastTo does it: a Reshape to the rank (the same data),
 * then a Tile (a new tensor) only where some axis grows, as tf.where's operands are.
 */
function broadcastToDomain(x: TensorInfo, shape: readonly number[], backendName: string): TensorInfo {
  const backend = currentBackend();
  const reshape = lookupKernel('Reshape', backendName);
  const tile = lookupKernel('Tile', backendName);
  if (reshape === undefined || tile === undefined) throw new InternalError('Reshape and Tile kernels are needed to replay a Select');
  const padded = [...new Array(shape.length - x.shape.length).fill(1), ...x.shape];
  const r = reshape({ inputs: { x }, backend, attrs: { shape: padded } }) as TensorInfo;
  const reps = shape.map((d, i) => d / padded[i]);
  if (reps.every((n) => n === 1)) return r;
  try {
    return tile({ inputs: { x: r }, backend, attrs: { reps } }) as TensorInfo;
  } finally {
    disposeInfo(r);
  }
}

/** Runs the group's kernels one by one through the backend's own kernels (tfjs's results exactly). */
function replayUnfused(spec: FusedSpec, inputs: readonly TensorInfo[], outTypes: readonly ValueType[],
  backendName: string): TensorInfo[] {
  const backend = currentBackend();
  const vals: TensorInfo[] = [];
  const made: TensorInfo[] = [];
  let k = 0;
  try {
    // Each literal is made once, as one tensor of its constant's shape, which every kernel
    // reads as the unfused program reads that constant: a GPU kernel that reads it uploads it,
    // so a later kernel on it runs on the GPU too (fuzz seed 1031949: a fresh copy per read let
    // `exp(c)` run on the CPU forms; seed 1108059: a copy per shape read, [1] in `where(b, x, c)`
    // and [] in `maximum(c, d)`, let the int32 maximum run exactly on the CPU forms, where eager's
    // ran on the GPU through f32).
    spec.inputs.forEach((inp) => {
      if (inp.mode !== 'literal') {
        vals.push(inputs[k++]);
        return;
      }
      const shape = [...inp.shape];
      const info: TensorInfo = { dataId: backend.write(literalValues(inp), shape, inp.dtype), shape, dtype: inp.dtype };
      made.push(info);
      vals.push(info);
    });
    spec.ops.forEach((op) => {
      const kernel = lookupKernel(op.kernel, backendName);
      const names = ELEMENTWISE_OPS[op.kernel]?.inputs;
      if (kernel === undefined || names === undefined) throw new InternalError(`fused kernel ${op.kernel} cannot be replayed`);
      const args: Record<string, TensorInfo> = {};
      op.args.forEach((a, i) => {
        if (op.kernel === 'Select' && vals[a].shape.join() !== spec.shape.join()) {
          // An operand the group reads as a scalar or broadcast: tf.where had broadcast it to the
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

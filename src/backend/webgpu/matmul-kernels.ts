/**
 * `BatchMatMul` and `_FusedMatMul` for the webgpu backend through brainstate-ts's own WGSL
 * program (./matmul-program.ts), registered over tfjs-backend-webgpu's kernels (records
 * with reason `'slow'`). Eager ops and the jit's replay dispatch the same registered
 * kernels, so jit == eager stays exact, and a `_FusedMatMul` formed by the jit's
 * matmul-epilogue pass computes the same product as the `BatchMatMul` it replaces.
 *
 * Why: on SwiftShader tfjs-webgpu's barrier-tiled programs took 0.7-1.9 s per product of
 * the MLP 784-256-10 training step, 95% of the step (bench/webgpu-profile.ts).
 *
 * Products the program does not take (int32 or bool operands, shapes that do not
 * multiply, so that tfjs throws its own error; `setMatMulOptions({ enabled: false })`) go
 * to the kernel that was replaced.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../../errors';
import { lookupKernel } from '../tfjs-engine';
import type { KernelFunc, TensorInfo } from '../tfjs-engine';
import type { KernelRecord } from '../training-kernels/record';
import { matMulOptions } from '../gemm/config';
import { planMatMul } from '../gemm/plan';
import { Epilogue, isActivation, matMulProgram, tilingFor } from './matmul-program';
import { webgpuAdapter } from './start';
import { newTensorInfo, runProgram } from './webgpu-engine';

type Name = 'BatchMatMul' | '_FusedMatMul';

const replaced: Partial<Record<Name, KernelFunc>> = {};

function own(name: Name, args: Parameters<KernelFunc>[0]): TensorInfo | TensorInfo[] {
  const k = replaced[name];
  if (k === undefined) throw new BrainStateError(`internal: ${name} (webgpu): tfjs's own kernel is not registered`);
  return k(args);
}

interface Attrs {
  transposeA?: boolean;
  transposeB?: boolean;
  activation?: string | null;
  leakyreluAlpha?: number;
}

function product(name: Name): KernelFunc {
  return (args) => {
    const ins = args.inputs as Record<string, TensorInfo | undefined>;
    const { a, b } = ins as { a: TensorInfo; b: TensorInfo };
    const bias = ins.bias ?? undefined;
    const prelu = ins.preluActivationWeights ?? undefined;
    const attrs = args.attrs as Attrs;
    const plan = planMatMul(a.shape, b.shape, attrs.transposeA === true, attrs.transposeB === true);
    const activation = attrs.activation ?? 'linear';
    const f32 = [a, b, bias, prelu].every((t) => t === undefined || t.dtype === 'float32');
    if (plan === undefined || !f32 || !matMulOptions().enabled || !isActivation(activation) ||
      (activation === 'prelu') !== (prelu !== undefined)) {
      return own(name, args);
    }
    const outSize = plan.outShape.reduce((x, y) => x * y, 1);
    if (outSize === 0) return newTensorInfo(args.backend, plan.outShape, 'float32');
    if (plan.K === 0) return zeroProduct(name, args, plan.outShape);
    const epilogue: Epilogue | undefined = name === 'BatchMatMul' ? undefined :
      { activation, bias: bias?.shape, prelu: prelu?.shape, leakyreluAlpha: attrs.leakyreluAlpha ?? 0 };
    if (epilogue?.bias !== undefined && !broadcastsTo(epilogue.bias, plan.outShape)) return own(name, args);
    if (epilogue?.prelu !== undefined && !broadcastsTo(epilogue.prelu, plan.outShape)) return own(name, args);
    const program = matMulProgram(plan, a.shape.slice(0, -2), b.shape.slice(0, -2), epilogue,
      tilingFor(plan, webgpuAdapter()?.software === true));
    const inputs = [a, b, ...(bias === undefined ? [] : [bias]), ...(prelu === undefined ? [] : [prelu])];
    return runProgram(args.backend, program, inputs, 'float32') as TensorInfo;
  };
}

/**
 * A product over an empty shared dimension: zeros (tfjs-webgpu binds no empty buffers, so
 * no program would run). A fused one, rare, goes to tfjs's kernel.
 */
function zeroProduct(name: Name, args: Parameters<KernelFunc>[0], shape: number[]): TensorInfo | TensorInfo[] {
  const fill = lookupKernel('Fill', 'webgpu');
  if (name === '_FusedMatMul' || fill === undefined) return own(name, args);
  return fill({ inputs: {}, backend: args.backend, attrs: { shape, value: 0, dtype: 'float32' } });
}

/** Whether `shape` broadcasts to `out` (NumPy rules, `out` unchanged). */
function broadcastsTo(shape: readonly number[], out: readonly number[]): boolean {
  if (shape.length > out.length) return false;
  const pad = out.length - shape.length;
  return shape.every((d, i) => d === 1 || d === out[i + pad]);
}

const kernelFuncs: Record<Name, KernelFunc> = { BatchMatMul: product('BatchMatMul'), _FusedMatMul: product('_FusedMatMul') };

/** The records (webgpu). */
export const WEBGPU_MATMUL_KERNELS: readonly KernelRecord[] = (['BatchMatMul', '_FusedMatMul'] as const).map((name) => ({
  kernelName: name, backendName: 'webgpu' as const, kernelFunc: kernelFuncs[name], reason: 'slow' as const,
  why: `${name === 'BatchMatMul' ? 'tf.matMul' : 'tf.fused.matMul'} and everything built on it: tfjs-webgpu's ` +
    'barrier-tiled programs took 0.7-1.9 s per product of the MLP 784-256-10 step on SwiftShader',
  keepReplaced: (k: KernelFunc) => { replaced[name] = k; },
}));

/** Whether float32 products on webgpu run through this module's program now. */
export function wgslRunsMatMul(): boolean {
  return tf.getKernel('BatchMatMul', 'webgpu')?.kernelFunc === (kernelFuncs.BatchMatMul as unknown) && matMulOptions().enabled;
}

/**
 * How the compiler's generated WGSL programs (fused elementwise kernels) run on the webgpu
 * backend: the {@link GpuFusion} of its target record, over the members of
 * tfjs-backend-webgpu that ./webgpu-engine.ts reaches (and self-tests).
 */
import * as tf from '@tensorflow/tfjs';
import type { GpuFusion } from '../targets';
import { copyElements, hostValues, isOnDevice, runProgram, storageDtype } from './webgpu-engine';
import { binaryProgramShapes } from './binary-shared-rank';
import { registerSumLeadingAxesWgsl, sumLeadingAxesCovers } from './sum-leading-axes';

registerSumLeadingAxesWgsl();

const backend = (): unknown => tf.engine().backend;

/** Generated programs' keys (which hold their whole WGSL source), each to a short key of its own. */
const shortKeys = new Map<string, string>();

/**
 * A short pipeline-cache key for a generated program's key: tfjs-webgpu appends the shapes
 * to the key and hashes the result at every dispatch, which for a key holding the source is
 * kilobytes of string per dispatch. Equal sources share a key, different ones never do.
 */
function shortKey(key: string): string {
  let short = shortKeys.get(key);
  if (short === undefined) {
    short = `brainstate_wgsl_${shortKeys.size}`;
    shortKeys.set(key, short);
  }
  return short;
}

/** The webgpu backend's runner of generated WGSL programs. */
export const WEBGPU_FUSION: GpuFusion = {
  // A fresh copy per call: runWebGPUProgram overwrites `shaderKey` with its pipeline-cache key
  // (program + shapes), so a reused object would get a longer key, and a new pipeline, at every call.
  run: (program, inputs, outputDtype, uniforms, output) => runProgram(backend(), { ...program, shaderKey: shortKey(program.shaderKey) },
    [...inputs], outputDtype, uniforms.map((v) => ({ type: 'float32' as const, data: [v] })), output),
  copyOut: (src, offset, out) => copyElements(backend(), src, offset, out.shape, out.dtype),
  onDevice: (t) => isOnDevice(backend(), t.dataId),
  storageDtype: (t) => storageDtype(backend(), t.dataId) ?? t.dtype,
  hostInt32: (t) => hostValues(backend(), t.dataId) instanceof Int32Array,
  hostFloat32: (t) => hostValues(backend(), t.dataId) instanceof Float32Array,
  // tfjs-webgpu's shouldExecuteOnCPU: WEBGPU_CPU_FORWARD and WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD (public flags).
  cpuForwardThreshold: () => (tf.env().getBool('WEBGPU_CPU_FORWARD') ? tf.env().getNumber('WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD') : 0),
  // Read from the device (WebGPU's default is 8, which tfjs-webgpu leaves as it is; a browser's
  // compatibility-mode device may give 4), so a program never binds more than it accepts.
  maxStorageBuffers: () => (backend() as { device: { limits: { maxStorageBuffersPerShaderStage: number } } })
    .device.limits.maxStorageBuffersPerShaderStage,
  writesInPlace: true,
  sumLeadingAxes: (shape, dtype, axis) => sumLeadingAxesCovers({ shape, dtype }, axis),
  binaryVec4: binaryProgramVec4,
};

/**
 * Whether tfjs-webgpu 4.22's BinaryOpProgram runs inputs of shapes `a` and `b` with four
 * components (binary_op_webgpu.js): not where one input of rank at most 1 with fewer than
 * 128 elements is kept in shared memory, else when both last axes are multiples of 4, or
 * one is and the other is a scalar or ends in an axis of 1.
 */
export function binaryProgramVec4(givenA: readonly number[], givenB: readonly number[]): boolean {
  // As the wrapped kernels pass them (binary-shared-rank.ts: no shared variant at rank 5 and 6).
  const [a, b] = binaryProgramShapes(givenA, givenB);
  const shared = (x: readonly number[], y: readonly number[]) => x.length === 1 && y.length > 1 && x[0] < 128;
  if (shared(a, b) || shared(b, a)) return false;
  const by4 = (x: readonly number[]) => x.length > 0 && x[x.length - 1] % 4 === 0;
  const unit = (x: readonly number[]) => x.length === 0 || x[x.length - 1] === 1;
  return (by4(a) && by4(b)) || (by4(a) && unit(b)) || (by4(b) && unit(a));
}

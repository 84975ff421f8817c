/**
 * `MaxPool3DGrad` for the `webgpu` backend as a WGSL program: tfjs-backend-webgpu 4.22's
 * own gives wrong gradients (measured against finite differences in
 * spec/backend/training-kernels.spec.ts: -11.2 against -17.1), as tfjs-cpu's does.
 *
 * One invocation per input element: it visits the windows that contain the element (in
 * increasing output order, the order in which the memory loop of `geometry.ts`
 * accumulates), finds each window's first largest element as that loop does (padding never
 * wins), and sums `dy` of the windows whose maximum it is. So the results are those of the
 * cpu kernel bit for bit (additions of float32 `dy` values in the same order).
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import type { KernelFunc, TensorInfo } from '../tfjs-engine';
import { ProgramUniform, runProgram } from '../webgpu/webgpu-engine';
import { Geometry, geometry3d } from './geometry';

type Args = Parameters<KernelFunc>[0];

const WORKGROUP = 64;
const FIELDS = ['D', 'H', 'W', 'C', 'OD', 'OH', 'OW', 'sd', 'sh', 'sw', 'fd', 'fh', 'fw', 'dd', 'dh', 'dw', 'front',
  'top', 'left'] as const;

function program(shape: number[], size: number): WebGPUProgram {
  return {
    variableNames: ['X', 'DY'],
    outputShape: shape,
    shaderKey: 'brainstate_max_pool3d_grad',
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [Math.max(1, Math.ceil(size / WORKGROUP)), 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    uniforms: `count : i32, ${FIELDS.map((f) => `g${f} : i32, `).join('')}`,
    getUserCode: () => `
fn windowArgmax(xb : i32, od : i32, oh : i32, ow : i32, ch : i32) -> i32 {
  var best = 0.0;
  var at = -1;
  for (var kd = 0; kd < uniforms.gfd; kd = kd + 1) {
    let id = od * uniforms.gsd + kd * uniforms.gdd - uniforms.gfront;
    if (id < 0 || id >= uniforms.gD) { continue; }
    for (var kh = 0; kh < uniforms.gfh; kh = kh + 1) {
      let ih = oh * uniforms.gsh + kh * uniforms.gdh - uniforms.gtop;
      if (ih < 0 || ih >= uniforms.gH) { continue; }
      for (var kw = 0; kw < uniforms.gfw; kw = kw + 1) {
        let iw = ow * uniforms.gsw + kw * uniforms.gdw - uniforms.gleft;
        if (iw < 0 || iw >= uniforms.gW) { continue; }
        let idx = xb + ((id * uniforms.gH + ih) * uniforms.gW + iw) * uniforms.gC + ch;
        let v = X[idx];
        if (at < 0 || v > best) { best = v; at = idx; }
      }
    }
  }
  return at;
}
fn main(index : i32) {
  if (index >= uniforms.count) { return; }
  let C = uniforms.gC;
  let per = uniforms.gD * uniforms.gH * uniforms.gW * C;
  let b = index / per;
  var r = index - b * per;
  let d = r / (uniforms.gH * uniforms.gW * C);
  r = r - d * uniforms.gH * uniforms.gW * C;
  let h = r / (uniforms.gW * C);
  r = r - h * uniforms.gW * C;
  let w = r / C;
  let ch = r - w * C;
  let xb = b * per;
  let ob = b * uniforms.gOD * uniforms.gOH * uniforms.gOW * C;
  var acc = 0.0;
  // Windows in increasing output order: od grows as kd falls (likewise oh, ow).
  for (var kd = uniforms.gfd - 1; kd >= 0; kd = kd - 1) {
    let td = d + uniforms.gfront - kd * uniforms.gdd;
    if (td < 0 || td % uniforms.gsd != 0) { continue; }
    let od = td / uniforms.gsd;
    if (od >= uniforms.gOD) { continue; }
    for (var kh = uniforms.gfh - 1; kh >= 0; kh = kh - 1) {
      let th = h + uniforms.gtop - kh * uniforms.gdh;
      if (th < 0 || th % uniforms.gsh != 0) { continue; }
      let oh = th / uniforms.gsh;
      if (oh >= uniforms.gOH) { continue; }
      for (var kw = uniforms.gfw - 1; kw >= 0; kw = kw - 1) {
        let tw = w + uniforms.gleft - kw * uniforms.gdw;
        if (tw < 0 || tw % uniforms.gsw != 0) { continue; }
        let ow = tw / uniforms.gsw;
        if (ow >= uniforms.gOW) { continue; }
        if (windowArgmax(xb, od, oh, ow, ch) == index) {
          acc = acc + DY[ob + ((od * uniforms.gOH + oh) * uniforms.gOW + ow) * C + ch];
        }
      }
    }
  }
  result[index] = acc;
}`,
  };
}

/** The kernel function of `MaxPool3DGrad` on webgpu. */
export function maxPool3dGradWgsl({ inputs, backend, attrs }: Args): TensorInfo {
  const { dy, input } = inputs as Record<string, TensorInfo>;
  const a = attrs as { filterSize: [number, number, number]; strides: [number, number, number]; pad: 'same';
    dimRoundingMode?: 'floor' };
  const info = tf.backend_util.computePool3DInfo(input.shape as [number, number, number, number, number], a.filterSize,
    a.strides, 1, a.pad, a.dimRoundingMode);
  const g: Geometry = geometry3d(info);
  const size = tf.util.sizeFromShape(input.shape);
  const uniforms: ProgramUniform[] = [{ type: 'int32', data: [size] },
    ...FIELDS.map((f) => ({ type: 'int32' as const, data: [g[f]] }))];
  return runProgram(backend, program([...input.shape], size), [input, dy], 'float32', uniforms) as TensorInfo;
}

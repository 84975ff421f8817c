/**
 * The random-number kernels of `kernels.ts` for the `webgpu` backend, as WGSL compute
 * programs run by tfjs-backend-webgpu: keys and bits never leave the GPU (the JS kernels
 * read the key with `readSync`, which webgpu cannot do in Node).
 *
 * Each output element is computed by one invocation, from its flat index, with the same
 * Threefry-2x32-20 block and the same conversions as `threefry.ts`:
 * - integer results (keys, bits, `randint`) are bit-for-bit those of the JS kernels;
 * - `uniform` is exact: `u * span + lo` is rounded as two float32 operations (a barrier keeps
 *   a GPU's compiler from contracting it into a fused multiply-add);
 * - `normal` / `truncated_normal` use WGSL's `log` and `sqrt`, whose accuracy WGSL leaves
 *   to the GPU (a few ulp), where the JS kernels use float64 `Math.log1p` rounded.
 * Parameters that depend on attributes only (bounds, spans, `erf` of the truncation
 * points) are computed in JS, exactly as `threefry.ts` does, and passed as uniforms.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { ProgramUniform, runProgram } from '../backend/webgpu/webgpu-engine';
import { BrainStateError, internalError } from '../errors';
import { erf, randintBounds } from './threefry';

const WORKGROUP = 64;
const SQRT2_F32 = Math.fround(Math.SQRT2);
const NORMAL_LO = Math.fround(-1 + 2 ** -24);

/** Threefry-2x32-20 and the two counter layouts of `threefry.ts`, in WGSL. */
export const THREEFRY_WGSL = `
fn bstRotl(x : u32, r : u32) -> u32 { return (x << r) | (x >> (32u - r)); }
fn bstBlock(k0 : u32, k1 : u32, x0 : u32, x1 : u32) -> vec2<u32> {
  let ks2 = k0 ^ k1 ^ 0x1bd11bdau;
  var a = x0 + k0;
  var b = x1 + k1;
  var i0 = k1;
  var i1 = ks2;
  var i2 = k0;
  for (var g = 1u; g <= 5u; g = g + 1u) {
    if ((g & 1u) == 1u) {
      a = a + b; b = bstRotl(b, 13u) ^ a;
      a = a + b; b = bstRotl(b, 15u) ^ a;
      a = a + b; b = bstRotl(b, 26u) ^ a;
      a = a + b; b = bstRotl(b, 6u) ^ a;
    } else {
      a = a + b; b = bstRotl(b, 17u) ^ a;
      a = a + b; b = bstRotl(b, 29u) ^ a;
      a = a + b; b = bstRotl(b, 16u) ^ a;
      a = a + b; b = bstRotl(b, 24u) ^ a;
    }
    a = a + i0;
    b = b + i1 + g;
    let t = i0;
    i0 = i1;
    i1 = i2;
    i2 = t;
  }
  return vec2<u32>(a, b);
}
// Element i of threefry_2x32(key, iota(n)): counters (j, half + j) give elements j and half + j.
fn bstIotaBits(k0 : u32, k1 : u32, i : u32, n : u32) -> u32 {
  let half = (n + (n & 1u)) / 2u;
  if (i < half) {
    var c1 = 0u;
    if (half + i < n) { c1 = half + i; }
    return bstBlock(k0, k1, i, c1).x;
  }
  return bstBlock(k0, k1, i - half, i).y;
}
// Element i of random_bits(key, 32, [n]).
fn bstBits(k0 : u32, k1 : u32, i : u32, n : u32, partitionable : bool) -> u32 {
  if (partitionable) {
    let b = bstBlock(k0, k1, 0u, i);
    return b.x ^ b.y;
  }
  return bstIotaBits(k0, k1, i, n);
}
fn bstKey0() -> u32 { return bitcast<u32>(K[0]); }
fn bstKey1() -> u32 { return bitcast<u32>(K[1]); }
fn bstUnit(bits : u32) -> f32 { return f32(bits >> 9u) * 1.1920928955078125e-7; }
// The product passes an opaque barrier (an XOR with \`zero\`, a uniform 0) before the sum: a
// hardware GPU's compiler contracts \`u * span + lo\` into one fused multiply-add, 1 ulp off the
// JS kernels' two roundings (seen on an NVIDIA H200 through Vulkan; SwiftShader rounds twice).
fn bstUniform(bits : u32, lo : f32, span : f32, zero : f32) -> f32 {
  let scaled = bitcast<f32>(bitcast<u32>(bstUnit(bits) * span) ^ bitcast<u32>(zero));
  return max(lo, scaled + lo);
}
fn bstLog1p(x : f32) -> f32 {
  let u = 1.0 + x;
  if (u == 1.0) { return x; }
  return log(u) * (x / (u - 1.0));
}
fn bstErfinv(x : f32) -> f32 {
  if (abs(x) == 1.0) { return x * uniforms.INFINITY; }
  var w = -bstLog1p(-(x * x));
  var p : f32;
  if (w < 5.0) {
    w = w - 2.5;
    p = 2.81022636e-8;
    p = 3.43273939e-7 + p * w;
    p = -3.5233877e-6 + p * w;
    p = -4.39150654e-6 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = sqrt(w) - 3.0;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  return p * x;
}
`;

/** Per kernel: the WGSL body computing `result[index]`, and the uniforms it declares. */
interface Body {
  readonly key: string;
  readonly code: string;
  readonly uniforms: readonly (readonly [name: string, u: ProgramUniform])[];
  readonly dtype: 'int32' | 'float32';
}

function program(inputs: string[], outShape: number[], body: Body): WebGPUProgram {
  const size = tf.util.sizeFromShape(outShape as number[]);
  const uniformDecl = body.uniforms.map(([name, u]) =>
    `${name} : ${u.type === 'int32' ? 'i32' : u.type === 'uint32' ? 'u32' : 'f32'}, `).join('');
  return {
    variableNames: inputs,
    outputShape: outShape,
    shaderKey: `brainstate_random_${body.key}`,
    dispatchLayout: { x: outShape.map((_, i) => i) },
    dispatch: [Math.max(1, Math.ceil(size / WORKGROUP)), 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    size: true,
    ...(uniformDecl !== '' ? { uniforms: uniformDecl } : {}),
    getUserCode: () => `${THREEFRY_WGSL}
fn main(index : i32) {
  if (index >= uniforms.size) { return; }
  let i = u32(index);
  let n = u32(uniforms.size);
  ${body.code}
}`,
  };
}

type Info = tf.TensorInfo;

function checkKey(key: Info | undefined, kernel: string): Info {
  if (key == null || key.dtype !== 'int32' || key.shape.length !== 1 || key.shape[0] !== 2) {
    throw new BrainStateError(`${kernel}: expected a key of shape [2] and dtype int32, got ` +
      (key == null ? 'no key' : `shape [${key.shape.join(',')}] dtype ${key.dtype}`) +
      '; make keys with random.prngKey(seed) or random.splitKey().');
  }
  return key;
}

function shapeAttr(attrs: tf.NamedAttrMap, kernel: string): number[] {
  const shape = attrs.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
    throw internalError(`${kernel}: attr shape must be an array of non-negative integers, got ${String(shape)}`);
  }
  return shape as number[];
}

function numberAttr(attrs: tf.NamedAttrMap, name: string, kernel: string): number {
  const v = attrs[name];
  if (typeof v !== 'number') throw internalError(`${kernel}: attr ${name} must be a number, got ${String(v)}`);
  return v;
}

const f32 = (data: number): ProgramUniform => ({ type: 'float32', data: [data] });
const u32 = (data: number): ProgramUniform => ({ type: 'uint32', data: [data >>> 0] });
const part = (attrs: tf.NamedAttrMap) => attrs.partitionable !== false;
const bitsCall = (attrs: tf.NamedAttrMap) => `bstBits(bstKey0(), bstKey1(), i, n, ${part(attrs)})`;

/** float32 `nextafter(x, +-inf)`, as `threefry.ts`. */
function nextafter32(x: number, up: boolean): number {
  const f = new Float32Array([x]);
  const i = new Int32Array(f.buffer);
  if (f[0] === 0) i[0] = up ? 1 : -2147483647;
  else if ((f[0] > 0) === up) i[0] += 1;
  else i[0] -= 1;
  return f[0];
}

/** One entry per kernel name of `kernels.ts`: output shape and WGSL body from inputs and attrs. */
export interface WebGPURandomKernel {
  readonly inputs: readonly string[];
  build(inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap, kernel: string): { shape: number[]; body: Body };
}

const threefryKernel: WebGPURandomKernel = {
  inputs: ['key', 'counts'],
  build(inputs, _attrs, kernel) {
    const counts = inputs.counts;
    if (counts == null || counts.dtype !== 'int32') {
      throw new BrainStateError(`${kernel}: expected int32 counts, got ${counts?.dtype ?? 'none'}.`);
    }
    return {
      shape: counts.shape.slice(),
      body: {
        key: 'threefry', dtype: 'int32', uniforms: [],
        code: `let half = (n + (n & 1u)) / 2u;
  let k0 = bstKey0();
  let k1 = bstKey1();
  if (i < half) {
    var c1 = 0u;
    if (half + i < n) { c1 = bitcast<u32>(C[half + i]); }
    result[index] = bitcast<i32>(bstBlock(k0, k1, bitcast<u32>(C[i]), c1).x);
  } else {
    result[index] = bitcast<i32>(bstBlock(k0, k1, bitcast<u32>(C[i - half]), bitcast<u32>(C[i])).y);
  }`,
      },
    };
  },
};

const splitKernel: WebGPURandomKernel = {
  inputs: ['key'],
  build(_inputs, attrs, kernel) {
    const num = numberAttr(attrs, 'num', kernel);
    const p = part(attrs);
    return {
      shape: [num, 2],
      body: {
        key: `split_${p}`, dtype: 'int32', uniforms: [],
        // partitionable: key j is the block of counter (0, j); else threefry_2x32(key, iota(2 num)).
        code: p ? `let b = bstBlock(bstKey0(), bstKey1(), 0u, i / 2u);
  result[index] = bitcast<i32>(select(b.y, b.x, (i & 1u) == 0u));`
          : 'result[index] = bitcast<i32>(bstIotaBits(bstKey0(), bstKey1(), i, n));',
      },
    };
  },
};

const bitsKernel: WebGPURandomKernel = {
  inputs: ['key'],
  build(_inputs, attrs, kernel) {
    return {
      shape: shapeAttr(attrs, kernel),
      body: { key: `bits_${part(attrs)}`, dtype: 'int32', uniforms: [], code: `result[index] = bitcast<i32>(${bitsCall(attrs)});` },
    };
  },
};

const uniformKernel: WebGPURandomKernel = {
  inputs: ['key'],
  build(_inputs, attrs, kernel) {
    const lo = Math.fround(numberAttr(attrs, 'minval', kernel));
    const span = Math.fround(Math.fround(numberAttr(attrs, 'maxval', kernel)) - lo);
    return {
      shape: shapeAttr(attrs, kernel),
      body: {
        key: `uniform_${part(attrs)}`, dtype: 'float32', uniforms: [['lo', f32(lo)], ['span', f32(span)], ['zero', f32(0)]],
        code: `result[index] = bstUniform(${bitsCall(attrs)}, uniforms.lo, uniforms.span, uniforms.zero);`,
      },
    };
  },
};

const normalKernel: WebGPURandomKernel = {
  inputs: ['key'],
  build(_inputs, attrs, kernel) {
    const span = Math.fround(1 - NORMAL_LO);
    return {
      shape: shapeAttr(attrs, kernel),
      body: {
        key: `normal_${part(attrs)}`, dtype: 'float32',
        uniforms: [['lo', f32(NORMAL_LO)], ['span', f32(span)], ['sqrt2', f32(SQRT2_F32)], ['zero', f32(0)]],
        code: `result[index] = uniforms.sqrt2 * bstErfinv(bstUniform(${bitsCall(attrs)}, uniforms.lo, uniforms.span, uniforms.zero));`,
      },
    };
  },
};

const truncatedNormalKernel: WebGPURandomKernel = {
  inputs: ['key'],
  build(_inputs, attrs, kernel) {
    const lower = Math.fround(numberAttr(attrs, 'lower', kernel));
    const upper = Math.fround(numberAttr(attrs, 'upper', kernel));
    const a = Math.fround(erf(Math.fround(lower / SQRT2_F32)));
    const b = Math.fround(erf(Math.fround(upper / SQRT2_F32)));
    return {
      shape: shapeAttr(attrs, kernel),
      body: {
        key: `truncated_normal_${part(attrs)}`, dtype: 'float32',
        uniforms: [['lo', f32(a)], ['span', f32(Math.fround(b - a))], ['sqrt2', f32(SQRT2_F32)],
          ['clipLo', f32(nextafter32(lower, true))], ['clipHi', f32(nextafter32(upper, false))], ['zero', f32(0)]],
        code: `let v = uniforms.sqrt2 * bstErfinv(bstUniform(${bitsCall(attrs)}, uniforms.lo, uniforms.span, uniforms.zero));
  result[index] = min(max(v, uniforms.clipLo), uniforms.clipHi);`,
      },
    };
  },
};

const randintKernel: WebGPURandomKernel = {
  inputs: ['key'],
  build(_inputs, attrs, kernel) {
    const p = part(attrs);
    const { lo, span, multiplier } = randintBounds(numberAttr(attrs, 'minval', kernel), numberAttr(attrs, 'maxval', kernel));
    // As JAX: split the key in two (as splitKeys(key, 2)), draw the high and the low word from each half.
    const halves = p
      ? `let h0 = bstBlock(k0, k1, 0u, 0u);
  let h1 = bstBlock(k0, k1, 0u, 1u);`
      : `let s0 = bstBlock(k0, k1, 0u, 2u);
  let s1 = bstBlock(k0, k1, 1u, 3u);
  let h0 = vec2<u32>(s0.x, s1.x);
  let h1 = vec2<u32>(s0.y, s1.y);`;
    return {
      shape: shapeAttr(attrs, kernel),
      body: {
        key: `randint_${p}`, dtype: 'int32',
        uniforms: [['lo', u32(lo)], ['span', u32(span)], ['multiplier', u32(multiplier)]],
        code: `let k0 = bstKey0();
  let k1 = bstKey1();
  ${halves}
  let higher = bstBits(h0.x, h0.y, i, n, ${p});
  let lower = bstBits(h1.x, h1.y, i, n, ${p});
  let span = uniforms.span;
  if (span == 0u) {
    result[index] = bitcast<i32>(uniforms.lo + lower);
  } else {
    let offset = (((higher % span) * uniforms.multiplier) + (lower % span)) % span;
    result[index] = bitcast<i32>(uniforms.lo + offset);
  }`,
      },
    };
  },
};

/** Builds the kernel function that runs `k` on the webgpu backend. */
export function webgpuRandomKernelFunc(k: WebGPURandomKernel, kernel: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const key = checkKey(inputs.key, kernel);
    const { shape, body } = k.build(inputs, attrs ?? {}, kernel);
    const ins = k.inputs.map((name) => (name === 'key' ? key : inputs[name]!));
    const prog = program(k.inputs.map((name) => (name === 'key' ? 'K' : 'C')), shape, body);
    return runProgram(backend, prog, ins as Info[], body.dtype, body.uniforms.map(([, u]) => u));
  };
}

/** The webgpu kernels by name (the names of `kernels.ts`, given there). */
export function webgpuRandomKernels(names: {
  threefry: string; split: string; bits: string; uniform: string; normal: string; truncatedNormal: string; randint: string;
}): [string, tf.KernelFunc][] {
  return ([
    [names.threefry, threefryKernel], [names.split, splitKernel], [names.bits, bitsKernel],
    [names.uniform, uniformKernel], [names.normal, normalKernel], [names.truncatedNormal, truncatedNormalKernel],
    [names.randint, randintKernel],
  ] as [string, WebGPURandomKernel][]).map(([name, k]) => [name, webgpuRandomKernelFunc(k, name)]);
}

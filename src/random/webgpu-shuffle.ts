/**
 * The sort-based shuffle kernel (`RANDOM_SHUFFLE`, JAX's `_shuffle`; see `shuffle-bits.ts`)
 * as WGSL programs for the `webgpu` backend, so `permutation`, `shuffle` and `choice`
 * without replacement keep their key on the GPU.
 *
 * Each round is two programs: one draws the round's 32-bit sort keys (invocation i
 * follows the key chain `key, subkey = split(key)` up to the round, then draws element i,
 * as `randomBits`), one ranks every element within its fibre (how many elements have a
 * smaller sort key, or an equal one earlier: a stable sort) and writes it to its rank.
 * The results are bit for bit those of the JS kernel: integers throughout.
 * Ranking costs `n` comparisons per element (`n` the fibre length), which a GPU spreads
 * over its invocations; JAX sorts instead.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { disposeInfo } from '../backend/tfjs-engine';
import { ProgramUniform, runProgram } from '../backend/webgpu/webgpu-engine';
import { internalError } from '../errors';
import { shuffleRounds } from './shuffle-bits';
import { THREEFRY_WGSL } from './webgpu-kernels';

const WORKGROUP = 64;
type Info = tf.TensorInfo;

const i32 = (n: number): ProgramUniform => ({ type: 'int32', data: [n] });

function program(key: string, variableNames: string[], outShape: number[], size: number, uniforms: string, code: string,
  threefry: boolean): WebGPUProgram {
  return {
    variableNames,
    outputShape: outShape,
    shaderKey: `brainstate_shuffle_${key}`,
    dispatchLayout: { x: outShape.map((_, i) => i) },
    dispatch: [Math.max(1, Math.ceil(size / WORKGROUP)), 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    uniforms: `count : i32, ${uniforms}`,
    getUserCode: () => `${threefry ? THREEFRY_WGSL : ''}
fn main(index : i32) {
  if (index >= uniforms.count) { return; }
  ${code}
}`,
  };
}

/** Round `round`'s sort keys: split the key `round + 1` times (keeping the subkey of the last), then random_bits. */
function bitsProgram(shape: number[], size: number, partitionable: boolean): WebGPUProgram {
  const split = partitionable
    ? `let a = bstBlock(k0, k1, 0u, 0u);
    let b = bstBlock(k0, k1, 0u, 1u);
    k0 = a.x; k1 = a.y; s0 = b.x; s1 = b.y;`
    : `let w0 = bstIotaBits(k0, k1, 0u, 4u);
    let w1 = bstIotaBits(k0, k1, 1u, 4u);
    s0 = bstIotaBits(k0, k1, 2u, 4u);
    s1 = bstIotaBits(k0, k1, 3u, 4u);
    k0 = w0; k1 = w1;`;
  return program(`bits_${partitionable}`, ['K'], shape, size, 'round : i32, ', `var k0 = bstKey0();
  var k1 = bstKey1();
  var s0 = 0u;
  var s1 = 0u;
  for (var r = 0; r <= uniforms.round; r = r + 1) {
    ${split}
  }
  result[index] = bitcast<i32>(bstBits(s0, s1, u32(index), u32(uniforms.count), ${partitionable}));`, true);
}

/** Writes each element of V (or, in the first round, its index along the axis) to its stable rank by B within its fibre. */
function rankProgram(shape: number[], size: number): WebGPUProgram {
  return program('rank', ['V', 'B'], shape, size, 'n : i32, inner : i32, first : i32, ', `let span = uniforms.n * uniforms.inner;
  let o = index / span;
  let rem = index - o * span;
  let a = rem / uniforms.inner;
  let base = o * span + (rem - a * uniforms.inner);
  let mine = bitcast<u32>(B[index]);
  var rank = 0;
  for (var c = 0; c < uniforms.n; c = c + 1) {
    let other = bitcast<u32>(B[base + c * uniforms.inner]);
    if (other < mine || (other == mine && c < a)) { rank = rank + 1; }
  }
  var value = a;
  if (uniforms.first == 0) { value = V[index]; }
  result[base + rank * uniforms.inner] = value;`, false);
}

/** The webgpu kernel function of `RANDOM_SHUFFLE` (inputs `{key}`, attrs `{shape, axis, partitionable}`). */
export function webgpuShuffleKernel(kernel: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const key = inputs.key as Info | undefined;
    if (key == null || key.dtype !== 'int32' || key.shape.length !== 1 || key.shape[0] !== 2) {
      throw internalError(`${kernel}: expected a key of shape [2] and dtype int32`);
    }
    const shape = attrs?.shape as number[];
    const axis = attrs?.axis as number;
    if (!Array.isArray(shape) || !Number.isInteger(axis) || axis < 0 || axis >= shape.length) {
      throw internalError(`${kernel}: attr axis ${String(axis)} is not an axis of shape [${String(shape)}]`);
    }
    const partitionable = attrs?.partitionable !== false;
    const size = shape.reduce((a, b) => a * b, 1);
    const n = shape[axis];
    const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const rounds = shuffleRounds(size);
    const bits = bitsProgram(shape, size, partitionable);
    const rank = rankProgram(shape, size);
    let values: Info | undefined;
    for (let r = 0; r < rounds; r++) {
      const b = runProgram(backend, bits, [key], 'int32', [i32(size), i32(r)]);
      const next = runProgram(backend, rank, [values ?? b, b], 'int32', [i32(size), i32(n), i32(inner), i32(values === undefined ? 1 : 0)]);
      disposeInfo(b);
      if (values !== undefined) disposeInfo(values);
      values = next;
    }
    if (values === undefined) { // no round (size 0 or 1): the indices as they are
      const none = runProgram(backend, rankProgram(shape, size), [key, key], 'int32', [i32(size), i32(Math.max(n, 1)), i32(inner), i32(1)]);
      return none;
    }
    return values;
  };
}

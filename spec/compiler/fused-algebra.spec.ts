/**
 * A fused kernel computes op chains that real-number algebra would simplify (`x + (y - x)`
 * is `y`, `(x * y) / y` is `x`) with the rounding of each op, as eager tfjs does: its kernels
 * store every result before the next kernel reads it. SwiftShader's shader compiler folded
 * such chains inside one generated WGSL program (fuzz seed 970033: `x + (y - x)` gave `y`);
 * the generated code now passes each intermediate value through an opaque barrier
 * (src/compiler/fusion/codegen-wgsl.ts). Runs on every backend; on webgpu it also checks
 * that the chains ran as one fused program (a one-op-per-program replay would prove nothing).
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { countDispatches } from '../../src/backend/webgpu/webgpu-engine';
import { generateWgslKernel } from '../../src/compiler/fusion/codegen-wgsl';
import type { FusedSpec } from '../../src/compiler/ir';

/** Above tfjs-webgpu's CPU hand-off size (1,000 elements), so eager kernels run on the GPU. */
const N = 4096;

/** Floats over a wide range of magnitudes and both signs (a fixed LCG, so every run sees the same values). */
function values(seed: number): Float32Array {
  const out = new Float32Array(N);
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  for (let i = 0; i < N; i++) out[i] = (next() - 0.5) * 2 ** Math.floor(next() * 40 - 20);
  return out;
}

/** The chains (each one a fold SwiftShader made, measured before the fix). */
const chains = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor): tf.Tensor[] => [
  tf.add(x, tf.sub(y, x)),
  tf.add(tf.sub(x, y), y),
  tf.div(tf.mul(x, y), y),
  tf.mul(x, tf.div(y, x)),
  tf.mul(tf.div(x, y), y),
  tf.add(tf.mul(x, y), tf.mul(x, z)),
  tf.add(tf.mul(x, y), z),
  // Through a negation: x + -(x - y), -(x * y) + z, -(-x).
  tf.add(x, tf.neg(tf.sub(x, y))),
  tf.add(tf.neg(tf.mul(x, y)), z),
  tf.mul(tf.neg(tf.neg(x)), y),
  // One value in two operands (NVIDIA's Vulkan compiler folded `x / x` to 1, where eager's
  // division gave 0.99999994, and NaN for 0 and infinity: fuzz seeds 1022813 and 475).
  tf.sqrt(tf.div(tf.abs(x), tf.abs(x))),
  tf.mul(tf.div(tf.exp(x), tf.exp(x)), y),
  tf.add(tf.sub(tf.exp(x), tf.exp(x)), y),
  tf.mul(tf.add(tf.exp(x), tf.neg(tf.exp(x))), y),
];

const show = (v: number) => (Object.is(v, -0) ? '-0' : String(v));

describe('fused kernels round every op as eager does (no algebraic folding across ops)', () => {
  it('x + (y - x), (x - y) + y, (x * y) / y, x * (y / x), (x / y) * y, x*y + x*z, x*y + z, through a negation, x / x, x - x: jit equals eager bit for bit', async () => {
    const [x, y, z] = [1, 2, 3].map((s) => tf.tensor1d(values(s)));
    const jitted = bst.transform.jit(chains);
    jitted(x, y, z).forEach((t) => t.dispose()); // the first call traces (and returns eager's results)
    let got: tf.Tensor[] = [];
    const dispatches = countDispatches(() => { got = jitted(x, y, z); }).dispatches;
    const want = chains(x, y, z);
    for (let k = 0; k < want.length; k++) {
      const [g, w] = [await got[k].data(), await want[k].data()];
      let bad = 0;
      let first = '';
      for (let i = 0; i < N; i++) {
        if (!Object.is(g[i], w[i])) {
          if (bad++ === 0) first = `element ${i}: ${show(g[i])}, eager ${show(w[i])}`;
        }
      }
      expect(bad, `chain ${k}: ${bad} of ${N} elements differ, e.g. ${first}`).to.equal(0);
    }
    if (bst.backend.name() === 'webgpu') {
      // One program per fused node (several outputs are packed into one buffer, then copied without a dispatch).
      const nodes = jitted.lower(x, y, z).numKernels;
      expect(nodes, 'kernels of the jitted program (19 ops unfused)').to.be.below(6);
      expect(dispatches, 'dispatches of the jitted call').to.equal(nodes);
    }
    jitted.clearCache();
    tf.dispose([x, y, z, ...got, ...want]);
  });

  it('an op that reads one value in two operands reads the second through a barrier of its own; a negation passes one too', () => {
    // a0 / a0; -(v0) + v0; logicalAnd(a0, logicalNot(a0)): the repeated operands (directly, and
    // through a logic op, which passes no barrier) each pass a distinct uniform zero; the
    // negation's result passes the common barrier (a GPU that flushes denormals flushes at each
    // negation eagerly: -(-x) is not x there, fuzz seed 1037487 on an H200).
    const spec: FusedSpec = {
      shape: [8],
      inputs: [{ mode: 'full', dtype: 'float32' }],
      ops: [
        { kernel: 'RealDiv', args: [0, 0], attrs: {}, dtype: 'float32' },
        { kernel: 'Neg', args: [1], attrs: {}, dtype: 'float32' },
        { kernel: 'Add', args: [2, 1], attrs: {}, dtype: 'float32' },
        { kernel: 'LogicalNot', args: [0], attrs: {}, dtype: 'bool' },
        { kernel: 'LogicalAnd', args: [0, 4], attrs: {}, dtype: 'bool' },
      ],
      outputs: [3, 5],
    };
    const { source, uniforms } = generateWgslKernel(spec, { kind: 'packed', dtypes: ['float32', 'bool'] });
    expect(source).to.contain('bst_op0(a0, bitcast<f32>(bitcast<u32>(a0) ^ bitcast<u32>(uniforms.zero1)))');
    expect(source).to.contain('let v1 = bitcast<f32>(bitcast<u32>(bst_op1(v0)) ^ bitcast<u32>(uniforms.zero));');
    expect(source).to.contain('bst_op2(v1, v0)');
    expect(source).to.contain('bst_op4(a0, bitcast<f32>(bitcast<u32>(v3) ^ bitcast<u32>(uniforms.zero1)))');
    expect(uniforms.every((u) => u === 0)).to.equal(true);
  });
});

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
  // Through a negation (which passes no barrier itself): x + -(x - y), -(x * y) + z.
  tf.add(x, tf.neg(tf.sub(x, y))),
  tf.add(tf.neg(tf.mul(x, y)), z),
];

const show = (v: number) => (Object.is(v, -0) ? '-0' : String(v));

describe('fused kernels round every op as eager does (no algebraic folding across ops)', () => {
  it('x + (y - x), (x - y) + y, (x * y) / y, x * (y / x), (x / y) * y, x*y + x*z, x*y + z, through a negation: jit equals eager bit for bit', async () => {
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
});

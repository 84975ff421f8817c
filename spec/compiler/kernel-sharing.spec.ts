/**
 * Compiled kernels are shared between structurally identical programs (issue 13): two
 * instances of one module class each trace their own program (their own traceCount),
 * but the second instance's first call compiles no kernel: its fused kernels come from
 * the cache keyed by the fused spec (src/compiler/fusion/kernel-cache.ts). Checked with
 * the compile counter, not a timing; the times of both first calls are printed.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { jit } from '../../decorators';
import { compiledKernelCount } from '../../src/compiler/fusion/kernel-cache';
import { isFusionTarget } from '../../src/compiler/fusion/ops';
import { expectTensorClose } from '../helpers';

class Lif extends bst.nn.Module {
  v: bst.HiddenState;
  constructor(n: number) {
    super();
    this.v = new bst.HiddenState(tf.zeros([n]));
  }

  @jit() step(input: tf.Tensor): tf.Tensor {
    const v = tf.add(this.v.value, tf.mul(0.01, tf.add(tf.neg(this.v.value), input)));
    const spike = tf.greaterEqual(v, 1);
    this.v.value = tf.where(spike, tf.zerosLike(v), v);
    return spike;
  }
}

describe('compiled kernels shared between module instances (issue 13)', () => {
  before(function () {
    if (!isFusionTarget(bst.backend.name())) {
      console.log(`      kernel sharing specs skipped: no generated kernels on ${bst.backend.name()}`);
      this.skip();
    }
  });

  it("the second instance traces its own program but its first call compiles no kernel", () => {
    // A size no other spec uses, so the first instance really compiles.
    const n = 4099;
    const input = tf.fill([n], 1.7);
    const a = new Lif(n);
    const b = new Lif(n);
    const c0 = compiledKernelCount();
    let t = performance.now();
    const sa = a.step(input);
    const firstMs = performance.now() - t;
    const c1 = compiledKernelCount();
    t = performance.now();
    const sb = b.step(input);
    const secondMs = performance.now() - t;
    const c2 = compiledKernelCount();
    console.log(`      first call: instance 1 ${firstMs.toFixed(1)} ms (${c1 - c0} kernels compiled), ` +
      `instance 2 ${secondMs.toFixed(1)} ms (${c2 - c1} compiled)`);
    expect(c1 - c0, 'kernels compiled by the first instance').to.be.greaterThan(0);
    expect(c2 - c1, 'kernels compiled by the second instance').to.equal(0);
    expect((a.step as unknown as bst.transform.JittedFunction<() => void>).traceCount).to.equal(1);
    expect((b.step as unknown as bst.transform.JittedFunction<() => void>).traceCount).to.equal(1);
    expectTensorClose(sb, sa, 0);
    expectTensorClose(b.v.value, a.v.value, 0);
    tf.dispose([sa, sb, input]);
  });

  it('a program traced again after clearCache compiles nothing and gives the same result', () => {
    const n = 4101;
    const x = tf.linspace(-3, 3, n);
    const f = bst.transform.jit((y: tf.Tensor) => tf.mul(tf.exp(tf.neg(tf.abs(y))), tf.sub(y, 0.5)));
    const r1 = f(x);
    f.clearCache();
    const c = compiledKernelCount();
    const r2 = f(x);
    expect(compiledKernelCount()).to.equal(c);
    expect(f.traceCount).to.equal(2);
    expectTensorClose(r2, r1, 0);
    tf.dispose([x, r1, r2]);
  });
});

/**
 * The seed guide's jit examples (brainstate-jit-guide.txt), ported, with its numbers.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { hidden, jit, jitted } from '../../decorators';
import { expectTensorClose } from '../helpers';

const softplusImpl = (x: tf.Tensor): tf.Tensor => tf.add(tf.log1p(tf.exp(tf.neg(tf.abs(x)))), tf.maximum(x, 0));

class RunningMean extends bst.nn.Module {
  sum = new bst.HiddenState(tf.scalar(0));
  @hidden count = tf.scalar(0, 'int32');

  call(batch: tf.Tensor): tf.Tensor {
    this.sum.value = tf.add(this.sum.value, tf.sum(batch));
    this.count = tf.add(this.count, tf.scalar(batch.size, 'int32'));
    return tf.div(this.sum.value, tf.cast(this.count, 'float32'));
  }

  @jit() step(batch: tf.Tensor): tf.Tensor {
    return this.call(batch);
  }
}

describe('jit: the seed guide', () => {
  it('softplus matches the seed numbers, traced once', () => {
    const softplus = bst.transform.jit(softplusImpl);
    const xs = tf.linspace(-5, 5, 7);
    const expected = [0.00671535, 0.03505242, 0.17300805, 0.69314724, 1.839675, 3.368386, 5.0067153];
    expectTensorClose(softplus(xs), expected);
    expectTensorClose(softplus(xs), expected);
    expect(softplus.traceCount).to.equal(1);
    expectTensorClose(softplus(xs), softplusImpl(xs), 1e-6);
  });

  it('disableJit falls back to the original function', () => {
    const softplus = bst.transform.jit(softplusImpl);
    const xs = tf.linspace(-5, 5, 7);
    const y = bst.transform.disableJit(() => softplus(tf.mul(xs, 2)));
    expectTensorClose(y, softplusImpl(tf.mul(xs, 2)), 1e-6);
    expect(softplus.traceCount).to.equal(0);
    expect(softplus.cacheSize).to.equal(0);
  });

  // Values are read with await data(), so these run on webgpu too (Node cannot read GPU data synchronously).
  it('RunningMean: jitted updates keep hidden states in sync (means 1.50, 2.00, 2.50; sum 30, count 12)', async () => {
    const tracker = new RunningMean();
    const update = bst.transform.jit((batch: tf.Tensor) => tracker.call(batch));
    const means: string[] = [];
    for (let step = 0; step < 3; step++) {
      const mean = update(tf.add(tf.range(0, 4), step));
      means.push((await mean.data())[0].toFixed(2));
    }
    expect(means).to.deep.equal(['1.50', '2.00', '2.50']);
    expect((await tracker.sum.value.data())[0]).to.equal(30);
    expect((await tracker.count.data())[0]).to.equal(12);
    expect(tracker.count.dtype).to.equal('int32');
    expect(update.traceCount).to.equal(1);
  });

  it('RunningMean with a @jit method gives the same numbers', async () => {
    const tracker = new RunningMean();
    const means: string[] = [];
    for (const s of [0, 1, 2]) means.push((await tracker.step(tf.add(tf.range(0, 4), s)).data())[0].toFixed(2));
    expect(means).to.deep.equal(['1.50', '2.00', '2.50']);
    expect((await tracker.sum.value.data())[0]).to.equal(30);
    expect((await tracker.count.data())[0]).to.equal(12);
    expect(jitted(tracker.step).traceCount).to.equal(1);
  });

  it('compile precompiles, clearCache drops, and new shapes retrace (seed numbers)', () => {
    const softplus = bst.transform.jit(softplusImpl);
    softplus.compile(tf.ones([4]));
    expect(softplus.traceCount).to.equal(1);
    expect(softplus.cacheSize).to.equal(1);
    expectTensorClose(softplus(tf.ones([4])), [1.3132617, 1.3132617, 1.3132617, 1.3132617]);
    expect(softplus.traceCount).to.equal(1); // the compiled program was replayed
    softplus.clearCache();
    expect(softplus.cacheSize).to.equal(0);
    expectTensorClose(softplus(tf.linspace(-1, 1, 5)), [0.3132617, 0.474077, 0.6931472, 0.974077, 1.3132617]);
    expect(softplus.traceCount).to.equal(2);
  });

  it('polynomial_series: static degree; traceCount 1, 1, 2; values [6, 34] [6, 34] [10, 98]', () => {
    const polynomialSeries = bst.transform.jit((x: tf.Tensor, degree: number) => {
      const powers = Array.from({ length: degree }, (_, i) => tf.pow(x, i + 1));
      const coeffs = tf.range(1, degree + 1, 1, x.dtype as 'float32');
      return tf.dot(coeffs, tf.stack(powers, 0));
    }, { staticArgnums: 1 });
    const x = tf.tensor1d([1, 2]);
    const p1 = polynomialSeries(x, 3);
    const c1 = polynomialSeries.traceCount;
    const p2 = polynomialSeries(x, 3);
    const c2 = polynomialSeries.traceCount;
    const p3 = polynomialSeries(x, 4);
    const c3 = polynomialSeries.traceCount;
    expect([c1, c2, c3]).to.deep.equal([1, 1, 2]);
    expectTensorClose(p1, [6, 34]);
    expectTensorClose(p2, [6, 34]);
    expectTensorClose(p3, [10, 98]);
  });

  it('jit(opts)(fn) is the curried form', () => {
    const f = bst.transform.jit({ staticArgnums: [1] })((x: tf.Tensor, k: number) => tf.mul(x, k));
    expectTensorClose(f(tf.ones([2]), 3), [3, 3]);
    expectTensorClose(f(tf.ones([2]), 4), [4, 4]);
    expect(f.traceCount).to.equal(2);
    expect(f.originFun(tf.ones([1]), 5).dataSync()[0]).to.equal(5);
  });
});

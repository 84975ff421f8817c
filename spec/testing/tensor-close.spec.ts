import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { AssertionError, expectTensorClose, noLeaks } from 'brainstate-ts/testing';

/** Runs `fn`, expects an AssertionError, and returns its message. */
function failure(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(AssertionError);
    expect(e).to.be.instanceOf(bst.BrainStateError);
    expect((e as Error).name).to.equal('AssertionError');
    return (e as Error).message;
  }
  throw new Error('expected an AssertionError, but nothing was thrown');
}

describe('testing.expectTensorClose', () => {
  it('passes for equal values, values within tolerance, nested arrays, typed arrays and a broadcast number', () => {
    expectTensorClose(tf.tensor([1, 2, 3]), [1, 2, 3]);
    expectTensorClose(tf.tensor([1, 2.00001]), tf.tensor([1, 2]));
    expectTensorClose(tf.tensor2d([[1, 2], [3, 4]]), [[1, 2], [3, 4]]);
    expectTensorClose(tf.tensor([0.5, 1]), new Float32Array([0.5, 1]));
    expectTensorClose(tf.ones([2, 3]), 1);
    expectTensorClose(tf.tensor([0.1, 0.2]), [0.15, 0.25], { atol: 0.06, rtol: 0 });
    expectTensorClose(tf.tensor([1e-7, 0]), [0, 1e-7]);   // atol 1e-6 by default
    expectTensorClose(tf.tensor([NaN, Infinity, -Infinity]), [NaN, Infinity, -Infinity]);
    expectTensorClose(tf.tensor([1, 2], [2], 'int32'), tf.tensor([1, 2], [2], 'int32'));
    expectTensorClose(tf.tensor([true, false], [2], 'bool'), [true, false], { checkDtype: false });
  });

  it('fails on values, listing the differing elements by index and the largest difference', () => {
    const msg = failure(() => expectTensorClose(tf.tensor2d([[1, 2], [3, 4.5]]), [[1, 2.5], [3, 4]]));
    expect(msg).to.contain('expectTensorClose: expected every element within atol=0.000001 + rtol=0.00001·|expected|')
      .and.contain('2 of 4 elements differ (shape [2, 2] float32)')
      .and.contain('at [0, 1]: got 2, expected 2.5')
      .and.contain('at [1, 1]: got 4.5, expected 4')
      .and.contain('largest |diff| 0.5 at [0, 1]');
  });

  it('fails just outside the tolerance and passes just inside it', () => {
    expectTensorClose(tf.tensor([100]), [100.0009], { rtol: 1e-5, atol: 0 });
    expect(failure(() => expectTensorClose(tf.tensor([100]), [100.002], { rtol: 1e-5, atol: 0 })))
      .to.contain('1 of 1 elements differ');
  });

  it('lists at most five elements, then a count', () => {
    const msg = failure(() => expectTensorClose(tf.zeros([9]), 1));
    expect(msg).to.contain('9 of 9 elements differ').and.contain('... and 4 more');
    expect(msg.split('\n').filter((l) => l.startsWith('  at '))).to.have.length(5);
  });

  it('fails on a shape mismatch, a dtype mismatch, NaN when equalNan is false, and a disposed tensor', () => {
    expect(failure(() => expectTensorClose(tf.zeros([2, 3]), tf.zeros([3, 2]))))
      .to.contain('expected shape [3, 2], but got [2, 3] (float32)');
    expect(failure(() => expectTensorClose(tf.zeros([2], 'int32'), tf.zeros([2]))))
      .to.contain('expected dtype float32, but got int32').and.contain('{ checkDtype: false }');
    expect(failure(() => expectTensorClose(tf.tensor([NaN]), [NaN], { equalNan: false })))
      .to.contain('got NaN, expected NaN');
    expect(failure(() => expectTensorClose(tf.tensor([Infinity]), [-Infinity]))).to.contain('got Infinity');
    const t = tf.scalar(1);
    t.dispose();
    expect(failure(() => expectTensorClose(t, 1))).to.contain('expected a live tf.Tensor as `actual`');
  });

  it('prefixes the message and leaks no tensors, passing or failing', () => {
    expect(failure(() => expectTensorClose(tf.scalar(1), 2, { message: 'loss' })))
      .to.match(/^expectTensorClose \(loss\): /);
    const a = tf.tensor([1, 2]);
    noLeaks(() => expectTensorClose(a, [1, 2]));
    noLeaks(() => { try { expectTensorClose(a, [[1, 2]]); } catch { /* expected */ } });
    noLeaks(() => { try { expectTensorClose(a, [1, 3]); } catch { /* expected */ } });
  });
});

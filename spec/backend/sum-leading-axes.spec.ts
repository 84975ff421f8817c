/**
 * `Sum` over leading axes (src/backend/training-kernels/sum-leading-axes.ts) against
 * tfjs's own kernel on the same backend, bit for bit: tfjs's kernel is reached by moving
 * the reduced axes last first (which is what it does itself inside), so the reference
 * sums the same elements in the same order with tfjs's arithmetic.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { leadingAxesReduced, SUM_LEADING_AXES_KERNELS } from '../../src/backend/training-kernels/sum-leading-axes';
import { expectNoLeaks } from '../helpers';

/**
 * tfjs's own Sum of `x` over its first `r` axes (or the axes listed): those axes moved
 * last, then an inner-axes sum.
 */
function reference(x: tf.Tensor, r: number | number[], keepDims: boolean): tf.Tensor {
  return tf.tidy(() => {
    const rank = x.rank;
    const axes = Array.isArray(r) ? r : [...Array(r).keys()];
    const perm = [...Array(rank).keys()].filter((i) => !axes.includes(i)).concat(axes);
    const inner = axes.map((_, i) => rank - axes.length + i);
    const s = tf.sum(tf.transpose(x, perm), inner);
    return keepDims ? tf.reshape(s, x.shape.map((d, i) => (axes.includes(i) ? 1 : d))) : s;
  });
}

/** Values of very different magnitudes (so the order and precision of the adds shows in the bits). */
function spread(shape: number[], seed: number): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed),
    tf.pow(10, tf.floor(tf.randomUniform(shape, -4, 5, 'float32', seed + 1)))));
}

const bits = (t: tf.Tensor): number[] => Array.from(new Int32Array(new Float32Array(t.dataSync()).buffer));

describe('backend: Sum over leading axes (bias gradients)', () => {
  before(function () {
    const ours = SUM_LEADING_AXES_KERNELS.find((k) => k.backendName === tf.getBackend());
    if (ours === undefined) {
      console.log(`      Sum over leading axes is replaced on cpu and wasm; this run is on ${tf.getBackend()}`);
      this.skip();
    }
    expect(tf.getKernel('Sum', tf.getBackend())?.kernelFunc, 'registered Sum').to.equal(ours.kernelFunc);
  });

  it('reduces exactly the leading-axes sums, nothing else', () => {
    expect(leadingAxesReduced([128, 256], [0])).to.equal(1);
    expect(leadingAxesReduced([128, 256], 0)).to.equal(1);
    expect(leadingAxesReduced([2, 3, 4], [1, 0])).to.equal(2);
    expect(leadingAxesReduced([2, 3, 4], [-3])).to.equal(1);
    expect(leadingAxesReduced([2, 3, 4], [0, 1, 2])).to.equal(undefined);
    expect(leadingAxesReduced([2, 3, 4], [1])).to.equal(undefined);
    expect(leadingAxesReduced([2, 3, 4], null)).to.equal(undefined);
    expect(leadingAxesReduced([5], [0])).to.equal(undefined);
    // Axes of size 1 do not count: per-example bias gradients under vmap are copies.
    expect(leadingAxesReduced([128, 1, 256], [1])).to.equal(0);
    expect(leadingAxesReduced([4, 1, 5], [0, 1])).to.equal(1);
    expect(leadingAxesReduced([1, 4, 5], [1])).to.equal(1);
    expect(leadingAxesReduced([4, 1, 5], [2])).to.equal(undefined);
    expect(leadingAxesReduced([1, 1], [0, 1])).to.equal(undefined);
  });

  const cases: [number[], number | number[], number][] = [
    [[128, 256], 0, 1], [[128, 10], [0], 1], [[1, 7], 0, 1], [[7, 1], 0, 1], [[5, 3, 4], [0, 1], 2],
    [[5, 3, 4], -3, 1], [[3, 2, 2, 5], [1, 0, 2], 3], [[300, 3], 0, 1],
  ];
  // Reduced axes of size 1 (left out: the order of elements is the same).
  const squeezed: [number[], number | number[], number[]][] = [
    [[128, 1, 256], 1, [1]], [[128, 1, 10], [1], [1]], [[4, 1, 5], [0, 1], [0, 1]], [[3, 4, 1], 2, [2]],
    [[1, 6, 5], [1, 0], [0, 1]], [[2, 1, 3, 1], [1, 3], [1, 3]], [[1, 7], 1, [1]],
  ];
  for (const [shape, axis, axes] of squeezed) {
    for (const keepDims of [false, true]) {
      it(`equals tfjs's kernel bit for bit: sum([${shape}], ${JSON.stringify(axis)}, keepDims=${keepDims}), size-1 axes`, () => {
        const x = spread(shape, shape.length * 11 + axes.length);
        const got = tf.sum(x, axis, keepDims);
        const want = reference(x, axes, keepDims);
        expect(got.shape).to.deep.equal(want.shape);
        expect(bits(got)).to.deep.equal(bits(want));
        tf.dispose([x, got, want]);
      });
    }
  }

  it('a sum over size-1 axes is 0 + x, as tfjs\'s: -0 becomes +0, NaN and infinities stay', () => {
    const x = tf.tensor3d([-0, 0, NaN, -Infinity, 2.5, -1e-45], [3, 1, 2]);
    const got = tf.sum(x, 1);
    const want = reference(x, [1], false);
    expect(bits(got)).to.deep.equal(bits(want));
    expect(Object.is(got.dataSync()[0], 0)).to.equal(true);
    tf.dispose([x, got, want]);
  });

  for (const [shape, axis, r] of cases) {
    for (const keepDims of [false, true]) {
      it(`equals tfjs's kernel bit for bit: sum([${shape}], ${JSON.stringify(axis)}, keepDims=${keepDims})`, () => {
        const x = spread(shape, shape.length * 7 + r);
        const got = tf.sum(x, axis, keepDims);
        const want = reference(x, r, keepDims);
        expect(got.shape).to.deep.equal(want.shape);
        expect(bits(got)).to.deep.equal(bits(want));
        tf.dispose([x, got, want]);
      });
    }
  }

  it('gives zeros for an empty reduced axis and leaves int32 to tfjs', () => {
    const e = tf.sum(tf.zeros([0, 3]), 0);
    expect(Array.from(e.dataSync())).to.deep.equal([0, 0, 0]);
    const i = tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32');
    const s = tf.sum(i, 0);
    expect(s.dtype).to.equal('int32');
    expect(Array.from(s.dataSync())).to.deep.equal([4, 6]);
    tf.dispose([e, i, s]);
  });

  it('is the gradient of a broadcast bias add, and leaves tf.memory() flat', () => {
    const x = tf.randomNormal([6, 4], 0, 1, 'float32', 3);
    const b = tf.randomNormal([4], 0, 1, 'float32', 4);
    const dy = tf.randomNormal([6, 4], 0, 1, 'float32', 5);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.add(x, v), dy)))(b);
    const want = reference(dy, 1, false);
    expect(bits(g)).to.deep.equal(bits(want));
    expectNoLeaks(() => { tf.sum(x, 0).dispose(); tf.sum(x, 0, true).dispose(); }, 5);
    tf.dispose([x, b, dy, g, want]);
  });
});

/**
 * `tf.stridedSlice` that shrinks an axis (src/backend/training-kernels/strided-slice.ts), on
 * every backend. tfjs 4.22 paired the shrunk output's axes with the input's wherever such a
 * slice was not contiguous (x[:, 1] of a [3, 4] matrix taken with stride 2 on the last axis
 * gave [0, 1, 2]). Each slice against tfjs's own unshrunk slice of the same elements (the
 * shrunk axis taken as begin..begin+1), reshaped, on small data (tfjs-webgpu's CPU forms) and
 * large data (its GPU programs).
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { expectNoLeaksAsync } from '../helpers';

const shapeOf = (rank: number, large: boolean) => {
  const shape = [3, 4, 2, 3, 2, 2].slice(0, rank);
  if (large) shape[0] = Math.ceil(1100 / tf.util.sizeFromShape(shape.slice(1)));
  return shape;
};

function tensorOf(shape: number[], dtype: 'float32' | 'int32'): tf.Tensor {
  const n = tf.util.sizeFromShape(shape);
  return dtype === 'int32'
    ? tf.tensor(Int32Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 2147483647 - i : i)), shape, 'int32')
    : tf.tensor(Float32Array.from({ length: n }, (_, i) => i / 4 - 3), shape, 'float32');
}

describe(`tf.stridedSlice that shrinks an axis (backend ${tf.getBackend()})`, () => {
  it('takes x[:, 1] of a 3x4 matrix with a stride on the last axis', async () => {
    const x = tf.tensor2d([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]);
    const y = tf.stridedSlice(x, [0, 1], [3, 2], [1, 2], 1, 1, 0, 0, 2);
    expect(y.shape).to.deep.equal([3]);
    expect(Array.from(await y.data())).to.deep.equal([1, 5, 9]);
    tf.dispose([x, y]);
  });

  for (const dtype of ['float32', 'int32'] as const) {
    for (const rank of [2, 3, 4, 5, 6]) {
      for (const large of [false, true]) {
        it(`agrees with tfjs's unshrunk slice: ${dtype}, rank ${rank}, ${large ? 'large' : 'small'} data`, async () => {
          const shape = shapeOf(rank, large);
          const x = tensorOf(shape, dtype);
          const last = rank - 1;
          for (const shrunk of [1, last]) {
            for (const reversed of [false, true]) {
              // Axis `shrunk` at element 1; the last axis by 2 (backwards from its end when `reversed`,
              // and then axis 0 too, through element 0); every other axis whole.
              const begin = shape.map((d, k) => (k === shrunk ? 1 : reversed && (k === 0 || k === last) ? d - 1 : 0));
              const end = shape.map((d, k) => (k === shrunk ? 2 : reversed && (k === 0 || k === last) ? -d - 1 : d));
              const strides = shape.map((_, k) => (k === shrunk ? 1 : k === last ? (reversed ? -2 : 2) : reversed && k === 0 ? -1 : 1));
              const got = tf.stridedSlice(x, begin, end, strides, 0, 0, 0, 0, 1 << shrunk);
              const unshrunk = tf.stridedSlice(x, begin, end, strides, 0, 0, 0, 0, 0);
              const want = unshrunk.shape.filter((_, k) => k !== shrunk);
              const what = `${dtype} [${shape}] axis ${shrunk} shrunk${reversed ? ', reversed' : ''}`;
              expect(got.shape, what).to.deep.equal(want);
              expect(Array.from(await got.data()), what).to.deep.equal(Array.from(await unshrunk.data()));
              tf.dispose([got, unshrunk]);
            }
          }
          // x[newaxis, 1, ..., ::2]: a new axis, a shrunk axis and an ellipsis.
          const got = tf.stridedSlice(x, [0, 1, 0, 0], [0, 2, 0, shape[last]], [1, 1, 1, 2], 0, 0, 4, 1, 2);
          const unshrunk = tf.stridedSlice(x, shape.map((_, k) => (k === 0 ? 1 : 0)),
            shape.map((d, k) => (k === 0 ? 2 : d)), shape.map((_, k) => (k === last ? 2 : 1)));
          const what = `${dtype} [${shape}] x[newaxis, 1, ..., ::2]`;
          expect(got.shape, what).to.deep.equal(unshrunk.shape);
          expect(Array.from(await got.data()), what).to.deep.equal(Array.from(await unshrunk.data()));
          tf.dispose([x, got, unshrunk]);
        });
      }
    }
  }

  // tfjs-wasm 4.22's general StridedSlice made a float32 output whatever the input (an int32 7
  // came out as 9.8e-45) and read bool data as 4-byte elements, out of bounds (fuzz seed 330029).
  for (const dtype of ['int32', 'bool'] as const) {
    it(`keeps the dtype and the elements of ${dtype} data on a strided slice (against a JavaScript gather)`, async () => {
      const shape = [3, 4, 5];
      const n = tf.util.sizeFromShape(shape);
      const values = Array.from({ length: n }, (_, i) => (dtype === 'bool' ? [0, 1, 2, 255][i % 4] : (i % 3 === 0 ? 2147483647 - i : i)));
      const x = dtype === 'bool' ? tf.tensor(Uint8Array.from(values), shape, 'bool') : tf.tensor(values, shape, 'int32');
      // Explicit bounds (no masks), forwards and backwards.
      const cases: [number[], number[], number[]][] = [[[0, 1, 0], [3, 4, 5], [2, 2, 2]], [[2, 3, 4], [-4, -5, 0], [-1, -2, -3]],
        [[1, 0, 1], [3, 4, 4], [1, 3, 1]]];
      for (const [begin, end, strides] of cases) {
        const counts = begin.map((b, k) => Math.max(0, Math.ceil(((end[k] < 0 ? -1 : end[k]) - b) / strides[k])));
        const want: number[] = [];
        for (let i = 0; i < counts[0]; i++) {
          for (let j = 0; j < counts[1]; j++) {
            for (let k = 0; k < counts[2]; k++) {
              want.push(values[((begin[0] + i * strides[0]) * 4 + begin[1] + j * strides[1]) * 5 + begin[2] + k * strides[2]]);
            }
          }
        }
        // A negative end stands for "through element 0": the end mask of that axis.
        const endMask = end.reduce((m, e, k) => (e < 0 ? m | (1 << k) : m), 0);
        const y = tf.stridedSlice(x, begin, end.map((e) => (e < 0 ? 0 : e)), strides, 0, endMask);
        const what = `${dtype} begin ${begin} end ${end} strides ${strides}`;
        expect(y.dtype, what).to.equal(dtype);
        expect(y.shape, what).to.deep.equal(counts);
        expect(Array.from(await y.data()), what).to.deep.equal(want);
        y.dispose();
      }
      x.dispose();
    });
  }

  it('leaves no tensors behind', async () => {
    const x = tensorOf([40, 3, 4], 'float32');
    await expectNoLeaksAsync(async () => {
      const y = tf.stridedSlice(x, [0, 1, 0], [40, 2, 4], [1, 1, 2], 0, 0, 0, 0, 2);
      await y.data();
      y.dispose();
    }, 20);
    x.dispose();
  });
});

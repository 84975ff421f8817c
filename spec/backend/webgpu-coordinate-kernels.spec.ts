/**
 * Issue 15: `tf.stridedSlice`, `tf.pad` and `tf.reverse` on webgpu at every rank, and exact
 * for int32 (src/backend/webgpu/coordinate-kernels.ts, ./exact-int32.ts's `Reverse`).
 * tfjs-webgpu 4.22's StridedSlice and Pad programs do not compile at rank 5 and 6 (Dawn then
 * drops the whole submit, so the kernel batched before them is lost too), its Reverse fails
 * above rank 4, and all of them moved int32 through f32. Each case against tfjs's cpu kernel
 * on the same values, on GPU data, on large host data and on small host data (tfjs's CPU forms).
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { uploadToGpu } from '../../src/backend/webgpu/webgpu-engine';
import { expectNoLeaksAsync, runOnlyInWebgpuSuite } from '../helpers';

type Attrs = Record<string, unknown>;

/** Values that float32 cannot hold (int32), or of mixed sign with fractions (float32). */
function valuesOf(n: number, dtype: 'float32' | 'int32'): Int32Array | Float32Array {
  const ints = [2147483647, 16777217, -16777217, -2147483648, 195045567, 7];
  return dtype === 'int32'
    ? Int32Array.from({ length: n }, (_, i) => ints[i % ints.length] - Math.floor(i / ints.length))
    : Float32Array.from({ length: n }, (_, i) => Math.round(Math.sin(i * 1.7) * 1000) / 8);
}

/** tfjs's cpu kernel `name` on `values`. */
function cpuKernel(name: string, values: Int32Array | Float32Array, shape: number[], dtype: tf.DataType,
  attrs: Attrs): { values: number[]; shape: number[] } {
  const cpu = tf.findBackend('cpu')!;
  const x = { dataId: cpu.write(values, shape, dtype), shape, dtype };
  const out = tf.getKernel(name, 'cpu')!.kernelFunc({ inputs: { x }, backend: cpu, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
  const result = { values: Array.from(cpu.readSync(out.dataId) as ArrayLike<number>), shape: out.shape };
  cpu.disposeData(x.dataId);
  cpu.disposeData(out.dataId);
  return result;
}

type Place = 'GPU data' | 'large host data' | 'small host data';

/**
 * Runs kernel `name` on webgpu and compares it with tfjs's cpu kernel, run on `reference`'s
 * attributes and reshaped to its shape where given (a shrunk axis: tfjs's cpu kernel pairs the
 * axes wrongly there, mended by training-kernels/strided-slice.ts, so the reference is the same
 * slice unshrunk, which neither that nor the kernel under test touches).
 */
async function expectKernelAgrees(name: string, shape: number[], dtype: 'float32' | 'int32', attrs: Attrs,
  place: Place, reference?: { attrs: Attrs; shape: number[] }): Promise<void> {
  const n = tf.util.sizeFromShape(shape);
  const values = valuesOf(n, dtype);
  const want = cpuKernel(name, values, shape, dtype, reference?.attrs ?? attrs);
  if (reference) want.shape = reference.shape;
  const what = `${name} of ${dtype} [${shape}] ${JSON.stringify(attrs)}, ${place}`;
  const x = tf.tensor(values, shape, dtype);
  if (place === 'GPU data') uploadToGpu(tf.backend(), x.dataId);
  // A kernel batched before it: a submit dropped for a program that did not compile loses it too
  // (float32: tfjs-webgpu negates int32 through f32).
  const neighbour = place === 'GPU data' && dtype === 'float32' ? tf.neg(x) : undefined;
  const got = tf.engine().runKernel(name, { x }, attrs as tf.NamedAttrMap) as tf.Tensor;
  expect(got.shape, `${what}: shape`).to.deep.equal(want.shape);
  expect(Array.from(await got.data()), `${what}: values`).to.deep.equal(want.values);
  if (neighbour) {
    expect(Array.from(await neighbour.data()), `${what}: the kernel before it`).to.deep.equal(Array.from(values, (v) => -v));
  }
  tf.dispose([x, got, neighbour ?? []]);
}

/** A shape of `rank` axes with `n` elements at least (large host data is not run on tfjs's CPU forms). */
function shapeOf(rank: number, large: boolean): number[] {
  const small = [3, 4, 2, 3, 2, 2].slice(0, rank);
  if (!large) return small;
  const shape = [...small];
  shape[0] = Math.ceil(1100 / tf.util.sizeFromShape(small.slice(1)));
  return shape;
}

const PLACES: Place[] = ['GPU data', 'large host data', 'small host data'];

describe('backend: webgpu stridedSlice, pad and reverse at every rank, exact for int32', () => {
  runOnlyInWebgpuSuite('the coordinate kernel specs');

  for (const dtype of ['float32', 'int32'] as const) {
    for (const rank of [1, 2, 3, 4, 5, 6]) {
      it(`StridedSlice of ${dtype} at rank ${rank}: strides 2 and -1, masks, a shrunk and a new axis`, async () => {
        for (const place of PLACES) {
          const shape = shapeOf(rank, place !== 'small host data');
          const last = rank - 1;
          const strides = shape.map((_, k) => (k === last ? 2 : k === 0 && rank > 1 ? -1 : 1));
          const begin = shape.map((d, k) => (k === 0 && rank > 1 ? d - 1 : 0));
          const end = shape.map((d, k) => (k === 0 && rank > 1 ? -d - 1 : d));
          await expectKernelAgrees('StridedSlice', shape, dtype, { begin, end, strides, beginMask: 0, endMask: 0,
            ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0 }, place);
          if (rank >= 2) {
            // Axis 1 shrunk to its element 1; the last axis from 1 by 2; all else whole (masks).
            const b = shape.map((_, k) => (k === 1 ? 1 : k === last ? 1 : 0));
            const e = shape.map((d, k) => (k === 1 ? 2 : d));
            const s = shape.map((_, k) => (k === last ? 2 : 1));
            const unshrunk = { begin: b, end: e, strides: s, beginMask: 1, endMask: 1, ellipsisMask: 0, newAxisMask: 0 };
            const shrunkShape = shape.filter((_, k) => k !== 1).map((d, k, all) => (k === all.length - 1 && rank > 2 ? Math.ceil((d - 1) / 2) : d));
            await expectKernelAgrees('StridedSlice', shape, dtype, { ...unshrunk, shrinkAxisMask: 2 }, place,
              { attrs: { ...unshrunk, shrinkAxisMask: 0 }, shape: rank === 2 ? [shape[0]] : shrunkShape });
          }
          if (rank <= 5) {
            await expectKernelAgrees('StridedSlice', shape, dtype, { begin: [0, ...shape.map(() => 0)],
              end: [1, ...shape], strides: [1, ...strides.map(Math.abs)], beginMask: 0, endMask: 0, ellipsisMask: 0,
              newAxisMask: 1, shrinkAxisMask: 0 }, place);
          }
        }
      });

      it(`PadV2 of ${dtype} at rank ${rank}`, async () => {
        for (const place of PLACES) {
          const shape = shapeOf(rank, place !== 'small host data');
          const paddings = shape.map((_, k) => [k % 2, k === 0 ? 0 : 1]);
          await expectKernelAgrees('PadV2', shape, dtype, { paddings, constantValue: dtype === 'int32' ? -3 : 2.5 },
            place);
        }
      });

      if (rank >= 5 || dtype === 'int32') {
        it(`Reverse of ${dtype} at rank ${rank}`, async () => {
          for (const place of PLACES) {
            const shape = shapeOf(rank, place !== 'small host data');
            if (rank > 1) await expectKernelAgrees('Reverse', shape, dtype, { dims: [0, rank - 1] }, place);
            await expectKernelAgrees('Reverse', shape, dtype, { dims: [rank - 1] }, place);
          }
        });
      }
    }
  }

  it('copies a float32 cast of int32 data (an int32 buffer behind a float32 tensor) as float32', async () => {
    for (const shape of [[40, 30], [30, 2, 3, 2, 3]]) {
      const n = tf.util.sizeFromShape(shape);
      const ints = Int32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 16777217 + i : -i));
      const xi = tf.tensor(ints, shape, 'int32');
      uploadToGpu(tf.backend(), xi.dataId);
      const x = tf.cast(xi, 'float32');
      const rank = shape.length;
      const cases: Array<[string, Attrs]> = [
        ['PadV2', { paddings: shape.map((_, k) => [k % 2, 1]), constantValue: 0.5 }],
        ['Reverse', { dims: [0, rank - 1] }],
        ['StridedSlice', { begin: shape.map(() => 0), end: shape, strides: shape.map((_, k) => (k === rank - 1 ? 2 : 1)),
          beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0 }],
      ];
      for (const [name, attrs] of cases) {
        const want = cpuKernel(name, Float32Array.from(ints), shape, 'float32', attrs);
        const got = tf.engine().runKernel(name, { x }, attrs as tf.NamedAttrMap) as tf.Tensor;
        const what = `${name} of a float32 cast of int32 [${shape}]`;
        expect(got.shape, what).to.deep.equal(want.shape);
        expect(Array.from(await got.data()), what).to.deep.equal(want.values);
        got.dispose();
      }
      tf.dispose([xi, x]);
    }
  });

  it('leaves no tensors behind', async () => {
    const shape = [40, 2, 3, 2, 2];
    await expectNoLeaksAsync(async () => {
      const x = tf.tensor(valuesOf(960, 'int32'), shape, 'int32');
      uploadToGpu(tf.backend(), x.dataId);
      const outs = [tf.stridedSlice(x, [0, 0, 0, 0, 0], shape, [2, 1, 2, 1, 1]), tf.pad(x, [[0, 0], [1, 0], [0, 0], [0, 1], [0, 0]]),
        tf.reverse(x, [1, 4])];
      await Promise.all(outs.map((t) => t.data()));
      tf.dispose([x, ...outs]);
    }, 20);
  });
});

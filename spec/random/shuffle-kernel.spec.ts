/**
 * The sort-based shuffle kernel (`BrainStateRandomShuffle`, behind `permutation`, `shuffle`
 * and `choice`) on every backend, against `shuffleIndices` (the JS form of JAX's `_shuffle`,
 * checked against JAX's numbers in known-answers.spec.ts): on webgpu it is the WGSL form
 * (src/random/webgpu-shuffle.ts), which must give the same integers bit for bit. Shapes
 * cover several axes, a fibre of one, and 2,000 elements (two sort rounds).
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { RANDOM_SHUFFLE } from '../../src/kernels/names';
import { runRandomKernel, setThreefryPartitionable } from '../../src/random/kernels';
import { shuffleIndices, shuffleRounds } from '../../src/random/shuffle-bits';

describe('random: the shuffle kernel on the current backend equals the JS form of JAX\'s _shuffle', () => {
  afterEach(() => setThreefryPartitionable(true));

  const cases: [number[], number][] = [[[5], 0], [[7, 3], 0], [[7, 3], 1], [[2, 4, 6], 1], [[3, 1], 1], [[2000], 0]];
  for (const partitionable of [true, false]) {
    it(`partitionable ${partitionable}: shapes ${cases.map(([s, a]) => `[${s}] axis ${a}`).join(', ')}`, async () => {
      setThreefryPartitionable(partitionable);
      expect(shuffleRounds(2000)).to.equal(2);
      for (const [k0, k1] of [[0, 42], [0x9e3779b9, 7]]) {
        const key = tf.tensor1d([k0 | 0, k1 | 0], 'int32');
        for (const [shape, axis] of cases) {
          const got = runRandomKernel(RANDOM_SHUFFLE, { key }, { shape, axis });
          expect(got.shape).to.deep.equal(shape);
          expect(Array.from(await got.data())).to.deep.equal(Array.from(shuffleIndices(k0, k1, shape, axis, partitionable)),
            `key [${k0}, ${k1}], shape [${shape}], axis ${axis}`);
          got.dispose();
        }
        key.dispose();
      }
    });
  }

  it('permutation under jit draws what it draws eagerly', async () => {
    const key = bst.random.prngKey(11);
    const eager = bst.random.permutation(9, { key });
    const jitted = bst.transform.jit((k: tf.Tensor) => bst.random.permutation(9, { key: k }));
    const a = jitted(key) as tf.Tensor;
    const b = jitted(key) as tf.Tensor;
    expect(Array.from(await a.data())).to.deep.equal(Array.from(await eager.data()));
    expect(Array.from(await b.data())).to.deep.equal(Array.from(await eager.data()));
    [key, eager, a, b].forEach((t) => t.dispose());
  });
});

/**
 * The bit generator against published known answers: Random123's Threefry-2x32-20 test
 * vectors, and the values JAX's own test suite (tests/random_test.py) pins for
 * `PRNGKey`, `split`, `randint`, `random_bits` and the distributions. JAX's pinned
 * values are for its original counter layout, so those run with
 * `setThreefryPartitionable(false)`; the partitionable layout (the default) is checked
 * by JAX's split / fold_in symmetry.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { expectTensorClose } from '../helpers';

const { random } = bst;

/** uint32 values of an int32 tensor holding bit patterns. */
function u32(t: tf.Tensor): number[] {
  return Array.from(t.dataSync()).map((x) => x >>> 0);
}

/** zlib.adler32, as JAX's RandomValuesCase._seed uses it. */
function adler32(s: string): number {
  let a = 1;
  let b = 0;
  for (const ch of s) {
    a = (a + ch.charCodeAt(0)) % 65521;
    b = (b + a) % 65521;
  }
  return (b * 65536 + a) >>> 0;
}

function threefry(key: number[], counts: number[]): number[] {
  return tf.tidy(() => u32(tf.engine().runKernel(random.THREEFRY_2X32,
    { key: tf.tensor1d(key, 'int32'), counts: tf.tensor1d(counts, 'int32') }) as tf.Tensor));
}

function bits(key: tf.Tensor, n: number): number[] {
  return tf.tidy(() => u32(tf.engine().runKernel(random.RANDOM_BITS, { key }, {
    shape: [n], partitionable: random.threefryPartitionable(),
  }) as tf.Tensor));
}

describe('random: known answers', () => {
  it('Threefry-2x32-20 matches the Random123 test vectors (as JAX tests them)', () => {
    expect(threefry([0, 0], [0, 0]).map((x) => x.toString(16))).to.deep.equal(['6b200159', '99ba4efe']);
    const max = 0xffffffff;
    expect(threefry([max, max], [max, max]).map((x) => x.toString(16))).to.deep.equal(['1cb996fc', 'bb002be7']);
    expect(threefry([0x13198a2e, 0x03707344], [0x243f6a88, 0x85a308d3]).map((x) => x.toString(16)))
      .to.deep.equal(['c4923a9c', '483df7a0']);
  });

  it('threefry_2x32 over a long odd count array pairs the halves as JAX does', () => {
    const n = 1001;
    const counts = [...Array(n).fill(0x243f6a88), ...Array(n).fill(0x85a308d3)];
    const out = threefry([0x13198a2e, 0x03707344], counts);
    expect(out.slice(0, n).every((x) => x === 0xc4923a9c)).to.equal(true);
    expect(out.slice(n).every((x) => x === 0x483df7a0)).to.equal(true);
  });

  it('prngKey(seed) gives the keys of JAX test_prng_seeds_and_keys (x64 off)', () => {
    const cases: [number, number[]][] = [
      [0, [0, 0]], [1, [0, 1]], [2, [0, 2]], [-1, [0, 4294967295]], [-2, [0, 4294967294]],
      [2147483647 + 100, [0, 2147483747]], [-2147483648 - 100, [0, 2147483548]],
    ];
    for (const [seed, key] of cases) {
      const k = random.prngKey(seed);
      expect(u32(k), `seed ${seed}`).to.deep.equal(key);
      k.dispose();
    }
  });

  describe("with JAX's original counter layout", () => {
    before(() => random.setThreefryPartitionable(false));
    after(() => random.setThreefryPartitionable(true));

    it('split(PRNGKey(0), 4) and randint(PRNGKey(0), (3, 3), 0, 8) match testPRNGValues', () => {
      tf.tidy(() => {
        const k = random.prngKey(0);
        expect(u32(random.split(k, 4))).to.deep.equal([2285895361, 1501764800, 1518642379, 4090693311,
          433833334, 4221794875, 839183663, 3740430601]);
        const r = random.randint(0, 8, [3, 3], { key: k });
        expect(r.dtype).to.equal('int32');
        expect(Array.from(r.dataSync())).to.deep.equal([2, 1, 3, 6, 1, 5, 6, 3, 4]);
      });
    });

    it('random_bits(PRNGKey(1701), 32, (3,)) matches testRngRandomBits', () => {
      tf.tidy(() => { expect(bits(random.prngKey(1701), 3)).to.deep.equal([56197195, 4200222568, 961309823]); });
    });

    it('uniform, normal, truncated normal, bernoulli, randint and bits match testRandomDistributionValues', () => {
      tf.tidy(() => {
        const key = (name: string): tf.Tensor => random.prngKey(adler32(`${name}threefry2x32`));
        expectTensorClose(random.uniform([5], { key: key('uniform') }),
          [0.298671, 0.073213, 0.873356, 0.260549, 0.412797], 1e-6);
        expectTensorClose(random.normal([5], { key: key('normal') }),
          [-1.173234, -1.511662, 0.070593, -0.099764, 1.052845], 1e-6);
        const b = random.bernoulli(0.5, [5], { key: key('bernoulli') });
        expect(b.dtype).to.equal('bool');
        expect(Array.from(b.dataSync())).to.deep.equal([0, 1, 1, 1, 0]);
        expect(Array.from(random.randint(0, 10, [5], { key: key('randint') }).dataSync()))
          .to.deep.equal([0, 5, 7, 7, 5]);
        expectTensorClose(random.truncatedNormal(0, 2, [5], { key: key('truncated_normal') }),
          [0.582807, 1.709771, 0.159513, 0.861376, 0.36148], 1e-5);
        expect(bits(key('bits'), 5)).to.deep.equal([1978747883, 4134381225, 3628107870, 689687174, 2788938207]);
      });
    });
  });

  describe("with JAX's partitionable layout (the default)", () => {
    it('is the default', () => {
      expect(random.threefryPartitionable()).to.equal(true);
    });

    it('split(key, 3)[i] equals fold_in(key, i) (JAX test_threefry_split_fold_in_symmetry)', () => {
      tf.tidy(() => {
        const key = random.prngKey(72);
        const keys = u32(random.split(key, 3));
        for (let i = 0; i < 3; i++) {
          // fold_in(key, i) = threefry_2x32(key, threefry_seed(i)) = threefry_2x32(key, [0, i])
          expect(keys.slice(2 * i, 2 * i + 2), `key ${i}`).to.deep.equal(threefry([0, 72], [0, i]));
        }
      });
    });

    it('split(PRNGKey(0), 2) starts with the Random123 block of counter (0, 0)', () => {
      tf.tidy(() => {
        expect(u32(random.split(random.prngKey(0), 2))).to.deep.equal([0x6b200159, 0x99ba4efe, 928981903, 3453687069]);
      });
    });

    it('32-bit random bits are the xor of the two words of block (0, i)', () => {
      tf.tidy(() => {
        const b = bits(random.prngKey(1701), 4);
        for (let i = 0; i < 4; i++) {
          const [w0, w1] = threefry([0, 1701], [0, i]);
          expect(b[i]).to.equal((w0 ^ w1) >>> 0);
        }
      });
    });
  });
});

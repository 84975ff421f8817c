/**
 * `random`: seeding, key advance through `random.DEFAULT`, distributions, memory, and
 * identical numbers on the cpu and wasm backends.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { State, StateObserver, StateValue, withObserver } from '../../src/state';
import { expectNoLeaks, expectTensorClose, expectThrowsWith } from '../helpers';

const { random } = bst;

function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

/** Draws, reads and disposes. */
function draw(fn: () => tf.Tensor): number[] {
  const t = fn();
  const v = values(t);
  t.dispose();
  return v;
}

function keyOf(state: bst.RandomState): number[] {
  return values(state.value).map((x) => x >>> 0);
}

function minMax(v: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < v.length; i++) {
    lo = Math.min(lo, v[i]);
    hi = Math.max(hi, v[i]);
  }
  return [lo, hi];
}

function meanStd(v: ArrayLike<number>): [number, number] {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  const m = s / v.length;
  let q = 0;
  for (let i = 0; i < v.length; i++) q += (v[i] - m) ** 2;
  return [m, Math.sqrt(q / v.length)];
}

describe('random', () => {
  describe('seeding and the DEFAULT key', () => {
    it('seed(n) sets DEFAULT to PRNGKey(n), a RandomState', () => {
      random.seed(7);
      expect(random.DEFAULT).to.be.instanceOf(bst.RandomState);
      expect(keyOf(random.DEFAULT)).to.deep.equal([0, 7]);
    });

    it('the same seed gives the same numbers; successive draws differ', () => {
      random.seed(123);
      const a1 = draw(() => random.normal([8]));
      const a2 = draw(() => random.normal([8]));
      random.seed(123);
      expect(draw(() => random.normal([8]))).to.deep.equal(a1);
      expect(draw(() => random.normal([8]))).to.deep.equal(a2);
      expect(a1).to.not.deep.equal(a2);
      random.seed(124);
      expect(draw(() => random.normal([8]))).to.not.deep.equal(a1);
    });

    it('a draw splits DEFAULT in two, keeps the first key and draws from the second', () => {
      random.seed(5);
      const keys = random.split(random.DEFAULT.value, 2);
      const [next, sub] = tf.unstack(keys);
      const expected = random.normal([4], { key: sub });
      const got = random.normal([4]);
      expectTensorClose(got, expected, 0);
      expect(keyOf(random.DEFAULT)).to.deep.equal(values(next).map((x) => x >>> 0));
      tf.dispose([keys, next, sub, expected, got]);
    });

    it('an explicit key is used as given and leaves DEFAULT alone', () => {
      random.seed(9);
      const before = keyOf(random.DEFAULT);
      const key = random.prngKey(3);
      const a = draw(() => random.uniform([5], { key }));
      const b = draw(() => random.uniform([5], { key }));
      expect(a).to.deep.equal(b);
      expect(keyOf(random.DEFAULT)).to.deep.equal(before);
      expect(key.isDisposed).to.equal(false);
      key.dispose();
    });

    it('splitKey() advances DEFAULT and returns one key; splitKey(n) returns n keys', () => {
      random.seed(1);
      const k = random.splitKey();
      expect(k.shape).to.deep.equal([2]);
      expect(k.dtype).to.equal('int32');
      const ks = random.splitKey(4);
      expect(ks.shape).to.deep.equal([4, 2]);
      const rows = values(ks);
      expect(new Set([0, 2, 4, 6].map((i) => `${rows[i]},${rows[i + 1]}`)).size).to.equal(4);
      random.seed(1);
      const k2 = random.splitKey();
      expect(values(k2)).to.deep.equal(values(k));
      tf.dispose([k, ks, k2]);
    });

    it('seed(key) takes a key tensor (copied); seed() draws a fresh seed', () => {
      const key = random.prngKey(11);
      random.seed(key);
      key.dispose();
      expect(keyOf(random.DEFAULT)).to.deep.equal([0, 11]);
      random.seed();
      expect(random.DEFAULT.value.shape).to.deep.equal([2]);
    });

    it('seedContext runs fn reseeded and restores the previous key, also when fn throws', () => {
      random.seed(2);
      const before = keyOf(random.DEFAULT);
      const x = draw(() => random.seedContext(42, () => random.normal([3])));
      expect(keyOf(random.DEFAULT)).to.deep.equal(before);
      const y = draw(() => random.seedContext(42, () => random.normal([3])));
      expect(x).to.deep.equal(y);
      random.seed(42);
      expect(draw(() => random.normal([3]))).to.deep.equal(x);
      random.seed(2);
      expect(() => random.seedContext(42, () => { random.normal([3]).dispose(); throw new Error('boom'); }))
        .to.throw('boom');
      expect(keyOf(random.DEFAULT)).to.deep.equal(before);
    });

    it('seedContext restores after a promise settles', async () => {
      random.seed(3);
      const before = keyOf(random.DEFAULT);
      await random.seedContext(8, async () => {
        await Promise.resolve();
        random.normal([2]).dispose();
      });
      expect(keyOf(random.DEFAULT)).to.deep.equal(before);
    });
  });

  describe('distributions', () => {
    before(() => random.seed(2024));

    it('normal: 100k draws have mean 0 and std 1 within 0.02; mean/std options scale them', () => {
      const z = draw(() => random.normal([100000]));
      const [m, s] = meanStd(z);
      expect(Math.abs(m)).to.be.below(0.02);
      expect(Math.abs(s - 1)).to.be.below(0.02);
      const w = draw(() => random.normal([100000], { mean: 3, std: 0.5 }));
      const [m2, s2] = meanStd(w);
      expect(Math.abs(m2 - 3)).to.be.below(0.02);
      expect(Math.abs(s2 - 0.5)).to.be.below(0.02);
    });

    it('normal with a key equals mean + std * the standard draw of that key', () => {
      tf.tidy(() => {
        const key = random.prngKey(4);
        const std = tf.tensor1d([1, 2, 3]);
        expectTensorClose(random.normal([3], { key, mean: 1, std }),
          tf.add(tf.mul(random.normal([3], { key }), std), 1));
      });
    });

    it('uniform: in [minval, maxval), mean and std of the uniform law', () => {
      const u = draw(() => random.uniform([100000]));
      expect(minMax(u)[0]).to.be.at.least(0);
      expect(minMax(u)[1]).to.be.below(1);
      const [m, s] = meanStd(u);
      expect(Math.abs(m - 0.5)).to.be.below(0.01);
      expect(Math.abs(s - Math.sqrt(1 / 12))).to.be.below(0.01);
      const v = draw(() => random.uniform([50000], { minval: -2, maxval: 3 }));
      expect(minMax(v)[0]).to.be.at.least(-2);
      expect(minMax(v)[1]).to.be.below(3);
      expect(Math.abs(meanStd(v)[0] - 0.5)).to.be.below(0.05);
    });

    it('uniform with tensor bounds broadcasts them', () => {
      tf.tidy(() => {
        const key = random.prngKey(6);
        const lo = tf.tensor1d([0, 10]);
        const hi = tf.tensor1d([1, 20]);
        const u = random.uniform([2], { key });
        expectTensorClose(random.uniform([2], { key, minval: lo, maxval: hi }), tf.add(tf.mul(u, tf.sub(hi, lo)), lo));
      });
    });

    it('bernoulli: a bool tensor true at rate p; p may be a tensor', () => {
      const b = random.bernoulli(0.3, [100000]);
      expect(b.dtype).to.equal('bool');
      const rate = meanStd(values(b))[0];
      b.dispose();
      expect(Math.abs(rate - 0.3)).to.be.below(0.01);
      tf.tidy(() => {
        const p = tf.tensor1d([0, 1]);
        const c = random.bernoulli(p);
        expect(c.shape).to.deep.equal([2]);
        expect(values(c)).to.deep.equal([0, 1]);
      });
    });

    it('randint: int32 values in [low, high), every value drawn, about equally often', () => {
      const r = random.randint(-3, 5, [80000]);
      expect(r.dtype).to.equal('int32');
      const v = values(r);
      r.dispose();
      expect(minMax(v)).to.deep.equal([-3, 4]);
      const counts = new Map<number, number>();
      for (const x of v) counts.set(x, (counts.get(x) ?? 0) + 1);
      expect(counts.size).to.equal(8);
      for (const c of counts.values()) expect(Math.abs(c / 10000 - 1)).to.be.below(0.05);
      expect(draw(() => random.randint(4, 4, [5]))).to.deep.equal([4, 4, 4, 4, 4]);
    });

    it('truncatedNormal: inside (lower, upper), std of the normal truncated to two std', () => {
      const t = draw(() => random.truncatedNormal(-2, 2, [100000]));
      const [lo, hi] = minMax(t);
      expect(lo).to.be.above(-2);
      expect(hi).to.be.below(2);
      const [m, s] = meanStd(t);
      expect(Math.abs(m)).to.be.below(0.02);
      expect(Math.abs(s - 0.87962566103423978)).to.be.below(0.02);
      const half = draw(() => random.truncatedNormal(0, Infinity, [1000]));
      expect(minMax(half)[0]).to.be.above(0);
      expect(() => random.truncatedNormal(1, 1, [2])).to.throw(bst.BrainStateError, 'lower < upper');
    });

    it('scalar shapes and empty shapes work', () => {
      tf.tidy(() => {
        expect(random.normal([]).shape).to.deep.equal([]);
        expect(random.uniform([0, 3]).shape).to.deep.equal([0, 3]);
      });
    });
  });

  describe('as tfjs kernels', () => {
    it('draws dispatch the BrainState kernels through the engine, and no tfjs random op', async () => {
      const info = await tf.profile(() => random.normal([4], { mean: 1 }));
      (info.result as tf.Tensor).dispose();
      expect(info.kernelNames).to.include.members([random.RANDOM_SPLIT, random.RANDOM_NORMAL]);
      for (const name of info.kernelNames) expect(name).to.not.match(/^Random|Multinomial|Dropout/);
    });

    it('reads and writes the key only through DEFAULT.value (a transform sees both)', () => {
      random.seed(10);
      const log: string[] = [];
      const shadow = new Map<State<StateValue>, StateValue>();
      const obs: StateObserver = {
        read(st) { log.push(`read ${st.name}`); return shadow.get(st) ?? st.rawValue(); },
        write(st, v) { log.push(`write ${st.name}`); shadow.set(st, v); },
      };
      const before = keyOf(random.DEFAULT);
      const [a, b] = withObserver(obs, () => [random.uniform([3]), random.uniform([3])]);
      expect(log).to.deep.equal(['read random.DEFAULT', 'write random.DEFAULT', 'read random.DEFAULT',
        'write random.DEFAULT']);
      expect(values(a)).to.not.deep.equal(values(b)); // the second draw read the first's new key
      expect(keyOf(random.DEFAULT)).to.deep.equal(before); // the writes went to the observer only
      tf.dispose([a, b, ...[...shadow.values()] as tf.Tensor[]]);
    });

    it('1,000 draws leave numTensors and numBytes flat (outputs disposed)', () => {
      random.seed(0);
      random.normal([1]).dispose(); // materialise DEFAULT before counting
      expectNoLeaks(() => {
        for (let i = 0; i < 250; i++) {
          random.normal([10]).dispose();
          random.uniform([10], { minval: -1, maxval: 1 }).dispose();
          random.bernoulli(0.5, [10]).dispose();
          random.randint(0, 3, [10]).dispose();
        }
        random.splitKey(3).dispose();
        random.seedContext(1, () => random.normal([2])).dispose();
      });
    });
  });

  describe('errors', () => {
    it('name the function, the bad argument and the fix', () => {
      expectThrowsWith(() => random.normal([2, -1]), bst.BrainStateError, 'random.normal', 'non-negative integers');
      expectThrowsWith(() => random.bernoulli(1.5, [2]), bst.BrainStateError, 'random.bernoulli', '[0, 1]', '1.5');
      expectThrowsWith(() => random.randint(0.5, 3, [2]), bst.BrainStateError, 'random.randint', 'low', 'integer');
      expectThrowsWith(() => random.seed(1.5), bst.BrainStateError, 'random.seed', 'integer seed');
      const bad = tf.tensor1d([1, 2, 3], 'int32');
      expectThrowsWith(() => random.uniform([2], { key: bad }), bst.BrainStateError, 'random.uniform',
        'int32 tensor of shape [2]', 'shape [3]', 'prngKey');
      bad.dispose();
      expectThrowsWith(() => random.normal([2], { dtype: 'float16' as 'float32' }), bst.BrainStateError, "'float32'");
    });

    it('a rejected call does not advance DEFAULT', () => {
      random.seed(12);
      const before = keyOf(random.DEFAULT);
      expect(() => random.bernoulli(-1, [2])).to.throw();
      expect(keyOf(random.DEFAULT)).to.deep.equal(before);
    });
  });

  describe('backends', () => {
    it('cpu and wasm draw identical numbers for the same seed', async function () {
      this.timeout(60000);
      const original = bst.backend.name();
      const available = await bst.backend.available();
      if (!available.includes('cpu') || !available.includes('wasm')) this.skip();
      const sample = (): number[][] => {
        random.seed(77);
        return [draw(() => random.normal([64])), draw(() => random.uniform([64], { minval: -1, maxval: 2 })),
          draw(() => random.bernoulli(0.4, [64])), draw(() => random.randint(-5, 1000, [64])),
          draw(() => random.splitKey(3))];
      };
      try {
        await bst.backend.init('cpu');
        const onCpu = sample();
        await bst.backend.init('wasm');
        const onWasm = sample();
        expect(onWasm).to.deep.equal(onCpu);
      } finally {
        await bst.backend.init(original);
      }
    });
  });
});

/**
 * Every distribution of bst.random against its known moments. Each case draws N
 * samples from a fixed seed (so it cannot flake) and requires the sample mean within
 * 5 standard errors (5 sigma / sqrt N) and the sample variance within 5 standard errors
 * of the variance (sqrt((mu4 - sigma^4) / N), mu4 the fourth central moment from the
 * formula): bounds a correct sampler passes for all but ~1e-6 of seeds, and that the
 * usual bugs (a wrong scale, a missed boost, a biased rejection step) miss by far.
 * Moments are textbook formulas (or, where noted, computed from the raw moments).
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';

const { random } = bst;
const N = 20000;

/** ln Gamma(x), Lanczos (g = 7, n = 9), for raw moments E[X^n] of Weibull and friends. */
function lgamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61503916999185, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}
const gammaFn = (x: number): number => Math.exp(lgamma(x));

interface Moments { mean: number; variance: number; mu4: number }

/** Mean, variance and fourth central moment from the raw moments E[X], ..., E[X^4]. */
function fromRaw(m1: number, m2: number, m3: number, m4: number): Moments {
  const variance = m2 - m1 * m1;
  return { mean: m1, variance, mu4: m4 - 4 * m1 * m3 + 6 * m1 * m1 * m2 - 3 * m1 ** 4 };
}

/** From mean, variance and excess kurtosis. */
function mvk(mean: number, variance: number, kurt: number): Moments {
  return { mean, variance, mu4: (kurt + 3) * variance * variance };
}

function stats(xs: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  const mean = s / xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i] - mean) ** 2;
  return { mean, variance: v / (xs.length - 1) };
}

function expectMoments(samples: tf.Tensor, m: Moments, what: string): void {
  const xs = samples.dataSync();
  samples.dispose();
  expect(xs.length, what).to.equal(N);
  for (let i = 0; i < xs.length; i++) if (!Number.isFinite(xs[i])) throw new Error(`${what}: sample ${i} is ${xs[i]}`);
  const { mean, variance } = stats(xs);
  const seMean = Math.sqrt(m.variance / N);
  const seVar = Math.sqrt(Math.max(m.mu4 - m.variance ** 2, 0) / N);
  expect(Math.abs(mean - m.mean), `${what}: mean ${mean} vs ${m.mean} (5 SE = ${5 * seMean})`)
    .to.be.at.most(5 * seMean);
  expect(Math.abs(variance - m.variance), `${what}: variance ${variance} vs ${m.variance} (5 SE = ${5 * seVar})`)
    .to.be.at.most(5 * seVar);
}

const EULER = 0.5772156649015329;
const phi = (x: number): number => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);

/** [name, draw N samples, their moments] */
const CASES: [string, () => tf.Tensor, Moments][] = [
  ['normal(mean 1, std 2)', () => random.normal([N], { mean: 1, std: 2 }), mvk(1, 4, 0)],
  ['uniform(-1, 3)', () => random.uniform([N], { minval: -1, maxval: 3 }), mvk(1, 16 / 12, -1.2)],
  ['bernoulli(0.3)', () => tf.cast(random.bernoulli(0.3, [N]), 'float32'), mvk(0.3, 0.21, (1 - 6 * 0.21) / 0.21)],
  ['randint(0, 10)', () => random.randint(0, 10, [N]), mvk(4.5, 99 / 12, -6 * 101 / (5 * 99))],
  ['truncatedNormal(-1, 2)', () => random.truncatedNormal(-1, 2, [N]), (() => {
    // Raw moments of the standard normal truncated to [a, b] by the recursion
    // E[X^n] = (n-1) E[X^(n-2)] + (a^(n-1) phi(a) - b^(n-1) phi(b)) / Z.
    const a = -1; const b = 2;
    const z = 0.9772498680518208 - 0.15865525393145707;   // Phi(2) - Phi(-1)
    const raw = [1];
    for (let n = 1; n <= 4; n++) raw.push((n - 1) * (n >= 2 ? raw[n - 2] : 0) + (a ** (n - 1) * phi(a) - b ** (n - 1) * phi(b)) / z);
    return fromRaw(raw[1], raw[2], raw[3], raw[4]);
  })()],
  ['exponential(scale 2)', () => random.exponential([N], { scale: 2 }), mvk(2, 4, 6)],
  ['gamma(0.5)', () => random.gamma(0.5, [N]), mvk(0.5, 0.5, 12)],
  ['gamma(1)', () => random.gamma(1, [N]), mvk(1, 1, 6)],
  ['gamma(2.5, scale 2)', () => random.gamma(2.5, [N], { scale: 2 }), mvk(5, 10, 6 / 2.5)],
  ['gamma(0.05) (boosted, tiny alpha)', () => random.gamma(0.05, [N]), mvk(0.05, 0.05, 120)],
  ['gamma(alpha tensor 30)', () => random.gamma(tf.fill([N], 30)), mvk(30, 30, 0.2)],
  ['beta(2, 5)', () => random.beta(2, 5, [N]), mvk(2 / 7, 10 / (49 * 8), -0.12)],
  ['beta(0.1, 0.1)', () => random.beta(0.1, 0.1, [N]), (() => {
    const a = 0.1; const b = 0.1; const s = a + b;
    const raw = [1, a / s, a * (a + 1) / (s * (s + 1)), a * (a + 1) * (a + 2) / (s * (s + 1) * (s + 2)),
      a * (a + 1) * (a + 2) * (a + 3) / (s * (s + 1) * (s + 2) * (s + 3))];
    return fromRaw(raw[1], raw[2], raw[3], raw[4]);
  })()],
  ['chisquare(3)', () => random.chisquare(3, [N]), mvk(3, 6, 4)],
  ['standardT(10)', () => random.standardT(10, [N]), mvk(0, 1.25, 1)],
  ['poisson(0.5)', () => random.poisson(0.5, [N]), mvk(0.5, 0.5, 2)],
  ['poisson(3)', () => random.poisson(3, [N]), mvk(3, 3, 1 / 3)],
  ['poisson(9.9) (inversion)', () => random.poisson(9.9, [N]), mvk(9.9, 9.9, 1 / 9.9)],
  ['poisson(10) (rejection)', () => random.poisson(10, [N]), mvk(10, 10, 0.1)],
  ['poisson(1e4)', () => random.poisson(1e4, [N]), mvk(1e4, 1e4, 1e-4)],
  ['poisson(lam tensor 250)', () => random.poisson(tf.fill([N], 250)), mvk(250, 250, 1 / 250)],
  ['binomial(20, 0.3) (inversion)', () => random.binomial(20, 0.3, [N]), mvk(6, 4.2, (1 - 6 * 0.21) / 4.2)],
  ['binomial(1000, 0.3) (BTRS)', () => random.binomial(1000, 0.3, [N]), mvk(300, 210, (1 - 6 * 0.21) / 210)],
  ['binomial(200, 0.9) (mirrored BTRS)', () => random.binomial(200, 0.9, [N]), mvk(180, 18, (1 - 6 * 0.09) / 18)],
  ['binomial(n tensor 60, 0.5)', () => random.binomial(tf.fill([N], 60), 0.5), mvk(30, 15, -2 / 60)],
  ['geometric(0.25)', () => random.geometric(0.25, [N]), mvk(4, 12, 6 + 0.0625 / 0.75)],
  ['laplace(scale 2)', () => random.laplace([N], { scale: 2 }), mvk(0, 8, 3)],
  ['logistic(loc 1)', () => random.logistic([N], { loc: 1 }), mvk(1, Math.PI ** 2 / 3, 1.2)],
  ['gumbel', () => random.gumbel([N]), mvk(EULER, Math.PI ** 2 / 6, 2.4)],
  ['rayleigh(scale 2)', () => random.rayleigh([N], { scale: 2 }),
    mvk(2 * Math.sqrt(Math.PI / 2), (4 - Math.PI) / 2 * 4, -(6 * Math.PI ** 2 - 24 * Math.PI + 16) / (4 - Math.PI) ** 2)],
  ['lognormal(sigma 0.5)', () => random.lognormal([N], { sigma: 0.5 }), (() => {
    const s2 = 0.25;
    return mvk(Math.exp(s2 / 2), (Math.exp(s2) - 1) * Math.exp(s2),
      Math.exp(4 * s2) + 2 * Math.exp(3 * s2) + 3 * Math.exp(2 * s2) - 6);
  })()],
  ['weibull(1.5)', () => random.weibull(1.5, [N]),
    fromRaw(gammaFn(1 + 1 / 1.5), gammaFn(1 + 2 / 1.5), gammaFn(1 + 3 / 1.5), gammaFn(1 + 4 / 1.5))],
  ['pareto(6)', () => random.pareto(6, [N]), fromRaw(6 / 5, 6 / 4, 6 / 3, 6 / 2)],
  ['negativeBinomial(5, 0.5)', () => random.negativeBinomial(5, 0.5, [N]), mvk(5, 10, 1.3)],
  ['f(5, 20)', () => random.f(5, 20, [N]), mvk(20 / 18, 18400 / 25920, 12 * 14154 / 19320)],
  ['noncentralChisquare(3, 2)', () => random.noncentralChisquare(3, 2, [N]), mvk(5, 14, 12 * 11 / 49)],
  ['noncentralChisquare(0.5, 2) (df <= 1 branch)', () => random.noncentralChisquare(0.5, 2, [N]),
    mvk(2.5, 2 * 4.5, 12 * 8.5 / 4.5 ** 2)],
  ['wald(1, 2)', () => random.wald(1, 2, [N]), mvk(1, 0.5, 7.5)],
  ['maxwell', () => random.maxwell([N]), mvk(2 * Math.sqrt(2 / Math.PI), (3 * Math.PI - 8) / Math.PI,
    4 * (-96 + 40 * Math.PI - 3 * Math.PI ** 2) / (3 * Math.PI - 8) ** 2)],
  ['triangular(-1, 0, 2)', () => random.triangular(-1, 0, 2, [N]), mvk(1 / 3, 7 / 18, -0.6)],
  ['loggamma(2)', () => random.loggamma(2, [N]),
    mvk(1 - EULER, Math.PI ** 2 / 6 - 1, (Math.PI ** 4 / 15 - 6) / (Math.PI ** 2 / 6 - 1) ** 2)],
  ['loggamma(0.01) (the sample itself underflows)', () => random.loggamma(0.01, [N]), (() => {
    // psi(a) = psi(a + 1) - 1 / a, psi'(a) = psi'(a + 1) + 1 / a^2; the +1 terms by series at 1.01.
    const a = 0.01;
    const psi1 = -EULER + 0.01 * (Math.PI ** 2 / 6) - 0.0001 * 1.2020569031595942 + 1e-6 * (Math.PI ** 4 / 90);
    const tri1 = Math.PI ** 2 / 6 - 2 * 0.01 * 1.2020569031595942 + 3 * 0.0001 * (Math.PI ** 4 / 90);
    // Excess kurtosis psi'''(a) / psi'(a)^2 with psi'''(a) ~ 6 / a^4 dominating.
    const tri = tri1 + 1 / (a * a);
    return mvk(psi1 - 1 / a, tri, (6 / a ** 4 + 6 * 1.0823232337111382) / tri ** 2);
  })()],
];

describe('random: moments (N = 20,000 from a fixed seed; mean and variance within 5 standard errors)', () => {
  before(() => random.seed(20240601));

  for (const [name, draw, m] of CASES) {
    it(name, () => expectMoments(draw(), m, name));
  }

  it('standardCauchy: about half the samples in [-1, 1], the median near 0', () => {
    const xs = Array.from(tf.tidy(() => random.standardCauchy([N])).dataSync());
    const inside = xs.filter((x) => Math.abs(x) <= 1).length / N;
    const below = xs.filter((x) => x < 0).length / N;
    const se = Math.sqrt(0.25 / N);
    expect(Math.abs(inside - 0.5)).to.be.at.most(5 * se);
    expect(Math.abs(below - 0.5)).to.be.at.most(5 * se);
  });

  it('dirichlet([1, 2, 3]): rows sum to 1, each coordinate a Beta(alpha_i, alpha_0 - alpha_i)', () => {
    const x = random.dirichlet([1, 2, 3], [N]);
    expect(x.shape).to.deep.equal([N, 3]);
    const rows = tf.tidy(() => tf.sum(x, 1)).dataSync();
    for (const r of rows) expect(Math.abs(r - 1)).to.be.below(1e-5);
    const cols = tf.unstack(x, 1);
    x.dispose();
    const a0 = 6;
    [1, 2, 3].forEach((a, i) => expectMoments(cols[i], mvk(a / a0, a * (a0 - a) / (a0 * a0 * (a0 + 1)),
      6 * ((a0 - 2 * a) ** 2 * (a0 + 1) - a * (a0 - a) * (a0 + 2)) / (a * (a0 - a) * (a0 + 2) * (a0 + 3))), `alpha ${a}`));
  });

  for (const n of [30, 1000]) {
    it(`multinomial(${n}, [0.2, 0.3, 0.5]): rows sum to n, each count a Binomial(n, p_i)`, () => {
      const x = random.multinomial(n, [0.2, 0.3, 0.5], [N]);
      expect(x.shape).to.deep.equal([N, 3]);
      expect(x.dtype).to.equal('int32');
      const rows = tf.tidy(() => tf.sum(x, 1)).dataSync();
      expect(Array.from(rows).every((r) => r === n)).to.equal(true);
      const cols = tf.unstack(x, 1);
      x.dispose();
      [0.2, 0.3, 0.5].forEach((p, i) => {
        const v = n * p * (1 - p);
        expectMoments(cols[i], mvk(n * p, v, (1 - 6 * p * (1 - p)) / v), `p ${p}`);
      });
    });
  }

  it('categorical: frequencies within 5 SE of softmax(logits), for each row', () => {
    const p = [[0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.1, 0.1]];
    const x = tf.tidy(() => random.categorical(tf.log(tf.tensor2d(p)), { shape: [N, 2] }));
    const v = x.dataSync();
    x.dispose();
    for (let row = 0; row < 2; row++) {
      for (let c = 0; c < 4; c++) {
        let count = 0;
        for (let i = row; i < v.length; i += 2) if (v[i] === c) count++;
        const q = p[row][c];
        expect(Math.abs(count / N - q), `row ${row} category ${c}`).to.be.at.most(5 * Math.sqrt(q * (1 - q) / N));
      }
    }
  });

  it('choice with p: frequencies within 5 SE; without replacement: distinct, and weighted towards heavy items', () => {
    const p = [0.1, 0.2, 0.05, 0.4, 0.25];
    const x = tf.tidy(() => random.choice(5, [N], { p }));
    const v = x.dataSync();
    x.dispose();
    p.forEach((q, c) => {
      const f = v.filter((y) => y === c).length / N;
      expect(Math.abs(f - q), `item ${c}`).to.be.at.most(5 * Math.sqrt(q * (1 - q) / N));
    });
    let firstIsHeaviest = 0;
    for (let t = 0; t < 400; t++) {
      const d = tf.tidy(() => random.choice(5, [3], { p, replace: false })).arraySync() as number[];
      expect(new Set(d).size).to.equal(3);
      if (d[0] === 3) firstIsHeaviest++;
    }
    // The first pick of a Gumbel top-k is a draw from p: P(item 3) = 0.4.
    expect(Math.abs(firstIsHeaviest / 400 - 0.4)).to.be.at.most(5 * Math.sqrt(0.24 / 400));
  });

  it('permutation / shuffle: always a permutation; every position uniform over the values', () => {
    const n = 6;
    const trials = 6000;
    const counts = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let t = 0; t < trials; t++) {
      const perm = tf.tidy(() => (t % 2 === 0 ? random.permutation(n) : random.shuffle(tf.range(0, n, 1, 'int32'))));
      const v = Array.from(perm.dataSync());
      perm.dispose();
      expect([...v].sort()).to.deep.equal([0, 1, 2, 3, 4, 5]);
      v.forEach((x, pos) => counts[pos][x]++);
    }
    const q = 1 / n;
    for (const row of counts) for (const c of row) expect(Math.abs(c / trials - q)).to.be.at.most(5 * Math.sqrt(q * (1 - q) / trials));
  });
});

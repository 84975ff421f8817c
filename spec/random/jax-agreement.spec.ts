/**
 * bst.random against jax.random for the same keys, JAX's partitionable Threefry layout
 * (its default). The expected numbers are spec/random/fixtures/jax-random.json, written
 * by scripts/jax-random-fixture.py (jax.random itself, and BrainState's formulas over
 * it): integer results must match exactly, floats within 1e-5 (tfjs and XLA round
 * log / tan / erfinv differently by an ulp or two). Every case is checked eagerly and
 * inside transform.jit (the same numbers).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { jit } from '../../src/transform';
import { expectTensorClose } from '../helpers';

const { random } = bst;
const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'jax-random.json'), 'utf8')) as {
  jax: string; cases: Record<string, number[]>;
};

type Draw = (key: tf.Tensor) => tf.Tensor;
const p5 = [0.1, 0.2, 0.05, 0.4, 0.25];
const logits = (): tf.Tensor => tf.log(tf.tensor2d([[0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.1, 0.1]]));

/** [fixture case, seed, draw, exact?] */
const CASES: [string, number, Draw, boolean][] = [
  ['uniform(1, [6])', 1, (key) => random.uniform([6], { key }), false],
  ['normal(1, [6])', 1, (key) => random.normal([6], { key }), false],
  ['bernoulli(18, 0.3, [8])', 18, (key) => tf.cast(random.bernoulli(0.3, [8], { key }), 'int32'), true],
  ['randint(19, 0, 100, [8])', 19, (key) => random.randint(0, 100, [8], { key }), true],
  ['truncated_normal(20, -1, 2, [6])', 20, (key) => random.truncatedNormal(-1, 2, [6], { key }), false],
  ['exponential(2, [6])', 2, (key) => random.exponential([6], { key }), false],
  ['gumbel(3, [6])', 3, (key) => random.gumbel([6], { key }), false],
  ['laplace(4, [6])', 4, (key) => random.laplace([6], { key }), false],
  ['logistic(5, [6])', 5, (key) => random.logistic([6], { key }), false],
  ['cauchy(6, [6])', 6, (key) => random.cauchy([6], { key }), false],
  ['rayleigh(7, scale 2, [6])', 7, (key) => random.rayleigh([6], { key, scale: 2 }), false],
  ['pareto(8, 3, [6])', 8, (key) => random.pareto(3, [6], { key }), false],
  ['weibull_min(9, scale 2, concentration 1.5, [6])', 9, (key) => random.weibullMin(1.5, [6], { key, scale: 2 }), false],
  ['categorical(10, logits [2, 4])', 10, (key) => random.categorical(logits(), { key }), true],
  ['categorical(10, logits [2, 4], shape [3, 2])', 10, (key) => random.categorical(logits(), { key, shape: [3, 2] }), true],
  ['categorical(22, logits [2, 4], axis 0)', 22, (key) => random.categorical(logits(), { key, axis: 0 }), true],
  ['permutation(11, 10)', 11, (key) => random.permutation(10, { key }), true],
  ['permutation(12, arange 12 as [3, 4], axis 1, independent)', 12,
    (key) => random.permutation(tf.range(0, 12, 1, 'int32').reshape([3, 4]), { key, axis: 1, independent: true }), true],
  ['permutation(12, arange 12 as [3, 4], axis 1)', 12,
    (key) => random.permutation(tf.range(0, 12, 1, 'int32').reshape([3, 4]), { key, axis: 1 }), true],
  ['permutation(13, 2000)', 13, (key) => random.permutation(2000, { key }), true],
  ['choice(14, 10, [5])', 14, (key) => random.choice(10, [5], { key }), true],
  ['choice(15, 10, [5], replace false)', 15, (key) => random.choice(10, [5], { key, replace: false }), true],
  ['choice(16, 5, [8], p)', 16, (key) => random.choice(5, [8], { key, p: p5 }), true],
  ['choice(17, 5, [3], replace false, p)', 17, (key) => random.choice(5, [3], { key, replace: false, p: p5 }), true],
  ['brainstate lognormal(23, mean 0.5, sigma 2, [6])', 23, (key) => random.lognormal([6], { key, mean: 0.5, sigma: 2 }), false],
  ['brainstate geometric(24, 0.3, [8])', 24, (key) => random.geometric(0.3, [8], { key }), true],
  ['brainstate weibull(25, 1.5, [6])', 25, (key) => random.weibull(1.5, [6], { key }), false],
];

function check(name: string, got: tf.Tensor, exact: boolean): void {
  const want = fixture.cases[name];
  expect(want, `fixture case ${name}`).to.be.an('array');
  if (exact) expect(Array.from(got.dataSync()), name).to.deep.equal(want);
  else expectTensorClose(got, want, 1e-5);
}

describe(`random: agreement with jax.random ${fixture.jax} (partitionable Threefry)`, () => {
  it('split(PRNGKey(21), 3)', () => {
    tf.tidy(() => {
      const keys = random.split(random.prngKey(21), 3);
      expect(Array.from(keys.dataSync()).map((x) => x >>> 0)).to.deep.equal(fixture.cases['split(21, 3)']);
    });
  });

  for (const [name, seed, draw, exact] of CASES) {
    it(`${name}: eagerly and jitted`, () => {
      const key = random.prngKey(seed);
      const f = jit(draw);
      tf.tidy(() => {
        const eager = draw(key);
        check(name, eager, exact);
        const jitted = f(key);
        expect(Array.from(jitted.dataSync()), 'jit == eager').to.deep.equal(Array.from(eager.dataSync()));
      });
      key.dispose();
    });
  }

  it('new RandomState(42) draws as brainstate.random.RandomState(42): split the key, draw from the second half', () => {
    tf.tidy(() => {
      check('brainstate RandomState(42).normal(size=[4])', new random.RandomState(42).normal([4]), false);
      check('brainstate RandomState(42).permutation(8)', new random.RandomState(42).permutation(8), true);
      check('brainstate RandomState(42).randint(0, 10, size=[5])', new random.RandomState(42).randint(0, 10, [5]), true);
    });
  });
});

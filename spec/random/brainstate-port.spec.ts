/**
 * BrainState's own tests of `brainstate.random` (brainstate/random/_state_test.py and
 * _seed_test.py, chaobrain/brainstate e5eb83c), ported where the feature exists here;
 * each case is titled `Class.test_name`. Differences of the port: sizes are `shape`
 * arrays after the required parameters (`rng.gamma(2, [2, 3], { scale: 1 })` for
 * `rs.gamma(2.0, 1.0, size=(2, 3))`), keys are `int32[2]` tensors (JAX's raw keys),
 * and a `TypeError` / `ValueError` is a `BrainStateError`.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { jit } from '../../src/transform';

const { random } = bst;
const { RandomState } = random;

function key(t: tf.Tensor): number[] {
  return Array.from(t.dataSync()).map((x) => x >>> 0);
}
function vals(t: tf.Tensor): number[] {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
}
function allIn(t: tf.Tensor, lo: number, hi: number, hiInclusive = false): boolean {
  return vals(t).every((x) => x >= lo && (hiInclusive ? x <= hi : x < hi));
}

describe('random: BrainState _state_test.py', () => {
  let rs: bst.random.RandomState;
  beforeEach(() => { rs = new RandomState(42); });

  it('TestRandomStateInitialization.test_init_with_none / test_init_with_int_seed / test_init_with_prng_key', () => {
    expect(key(new RandomState().value)).to.have.length(2);
    expect(key(new RandomState(42).value)).to.deep.equal([0, 42]);
    const k = random.prngKey(7);
    expect(key(new RandomState(k).value)).to.deep.equal([0, 7]);
  });

  it('TestRandomStateInitialization.test_init_with_invalid_key', () => {
    expect(() => new RandomState('bad' as unknown as number)).to.throw(bst.BrainStateError, 'integer seed');
  });

  it('TestRandomStateInitialization.test_repr / TestRandomStateMisc.test_repr_contains_value', () => {
    expect(rs.toString()).to.contain('RandomState');
    expect(rs.toString()).to.contain('int32');
  });

  it('TestRandomStateKeyManagement.test_seed_with_int / test_seed_with_prng_key / test_set_key', () => {
    rs.seed(123);
    expect(key(rs.value)).to.deep.equal([0, 123]);
    rs.seed(random.prngKey(999));
    expect(key(rs.value)).to.deep.equal([0, 999]);
    rs.setKey(random.prngKey(5));
    expect(key(rs.value)).to.deep.equal([0, 5]);
  });

  it('TestRandomStateKeyManagement.test_seed_with_none', () => {
    const before = key(rs.value);
    rs.seed();
    expect(key(rs.value)).to.not.deep.equal(before);
  });

  it('TestRandomStateKeyManagement.test_seed_with_invalid_input / TestRandomStateMisc.test_seed_with_invalid_scalar_type', () => {
    expect(() => rs.seed([1, 2, 3] as unknown as number)).to.throw(bst.BrainStateError);
    expect(() => rs.seed(1.5)).to.throw(bst.BrainStateError, 'integer');
    expect(() => rs.seed(tf.tensor1d([1.5, 2]))).to.throw(bst.BrainStateError, 'int32');
  });

  it('TestRandomStateKeyManagement.test_split_key_single / test_split_key_multiple', () => {
    const before = key(rs.value);
    const k = key(rs.splitKey());
    expect(key(rs.value)).to.not.deep.equal(before);
    expect(k).to.not.deep.equal(before);
    expect(k).to.not.deep.equal(key(rs.value));
    const ks = rs.splitKey(3);
    expect(ks.shape).to.deep.equal([3, 2]);
    const rows = tf.unstack(ks).map(key);
    expect(new Set(rows.map(String)).size).to.equal(3);
  });

  it('TestRandomStateKeyManagement.test_split_key_invalid_n / test_split_key_non_integer_raises_typeerror', () => {
    for (const n of [0, -1, 1.5]) expect(() => rs.splitKey(n)).to.throw(bst.BrainStateError, 'positive integer');
  });

  it('TestRandomStateKeyManagement.test_backup_restore_key', () => {
    const original = key(rs.value);
    rs.backupKey();
    rs.splitKey();
    expect(key(rs.value)).to.not.deep.equal(original);
    rs.restoreKey();
    expect(key(rs.value)).to.deep.equal(original);
  });

  it('TestRandomStateKeyManagement.test_backup_already_backed_up / test_restore_without_backup', () => {
    rs.backupKey();
    expect(() => rs.backupKey()).to.throw(bst.BrainStateError, 'backed up and not restored');
    rs.restoreKey();
    expect(() => rs.restoreKey()).to.throw(bst.BrainStateError, 'has not been backed up');
  });

  it('TestRandomStateKeyManagement.test_clone / TestRandomStateMisc.test_clone_is_independent', () => {
    const clone = rs.clone();
    expect(clone).to.not.equal(rs);
    expect(clone).to.be.instanceOf(RandomState);
    expect(key(clone.value)).to.not.deep.equal(key(rs.value));
    rs.splitKey();
    clone.splitKey();
    expect(key(rs.value)).to.not.deep.equal(key(clone.value));
  });

  it('TestRandomStateMisc.test_split_key_with_backup', () => {
    const pre = key(rs.value);
    rs.splitKey(undefined, { backup: true });
    expect(key(rs.value)).to.not.deep.equal(pre);
    rs.restoreKey();
    expect(key(rs.value)).to.deep.equal(pre);
  });

  it('TestRandomStateDistributions.test_rand / test_randn / test_normal / test_uniform', () => {
    const v = rs.rand();
    expect(v.shape).to.deep.equal([]);
    expect(allIn(v, 0, 1)).to.equal(true);
    const a = rs.rand(3, 2);
    expect(a.shape).to.deep.equal([3, 2]);
    expect(allIn(a, 0, 1)).to.equal(true);
    expect(rs.randn().shape).to.deep.equal([]);
    expect(rs.randn(3, 2).shape).to.deep.equal([3, 2]);
    expect(rs.normal([]).shape).to.deep.equal([]);
    expect(rs.normal([3, 2], { mean: 5, std: 2 }).shape).to.deep.equal([3, 2]);
    expect(allIn(rs.uniform([]), 0, 1)).to.equal(true);
    const u = rs.uniform([2, 3], { minval: 2, maxval: 8 });
    expect(u.shape).to.deep.equal([2, 3]);
    expect(allIn(u, 2, 8)).to.equal(true);
  });

  it('TestRandomStateDistributions.test_randint', () => {
    expect(allIn(rs.randint(0, 10, []), 0, 10)).to.equal(true);
    expect(allIn(rs.randint(5, 15, []), 5, 15)).to.equal(true);
    const a = rs.randint(0, 5, [2, 3]);
    expect(a.shape).to.deep.equal([2, 3]);
    expect(allIn(a, 0, 5)).to.equal(true);
  });

  it('TestRandomStateDistributions.test_choice', () => {
    expect(allIn(rs.choice(5), 0, 5)).to.equal(true);
    const options = tf.tensor1d([10, 20, 30, 40]);
    expect([10, 20, 30, 40]).to.include(vals(rs.choice(options))[0]);
    const arr = rs.choice(5, [10]);
    expect(arr.shape).to.deep.equal([10]);
    expect(allIn(arr, 0, 5)).to.equal(true);
  });

  it('TestRandomStateDistributions.test_beta / test_exponential / test_gamma / test_poisson / test_binomial', () => {
    const b = rs.beta(2, 3, [2, 3]);
    expect(b.shape).to.deep.equal([2, 3]);
    expect(allIn(b, 0, 1, true)).to.equal(true);
    const e = rs.exponential([2, 3], { scale: 2 });
    expect(e.shape).to.deep.equal([2, 3]);
    expect(allIn(e, 0, Infinity)).to.equal(true);
    const g = rs.gamma(2, [2, 3], { scale: 1 });
    expect(g.shape).to.deep.equal([2, 3]);
    expect(allIn(g, 0, Infinity)).to.equal(true);
    const p = rs.poisson(3, [2, 3]);
    expect(p.shape).to.deep.equal([2, 3]);
    expect(allIn(p, 0, Infinity)).to.equal(true);
    const n = rs.binomial(10, 0.3, [2, 3]);
    expect(n.shape).to.deep.equal([2, 3]);
    expect(allIn(n, 0, 10, true)).to.equal(true);
  });

  it('TestRandomStateDistributions.test_bernoulli / test_bernoulli_invalid_p', () => {
    const a = rs.bernoulli(0.7, [100]);
    expect(a.shape).to.deep.equal([100]);
    expect(a.dtype).to.equal('bool');
    expect(() => rs.bernoulli(1.5)).to.throw(bst.BrainStateError, '[0, 1]');
  });

  it('TestRandomStateDistributions.test_truncated_normal / test_categorical', () => {
    const t = rs.truncatedNormal(-1, 1, [2, 3]);
    expect(t.shape).to.deep.equal([2, 3]);
    expect(allIn(t, -1, 1, true)).to.equal(true);
    const c = rs.categorical(tf.tensor1d([0.1, 0.2, 0.3, 0.4]), { shape: [10] });
    expect(c.shape).to.deep.equal([10]);
    expect(allIn(c, 0, 4)).to.equal(true);
  });

  it('TestRandomStatePyTorchCompatibility.test_rand_like / test_randn_like / test_randint_like', () => {
    const r = rs.randLike(tf.zeros([3, 4]));
    expect(r.shape).to.deep.equal([3, 4]);
    expect(allIn(r, 0, 1)).to.equal(true);
    expect(rs.randnLike(tf.zeros([2, 3])).shape).to.deep.equal([2, 3]);
    const i = rs.randintLike(tf.zeros([2, 3], 'int32'), 0, 10);
    expect(i.shape).to.deep.equal([2, 3]);
    expect(allIn(i, 0, 10)).to.equal(true);
  });

  it('TestRandomStateKeyBehavior.test_external_key_does_not_change_state / test_no_key_changes_state', () => {
    const original = key(rs.value);
    rs.uniform([5], { key: random.prngKey(999) });
    expect(key(rs.value)).to.deep.equal(original);
    rs.uniform([5]);
    expect(key(rs.value)).to.not.deep.equal(original);
  });

  it('TestRandomStateKeyBehavior.test_reproducibility_with_same_key / test_reproducibility_with_seed', () => {
    const k = random.prngKey(123);
    expect(vals(rs.uniform([5], { key: k }))).to.deep.equal(vals(rs.uniform([5], { key: k })));
    rs.seed(42);
    const a = vals(rs.rand(5));
    rs.seed(42);
    expect(vals(rs.rand(5))).to.deep.equal(a);
  });

  it('TestGlobalDefaultInstance.test_default_exists / test_default_has_valid_key / test_default_seeding / test_default_split_key', () => {
    expect(random.DEFAULT).to.be.instanceOf(RandomState);
    expect(random.DEFAULT.value.shape).to.deep.equal([2]);
    const before = key(random.DEFAULT.value);
    random.DEFAULT.seed(12345);
    expect(key(random.DEFAULT.value)).to.not.deep.equal(before);
    const k = random.DEFAULT.splitKey();
    expect(key(random.DEFAULT.value)).to.not.deep.equal([0, 12345]);
    expect(k.shape).to.deep.equal([2]);
  });

  it('TestRandomStateTransforms.test_repeated_draws_advance_key / test_draw_advances_internal_key / test_same_seed_same_sequence / test_different_seed_different_sequence', () => {
    const r = new RandomState(0);
    expect(vals(r.randn(5))).to.not.deep.equal(vals(r.randn(5)));
    const r1 = new RandomState(123);
    const r2 = new RandomState(123);
    expect(vals(r1.randn(5))).to.deep.equal(vals(r2.randn(5)));
    expect(vals(r1.randn(5))).to.deep.equal(vals(r2.randn(5)));
    expect(vals(new RandomState(1).randn(5))).to.not.deep.equal(vals(new RandomState(2).randn(5)));
  });

  it('TestRandomStateTransforms.test_randomstate_inside_jit / test_jit_advances_key_between_calls', () => {
    const r = new RandomState(0);
    const draw = jit(() => r.randn(4));
    const a = draw() as tf.Tensor;
    expect(a.shape).to.deep.equal([4]);
    expect(vals(a)).to.not.deep.equal(vals(draw() as tf.Tensor));
  });

  it('TestRandomStateTransforms.test_explicit_key_is_reproducible / test_global_seed_split_key_roundtrip / test_global_seed_is_deterministic', () => {
    const r = new RandomState(0);
    random.seed(99);
    const k = random.splitKey();
    expect(vals(r.normal([5], { key: k }))).to.deep.equal(vals(r.normal([5], { key: k })));
    random.seed(7);
    const k7 = random.splitKey();
    expect(k7.shape).to.deep.equal([2]);
    expect(key(new RandomState(k7).value)).to.deep.equal(key(k7));
    random.seed(11);
    const a = key(random.splitKey());
    random.seed(11);
    expect(key(random.splitKey())).to.deep.equal(a);
  });

  it('TestRandomStateMoreDistributions.test_permutation_and_shuffle', () => {
    expect(vals(rs.permutation(tf.range(0, 6))).sort()).to.deep.equal([0, 1, 2, 3, 4, 5]);
    expect(vals(rs.shuffle(tf.range(0, 6))).sort()).to.deep.equal([0, 1, 2, 3, 4, 5]);
  });

  it('TestRandomStateMoreDistributions.test_gumbel_laplace_logistic / test_logistic_no_loc_scale / test_pareto / test_standard_family', () => {
    expect(rs.gumbel([2, 3], { loc: 0, scale: 1 }).shape).to.deep.equal([2, 3]);
    expect(rs.laplace([2, 3], { loc: 0, scale: 1 }).shape).to.deep.equal([2, 3]);
    expect(rs.logistic([2, 3], { loc: 0, scale: 1 }).shape).to.deep.equal([2, 3]);
    expect(rs.logistic().shape).to.deep.equal([]);
    const p = rs.pareto(2, [3]);
    expect(p.shape).to.deep.equal([3]);
    expect(allIn(p, 0, Infinity)).to.equal(true);
    expect(rs.standardCauchy([3]).shape).to.deep.equal([3]);
    expect(rs.standardExponential([3]).shape).to.deep.equal([3]);
    expect(rs.standardGamma(2, [3]).shape).to.deep.equal([3]);
    expect(rs.standardNormal([3]).shape).to.deep.equal([3]);
    expect(rs.standardT(3).shape).to.deep.equal([]);
  });

  it('TestRandomStateMoreDistributions.test_lognormal / test_chisquare_scalar_and_sized / test_chisquare_nonscalar_df_infers_shape', () => {
    const l = rs.lognormal([3], { mean: 0, sigma: 1 });
    expect(allIn(l, 1e-45, Infinity)).to.equal(true);
    expect(rs.chisquare(3).shape).to.deep.equal([]);
    expect(rs.chisquare(3, [4]).shape).to.deep.equal([4]);
    const c = rs.chisquare(tf.tensor1d([2, 3]));
    expect(c.shape).to.deep.equal([2]);
    expect(allIn(c, 0, Infinity)).to.equal(true);
  });

  it('TestRandomStateMoreDistributions.test_dirichlet / test_geometric / test_multinomial / test_multinomial_invalid_pvals', () => {
    const d = rs.dirichlet(tf.tensor1d([1, 2, 3]), [4]);
    expect(d.shape).to.deep.equal([4, 3]);
    for (const s of vals(tf.sum(d, -1))) expect(Math.abs(s - 1)).to.be.below(1e-5);
    const g = rs.geometric(0.5, [3]);
    expect(g.dtype).to.equal('int32');
    expect(allIn(g, 1, Infinity)).to.equal(true);
    const m = rs.multinomial(10, tf.tensor1d([0.2, 0.3, 0.5]), [2]);
    expect(m.shape).to.deep.equal([2, 3]);
    expect(vals(tf.sum(m, -1))).to.deep.equal([10, 10]);
    expect(() => rs.multinomial(10, [0.6, 0.6, 0.5])).to.throw(bst.BrainStateError, 'sum(pvals[:-1]) <= 1');
  });

  it('TestRandomStateMoreDistributions.test_rayleigh / test_triangular / test_weibull_and_min / test_maxwell', () => {
    expect(allIn(rs.rayleigh([3], { scale: 2 }), 0, Infinity)).to.equal(true);
    const t = rs.triangular(-1, 0, 2, [50]);
    expect(t.shape).to.deep.equal([50]);
    expect(allIn(t, -1, 2, true)).to.equal(true);
    expect(rs.weibull(2, [3]).shape).to.deep.equal([3]);
    expect(rs.weibullMin(2, [3], { scale: 1.5 }).shape).to.deep.equal([3]);
    expect(allIn(rs.maxwell([3]), 0, Infinity)).to.equal(true);
  });

  it('TestRandomStateMoreDistributions.test_negative_binomial / test_wald / test_t_distribution / test_noncentral_chisquare / test_loggamma', () => {
    expect(rs.negativeBinomial(5, 0.5, [3]).shape).to.deep.equal([3]);
    expect(rs.negativeBinomial(5, 0.5, [3], { key: random.splitKey() }).shape).to.deep.equal([3]);
    expect(allIn(rs.wald(1, 2, [3]), 1e-45, Infinity)).to.equal(true);
    expect(rs.t(3, [4]).shape).to.deep.equal([4]);
    expect(rs.t(3, [4], { key: random.splitKey() }).shape).to.deep.equal([4]);
    expect(rs.noncentralChisquare(3, 1, [2]).shape).to.deep.equal([2]);
    expect(rs.loggamma(2, [3]).shape).to.deep.equal([3]);
  });

  it('TestRandomStateMoreDistributions.test_categorical_size_none / test_special_impl_distributions (f)', () => {
    expect(rs.categorical(tf.tensor2d([[0.1, 0.2, 0.7], [0.3, 0.3, 0.4]])).shape).to.deep.equal([2]);
    expect(rs.f(3, 5, [3]).shape).to.deep.equal([3]);
  });

  it('TestRandomStateScalarSizeInference.test_scalar_distributions_infer_empty_shape', () => {
    const calls: Record<string, () => tf.Tensor> = {
      beta: () => rs.beta(2, 3),
      exponential: () => rs.exponential(undefined, { scale: 2 }),
      gamma: () => rs.gamma(2, undefined, { scale: 1 }),
      laplace: () => rs.laplace(undefined, { loc: 0, scale: 1 }),
      gumbel: () => rs.gumbel(undefined, { loc: 0, scale: 1 }),
      pareto: () => rs.pareto(2),
      standardGamma: () => rs.standardGamma(2),
      lognormal: () => rs.lognormal(undefined, { mean: 0, sigma: 1 }),
      bernoulli: () => rs.bernoulli(0.5),
      binomial: () => rs.binomial(10, 0.5),
      geometric: () => rs.geometric(0.5),
      rayleigh: () => rs.rayleigh(undefined, { scale: 2 }),
      weibull: () => rs.weibull(2),
      weibullMin: () => rs.weibullMin(2, undefined, { scale: 1.5 }),
      negativeBinomial: () => rs.negativeBinomial(5, 0.5),
      wald: () => rs.wald(1, 2),
      t: () => rs.t(3),
      noncentralChisquare: () => rs.noncentralChisquare(3, 1),
      loggamma: () => rs.loggamma(2),
      f: () => rs.f(3, 5),
      poisson: () => rs.poisson(3),
      truncatedNormal: () => rs.truncatedNormal(-1, 1, []),
    };
    for (const [name, fn] of Object.entries(calls)) expect(fn().shape, name).to.deep.equal([]);
  });

  it('TestRandomStateAuditFixes.test_chisquare_nonpositive_df_raises / test_geometric_invalid_p_raises / test_triangular_invalid_bounds_raises', () => {
    expect(() => rs.chisquare(0)).to.throw(bst.BrainStateError, 'df');
    expect(() => rs.geometric(0)).to.throw(bst.BrainStateError, 'p');
    expect(() => rs.geometric(1.5)).to.throw(bst.BrainStateError, 'p');
    expect(() => rs.triangular(1, 0, 2)).to.throw(bst.BrainStateError, 'left <= mode <= right');
  });

  it('TestRandomStateAuditFixes.test_wald_same_key_is_reproducible / test_wald_explicit_key_does_not_mutate_state', () => {
    const k = random.prngKey(3);
    const before = key(rs.value);
    expect(vals(rs.wald(1, 2, [4], { key: k }))).to.deep.equal(vals(rs.wald(1, 2, [4], { key: k })));
    expect(key(rs.value)).to.deep.equal(before);
  });

  it('TestRandomStateAuditFixes.test_rayleigh_scale_none_matches_unit_scale', () => {
    const k = random.prngKey(4);
    expect(vals(rs.rayleigh([3], { key: k }))).to.deep.equal(vals(rs.rayleigh([3], { key: k, scale: 1 })));
  });
});

describe('random: BrainState _seed_test.py', () => {
  afterEach(() => random.seed(0));

  it('TestRandom.test_seed / test_seed2: a number, a key and nothing; a key inside transform.jit', () => {
    random.seed(299);
    const a = vals(random.rand(3));
    random.seed(299);
    expect(vals(random.rand(3))).to.deep.equal(a);
    const k = random.getKey();
    random.seed(k);
    random.seed(1);
    random.seed();
    const f = jit((key: tf.Tensor) => { random.seed(key); return tf.clone(random.DEFAULT.value); });
    expect(key(f(k) as tf.Tensor)).to.deep.equal(key(k));
    expect(key(random.DEFAULT.value)).to.deep.equal(key(k));
  });

  it('TestSeedUtilities.test_get_key_returns_current_value / test_set_get_key_roundtrip_with_integer / test_set_key_roundtrip_via_get_key', () => {
    random.seed(5);
    expect(key(random.getKey())).to.deep.equal(key(random.DEFAULT.value));
    random.setKey(7);
    expect(key(random.getKey())).to.deep.equal([0, 7]);
    const saved = random.getKey();
    random.rand(2);
    random.setKey(saved);
    expect(key(random.getKey())).to.deep.equal([0, 7]);
  });

  it('TestSeedUtilities.test_set_key_rejects_wrong_shaped_array / test_set_key_rejects_float_array / test_set_key_rejects_non_array', () => {
    expect(() => random.setKey(tf.tensor1d([1, 2, 3], 'int32'))).to.throw(bst.BrainStateError, 'shape [2]');
    expect(() => random.setKey(tf.tensor1d([1, 2]))).to.throw(bst.BrainStateError, 'int32');
    expect(() => random.setKey('x' as unknown as number)).to.throw(bst.BrainStateError);
  });

  it('TestSeedUtilities.test_split_key_single / test_split_key_advances_state / test_split_key_multiple', () => {
    random.seed(3);
    const before = key(random.DEFAULT.value);
    expect(random.splitKey().shape).to.deep.equal([2]);
    expect(key(random.DEFAULT.value)).to.not.deep.equal(before);
    expect(random.splitKey(4).shape).to.deep.equal([4, 2]);
  });

  it('TestSeedUtilities.test_split_keys_count / test_split_keys_one / test_split_keys_rejects_zero / _negative / _non_integer', () => {
    expect(random.splitKeys(5).shape).to.deep.equal([5, 2]);
    expect(random.splitKeys(1).shape).to.deep.equal([1, 2]);
    for (const n of [0, -2, 2.5]) expect(() => random.splitKeys(n)).to.throw(bst.BrainStateError, 'random.splitKeys');
  });

  it('TestSeedUtilities.test_split_key_with_backup_then_restore / test_restore_key_without_backup_raises', () => {
    random.seed(9);
    const pre = key(random.DEFAULT.value);
    random.splitKey(2, { backup: true });
    random.restoreKey();
    expect(key(random.DEFAULT.value)).to.deep.equal(pre);
    expect(() => random.restoreKey()).to.throw(bst.BrainStateError, 'random.restoreKey');
  });

  it('TestSeedUtilities.test_clone_rng_default_is_independent_copy / _no_clone_returns_global / _with_seed_creates_new_state / _clones_are_independent', () => {
    random.seed(1);
    const c = random.cloneRng();
    expect(c).to.not.equal(random.DEFAULT);
    expect(key(c.value)).to.not.deep.equal(key(random.DEFAULT.value));
    expect(random.cloneRng(undefined, { clone: false })).to.equal(random.DEFAULT);
    expect(key(random.cloneRng(5).value)).to.deep.equal([0, 5]);
    const c2 = random.cloneRng();
    expect(vals(c.rand(3))).to.not.deep.equal(vals(c2.rand(3)));
  });

  it('TestSeedUtilities.test_default_rng_returns_global / _with_seed_creates_new_state / _seed_is_reproducible', () => {
    expect(random.defaultRng()).to.equal(random.DEFAULT);
    const r = random.defaultRng(3);
    expect(r).to.not.equal(random.DEFAULT);
    expect(vals(r.rand(3))).to.deep.equal(vals(random.defaultRng(3).rand(3)));
  });

  it('TestSeedUtilities.test_seed_context_is_reproducible / _restores_outer_state / _restores_on_exception / _nested', () => {
    const a = random.seedContext(42, () => vals(random.rand(3)));
    expect(random.seedContext(42, () => vals(random.rand(3)))).to.deep.equal(a);
    random.seed(7);
    const before = key(random.getKey());
    random.seedContext(1000, () => random.rand(2));
    expect(key(random.getKey())).to.deep.equal(before);
    expect(() => random.seedContext(1000, () => { random.rand(2); throw new Error('boom'); })).to.throw('boom');
    expect(key(random.getKey())).to.deep.equal(before);
    random.seedContext(123, () => {
      const outer = key(random.getKey());
      random.seedContext(456, () => random.rand(2));
      expect(key(random.getKey())).to.deep.equal(outer);
    });
    expect(key(random.getKey())).to.deep.equal(before);
  });

  it('TestSeedGlobalStateEdgeCases.test_seed_large_int_does_not_raise / test_seed_negative_int_does_not_raise / test_seed_out_of_range_int_matches_mod_2pow32_for_jax', () => {
    for (const s of [2 ** 33, -1]) {
      random.seed(s);
      const a = vals(random.randn(5));
      random.seed(s);
      expect(vals(random.randn(5))).to.deep.equal(a);
    }
    random.seed(2 ** 33 + 7);
    const k1 = key(random.getKey());
    random.seed((2 ** 33 + 7) % 2 ** 32);
    expect(key(random.getKey())).to.deep.equal(k1);
    expect(k1).to.deep.equal([0, 7]);   // jax.random.PRNGKey(2**33 + 7) with x64 off
  });
});

"""Writes spec/random/fixtures/jax-random.json: jax.random's numbers for fixed keys.

The specs in spec/random/jax-agreement.spec.ts draw the same distributions from the
same keys with bst.random and compare: integer outputs (indices, counts, permutations)
exactly, floats within 1e-5 relative (tfjs and XLA round log / tan / erfinv by an ulp
or two). Only samplers that jax.random computes as a fixed transform of Threefry bits
are here (not gamma / poisson / binomial, whose loops bst.random vectorises).
The BrainState cases mirror what brainstate.random.RandomState(seed).<method>(...)
does: split the key in two, keep the first half, draw from the second.

Run: pip install jax numpy && python3 scripts/jax-random-fixture.py
"""
import json
import os

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

assert jax.config.jax_threefry_partitionable, 'the fixture is for the partitionable layout (JAX >= 0.5 default)'


def k(seed):
    return jr.PRNGKey(seed)


def f32(x):
    return [float(v) for v in np.asarray(x, dtype=np.float32).ravel()]


def ints(x):
    return [int(v) for v in np.asarray(x).ravel()]


def bs_key(seed):
    """The subkey brainstate.random.RandomState(seed) draws its first sample from."""
    return jr.split(jr.PRNGKey(seed), 2)[1]


p5 = jnp.array([0.1, 0.2, 0.05, 0.4, 0.25], jnp.float32)
logits = jnp.log(jnp.array([[0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.1, 0.1]], jnp.float32))
cases = {
    'split(21, 3)': ints(jax.random.key_data(jr.split(k(21), 3)).astype(np.uint32)),
    'uniform(1, [6])': f32(jr.uniform(k(1), (6,))),
    'normal(1, [6])': f32(jr.normal(k(1), (6,))),
    'bernoulli(18, 0.3, [8])': ints(jr.bernoulli(k(18), 0.3, (8,))),
    'randint(19, 0, 100, [8])': ints(jr.randint(k(19), (8,), 0, 100)),
    'truncated_normal(20, -1, 2, [6])': f32(jr.truncated_normal(k(20), -1.0, 2.0, (6,))),
    'exponential(2, [6])': f32(jr.exponential(k(2), (6,))),
    'gumbel(3, [6])': f32(jr.gumbel(k(3), (6,))),
    'laplace(4, [6])': f32(jr.laplace(k(4), (6,))),
    'logistic(5, [6])': f32(jr.logistic(k(5), (6,))),
    'cauchy(6, [6])': f32(jr.cauchy(k(6), (6,))),
    'rayleigh(7, scale 2, [6])': f32(jr.rayleigh(k(7), 2.0, (6,))),
    'pareto(8, 3, [6])': f32(jr.pareto(k(8), 3.0, (6,))),
    'weibull_min(9, scale 2, concentration 1.5, [6])': f32(jr.weibull_min(k(9), 2.0, 1.5, (6,))),
    'categorical(10, logits [2, 4])': ints(jr.categorical(k(10), logits)),
    'categorical(10, logits [2, 4], shape [3, 2])': ints(jr.categorical(k(10), logits, shape=(3, 2))),
    'categorical(22, logits [2, 4], axis 0)': ints(jr.categorical(k(22), logits, axis=0)),
    'permutation(11, 10)': ints(jr.permutation(k(11), 10)),
    'permutation(12, arange 12 as [3, 4], axis 1, independent)':
        ints(jr.permutation(k(12), jnp.arange(12).reshape(3, 4), axis=1, independent=True)),
    'permutation(12, arange 12 as [3, 4], axis 1)': ints(jr.permutation(k(12), jnp.arange(12).reshape(3, 4), axis=1)),
    'permutation(13, 2000)': ints(jr.permutation(k(13), 2000)),
    'choice(14, 10, [5])': ints(jr.choice(k(14), 10, (5,))),
    'choice(15, 10, [5], replace false)': ints(jr.choice(k(15), 10, (5,), replace=False)),
    'choice(16, 5, [8], p)': ints(jr.choice(k(16), 5, (8,), p=p5)),
    'choice(17, 5, [3], replace false, p)': ints(jr.choice(k(17), 5, (3,), replace=False, p=p5)),
    # BrainState's own formulas over jax.random draws (brainstate/random/_state.py).
    'brainstate lognormal(23, mean 0.5, sigma 2, [6])': f32(jnp.exp(jr.normal(k(23), (6,)) * 2.0 + 0.5)),
    'brainstate geometric(24, 0.3, [8])': ints(jnp.floor(jnp.log1p(-jr.uniform(k(24), (8,))) / jnp.log1p(-0.3)) + 1),
    'brainstate weibull(25, 1.5, [6])': f32(jnp.power(-jnp.log1p(-jr.uniform(k(25), (6,))), 1.0 / 1.5)),
    'brainstate RandomState(42).normal(size=[4])': f32(jr.normal(bs_key(42), (4,))),
    'brainstate RandomState(42).permutation(8)': ints(jr.permutation(bs_key(42), 8)),
    'brainstate RandomState(42).randint(0, 10, size=[5])': ints(jr.randint(bs_key(42), (5,), 0, 10)),
}

out = {
    'source': 'scripts/jax-random-fixture.py',
    'jax': jax.__version__,
    'threefry_partitionable': True,
    'cases': cases,
}
path = os.path.join(os.path.dirname(__file__), '..', 'spec', 'random', 'fixtures', 'jax-random.json')
with open(path, 'w') as fh:
    # One case per line: readable diffs without one line per number.
    head = {key: value for key, value in out.items() if key != 'cases'}
    fh.write(json.dumps(head)[:-1] + ', "cases": {\n')
    fh.write(',\n'.join(f' {json.dumps(name)}: {json.dumps(vals)}' for name, vals in cases.items()))
    fh.write('\n}}\n')
print('wrote', os.path.normpath(path), len(cases), 'cases')

"""Reference trajectories for spec/optim/reference.spec.ts, computed with optax.

Each optimiser is the optax chain braintools builds for it (braintools/optim/_optax_optimizer.py
at commit 57d33c23f5d80805d67331d0d7a3b0386d6d750d; NAdam and Lookahead are braintools' own
transforms, copied below), run on one problem in float32:

  params  w = 0.5 * sin(0.7 * i + 0.3) (shape [2, 3]),  b = 0.3 * cos(1.1 * i) (shape [3])
  loss    sum(0.5 * a * p**2 + c * p + 0.05 * p**4) over every element,
  grad    a * p + c + 0.2 * p**3, with a = 1 + 0.25 * (i % 4), c = 0.1 * (i % 3) - 0.1

(i is the element's index within its tensor). The schedules are braintools' get_lr formulas
(_optax_lr_scheduler.py, same commit) on update counts 0..N.

Run: python3 scripts/reference/optim_reference.py > spec/fixtures/optim-reference.json
(jax 0.8 / optax 0.2.8 produced the committed file.)
"""
import json
import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

jax.config.update('jax_platform_name', 'cpu')


def init_params():
    i6 = np.arange(6, dtype=np.float32)
    i3 = np.arange(3, dtype=np.float32)
    return {'w': jnp.asarray((0.5 * np.sin(0.7 * i6 + 0.3)).reshape(2, 3), jnp.float32),
            'b': jnp.asarray(0.3 * np.cos(1.1 * i3), jnp.float32)}


def coeffs(n):
    i = np.arange(n)
    return (1 + 0.25 * (i % 4)).astype(np.float32), (0.1 * (i % 3) - 0.1).astype(np.float32)


def grad_of(p):
    out = {}
    for k, v in p.items():
        a, c = coeffs(v.size)
        a = jnp.asarray(a.reshape(v.shape))
        c = jnp.asarray(c.reshape(v.shape))
        out[k] = a * v + c + jnp.float32(0.2) * v ** 3
    return out


class NadamState(NamedTuple):
    count: Any
    mu_product: Any
    mu: Any
    nu: Any


def scale_by_nadam(b1=0.9, b2=0.999, eps=1e-8, momentum_decay=4e-3):
    """braintools' _scale_by_nadam (scheduled-momentum NAdam), verbatim in substance."""
    def init_fn(params):
        return NadamState(jnp.zeros([], jnp.int32), jnp.ones([], jnp.float32),
                          optax.tree.zeros_like(params), optax.tree.zeros_like(params))

    def update_fn(updates, state, params=None):
        count = state.count + 1
        t = count.astype(jnp.float32)
        mu_t = b1 * (1.0 - 0.5 * (0.96 ** (t * momentum_decay)))
        mu_next = b1 * (1.0 - 0.5 * (0.96 ** ((t + 1.0) * momentum_decay)))
        mu = jax.tree.map(lambda m, g: b1 * m + (1.0 - b1) * g, state.mu, updates)
        nu = jax.tree.map(lambda v, g: b2 * v + (1.0 - b2) * (g ** 2), state.nu, updates)
        mu_product = state.mu_product * mu_t
        bc2 = 1.0 - b2 ** t

        def compute(g, m, v):
            denom = jnp.sqrt(v / bc2) + eps
            return (1.0 - mu_t) / (1.0 - mu_product) * g / denom + mu_next / (1.0 - mu_product * mu_next) * m / denom
        return jax.tree.map(compute, updates, mu, nu), NadamState(count, mu_product, mu, nu)
    return optax.GradientTransformation(init_fn, update_fn)


class LookaheadState(NamedTuple):
    count: Any
    slow: Any
    fast_state: Any


def lookahead(fast_tx, sync_period, alpha):
    """braintools' _lookahead_transform, verbatim in substance."""
    def init_fn(params):
        return LookaheadState(jnp.zeros([], jnp.int32), params, fast_tx.init(params))

    def update_fn(updates, state, params=None):
        fast_updates, fast_state = fast_tx.update(updates, state.fast_state, params)
        fast = optax.apply_updates(params, fast_updates)
        count = state.count + 1
        sync = (count % sync_period) == 0
        synced = jax.tree.map(lambda s, f: s + alpha * (f - s), state.slow, fast)
        new_params = jax.tree.map(lambda sl, fa: jnp.where(sync, sl, fa), synced, fast)
        new_slow = jax.tree.map(lambda old, syn: jnp.where(sync, syn, old), state.slow, synced)
        return jax.tree.map(lambda n, p: n - p, new_params, params), LookaheadState(count, new_slow, fast_state)
    return optax.GradientTransformation(init_fn, update_fn)


def sgd_lr(lr):
    return optax.scale(-lr)


CASES = {
    'RMSProp': optax.chain(optax.scale_by_rms(decay=0.99, eps=1e-8), sgd_lr(1e-2)),
    'RMSProp centered momentum': optax.chain(optax.scale_by_stddev(decay=0.9, eps=1e-8), optax.trace(decay=0.9), sgd_lr(1e-2)),
    'Adagrad': optax.chain(optax.scale_by_rss(initial_accumulator_value=0.1, eps=1e-10), sgd_lr(0.1)),
    'Adadelta': optax.chain(optax.scale_by_adadelta(rho=0.9, eps=1e-6), sgd_lr(1.0)),
    'Adamax': optax.chain(optax.scale_by_adamax(b1=0.9, b2=0.999, eps=1e-8), sgd_lr(2e-2)),
    'NAdam': optax.chain(scale_by_nadam(), sgd_lr(2e-2)),
    'RAdam': optax.chain(optax.scale_by_radam(b1=0.9, b2=0.999, eps=1e-8), sgd_lr(1e-2)),
    'Lamb': optax.chain(optax.scale_by_adam(eps=1e-6), optax.add_decayed_weights(1e-2), optax.scale_by_trust_ratio(),
                        sgd_lr(1e-2)),
    'Lars': optax.chain(optax.add_decayed_weights(1e-4), optax.scale_by_trust_ratio(trust_coefficient=0.001, eps=1e-8),
                        optax.trace(decay=0.9), sgd_lr(1.0)),
    'Lookahead(Adam)': lookahead(optax.chain(optax.scale_by_adam(), sgd_lr(5e-2)), 3, 0.5),
    'Yogi': optax.chain(optax.scale_by_yogi(b1=0.9, b2=0.999, eps=1e-3), sgd_lr(1e-2)),
    'Rprop': optax.rprop(learning_rate=1e-2, eta_minus=0.5, eta_plus=1.2, min_step_size=1e-6, max_step_size=50.0),
    'LBFGS': optax.chain(optax.scale_by_lbfgs(memory_size=3, scale_init_precond=True), sgd_lr(0.5)),
    'SGD gradClipValue': optax.chain(optax.clip(0.5), sgd_lr(0.1)),
    'SGD gradClipNorm weightDecay': optax.chain(optax.clip_by_global_norm(0.8), optax.add_decayed_weights(0.1), sgd_lr(0.1)),
}

STEPS = 8


def run(tx):
    p = init_params()
    state = tx.init(p)
    traj = []
    for _ in range(STEPS):
        g = grad_of(p)
        u, state = tx.update(g, state, p)
        p = optax.apply_updates(p, u)
        traj.append({k: np.asarray(v, np.float64).ravel().tolist() for k, v in p.items()})
    return traj


def schedules():
    steps = np.arange(0, 40)
    out = {}
    ms = [5, 12, 30]
    out['multiStepLR(0.1, [5, 12, 30], 0.5)'] = [0.1 * 0.5 ** int(np.sum(s >= np.array(ms))) for s in steps]
    bounds, vals = [4, 10, 25], [1e-2, 5e-3, 1e-3, 1e-4]
    out['piecewiseConstant([4, 10, 25], [1e-2, 5e-3, 1e-3, 1e-4])'] = [
        vals[int(np.searchsorted(np.array(bounds), s, side='right'))] for s in steps]
    def wc(e, base=1e-2, warm=6, total=30, start=1e-4, eta_min=1e-5):
        alpha = min(max(e / max(warm, 1), 0.0), 1.0)
        prog = min(max((e - warm) / max(total - warm, 1), 0.0), 1.0)
        cosf = (1 + math.cos(math.pi * prog)) / 2
        return start + (base - start) * alpha if e < warm else eta_min + (base - eta_min) * cosf
    out['warmupCosine(1e-2, 6, 30, { warmupStartLr: 1e-4, etaMin: 1e-5 })'] = [wc(float(s)) for s in steps]
    def oc(e, max_lr=0.1, total=30, pct=0.3, div=25.0, fdiv=1e4, strategy='cos'):
        base, mn = max_lr / div, max_lr / fdiv
        warm = pct * total
        wp = min(e / warm, 1.0)
        ap = min(max((e - warm) / ((1 - pct) * total), 0.0), 1.0)
        f = (1 + math.cos(math.pi * ap)) / 2 if strategy == 'cos' else 1 - ap
        return base + wp * (max_lr - base) if e <= warm else mn + f * (max_lr - mn)
    out["oneCycle(0.1, 30)"] = [oc(float(s)) for s in steps]
    out["oneCycle(0.1, 30, { annealStrategy: 'linear', pctStart: 0.25 })"] = [
        oc(float(s), pct=0.25, strategy='linear') for s in steps]
    return out


if __name__ == '__main__':
    p0 = init_params()
    print(json.dumps({
        'source': 'scripts/reference/optim_reference.py (optax ' + optax.__version__ + ', jax ' + jax.__version__ + ')',
        'steps': STEPS,
        'init': {k: np.asarray(v, np.float64).ravel().tolist() for k, v in p0.items()},
        'trajectories': {name: run(tx) for name, tx in CASES.items()},
        'schedules': schedules(),
    }, indent=1))

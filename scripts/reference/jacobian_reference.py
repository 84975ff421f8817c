"""Reference Jacobians, vector gradients and Hessians for spec/transform/jacobian.spec.ts,
computed with JAX (jax.jacrev, jax.jacfwd, jax.hessian, jax.grad of a sum) in float32 on CPU.

Functions (the spec builds the same ones from tfjs ops):
  f1(x)        = [x0 * x1, sin(x0), exp(x1) * x0**2]                 x = [0.3, -1.2]
  f2(W, b, x)  = tanh(W @ x + b)                                     W [3, 2], b [3], x [2]
  h1(x)        = sum(x**3) + x0 * x1 * x2 + sum(log(1 + x**2))        x = [0.5, -1.0, 2.0]
  h2(a, b)     = sum(a**2 * b) + sum(sin(a))                         a, b [2]

Run: python3 scripts/reference/jacobian_reference.py > spec/fixtures/jacobian-reference.json
(jax 0.10.2 produced the committed file.)
"""
import json

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update('jax_platform_name', 'cpu')


def f1(x):
    return jnp.stack([x[0] * x[1], jnp.sin(x[0]), jnp.exp(x[1]) * x[0] ** 2])


def f2(W, b, x):
    return jnp.tanh(W @ x + b)


def h1(x):
    return jnp.sum(x ** 3) + x[0] * x[1] * x[2] + jnp.sum(jnp.log(1 + x ** 2))


def h2(a, b):
    return jnp.sum(a ** 2 * b) + jnp.sum(jnp.sin(a))


def lst(t):
    return np.asarray(t, np.float32).tolist()


x1 = jnp.array([0.3, -1.2], jnp.float32)
W = jnp.array([[0.5, -0.2], [0.1, 0.8], [-0.7, 0.3]], jnp.float32)
b = jnp.array([0.05, -0.1, 0.2], jnp.float32)
x2 = jnp.array([0.9, -0.4], jnp.float32)
xh = jnp.array([0.5, -1.0, 2.0], jnp.float32)
a = jnp.array([0.7, -0.3], jnp.float32)
bb = jnp.array([1.5, 2.0], jnp.float32)

jw, jb = jax.jacrev(f2, argnums=(0, 1))(W, b, x2)
hh = jax.hessian(h2, argnums=(0, 1))(a, bb)
out = {
    'jax': jax.__version__,
    'f1': {'x': lst(x1), 'value': lst(f1(x1)), 'jacrev': lst(jax.jacrev(f1)(x1)), 'jacfwd': lst(jax.jacfwd(f1)(x1)),
           'vectorGrad': lst(jax.grad(lambda x: jnp.sum(f1(x)))(x1))},
    'f2': {'W': lst(W), 'b': lst(b), 'x': lst(x2), 'value': lst(f2(W, b, x2)), 'jacW': lst(jw), 'jacB': lst(jb)},
    'h1': {'x': lst(xh), 'value': float(h1(xh)), 'hessian': lst(jax.hessian(h1)(xh))},
    'h2': {'a': lst(a), 'b': lst(bb), 'hessian': [[lst(hh[0][0]), lst(hh[0][1])], [lst(hh[1][0]), lst(hh[1][1])]]},
}
print(json.dumps(out, indent=1))

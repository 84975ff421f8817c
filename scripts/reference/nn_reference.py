"""Reference outputs for spec/nn/reference.spec.ts, computed with JAX by BrainState's own code.

The functions below are BrainState's (brainstate/nn/_poolings.py, _normalizations.py,
_conv.py, _rnns.py at commit e5eb83cd342b685c4fffaa3d55dd10467f9c5daf), reduced to plain
jax.numpy where they used brainunit; inputs and weights are deterministic
(`det(shape, seed) = sin(0.37 * i + seed) * scale`, i the flat index), so the TypeScript
spec makes the same tensors without a random generator.

Run: python3 scripts/reference/nn_reference.py > spec/fixtures/nn-reference.json
"""
import json
import numpy as np
import jax
import jax.numpy as jnp

jax.config.update('jax_platform_name', 'cpu')


def det(shape, seed, scale=1.0):
    n = int(np.prod(shape))
    return jnp.asarray((np.sin(0.37 * np.arange(n) + seed) * scale).astype(np.float32).reshape(shape))


def out(a):
    a = np.asarray(a, np.float64)
    return {'shape': list(a.shape), 'values': a.ravel().tolist()}


# _poolings.py: _adaptive_pool1d and the per-axis vmap of _AdaptivePool.update
def _adaptive_pool1d(x, target_size, operation):
    size = jnp.size(x)
    num_head_arrays = size % target_size
    num_block = size // target_size
    if num_head_arrays != 0:
        head_end_index = num_head_arrays * (num_block + 1)
        heads = jax.vmap(operation)(x[:head_end_index].reshape(num_head_arrays, -1))
        tails = jax.vmap(operation)(x[head_end_index:].reshape(-1, num_block))
        return jnp.concatenate([heads, tails])
    return jax.vmap(operation)(x.reshape(-1, num_block))


def adaptive_pool(x, target_shape, operation, channel_axis=-1):
    channel_axis = x.ndim + channel_axis if channel_axis < 0 else channel_axis
    pool_dims = [i for i in range(x.ndim) if i != channel_axis]
    for i, di in enumerate(pool_dims[-len(target_shape):]):
        fun = _adaptive_pool1d
        for axis in sorted(j for j in range(x.ndim) if j != di):
            fun = jax.vmap(fun, in_axes=(axis, None, None), out_axes=axis)
        x = fun(x, target_shape[i], operation)
    return x


# _poolings.py: _MaxPool.update / _AvgPool.update (channel_axis -1, pooled axes the ones before it)
def reduce_pool(x, kind, k, s, padding):
    nd = len(k)
    dims = (1,) * (x.ndim - nd - 1) + tuple(k) + (1,)
    strides = (1,) * (x.ndim - nd - 1) + tuple(s) + (1,)
    if isinstance(padding, str):
        pads = padding
    else:
        pads = ((0, 0),) * (x.ndim - nd - 1) + tuple(tuple(p) for p in padding) + ((0, 0),)
    if kind == 'max':
        return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, dims, strides, pads)
    pooled = jax.lax.reduce_window(x, 0., jax.lax.add, dims, strides, pads)
    if pads == 'VALID':
        return pooled / np.prod(k)
    counts = jax.lax.reduce_window(jnp.ones_like(x), 0., jax.lax.add, dims, strides, pads)
    return pooled / jnp.maximum(counts, 1)


# _normalizations.py: _compute_stats (use_fast_variance) and _normalize
def stats(x, axes, use_mean=True):
    if use_mean:
        mu = x.mean(axes, keepdims=True)
        var = jnp.maximum(0.0, (x * x).mean(axes, keepdims=True) - mu * mu)
    else:
        var = (x * x).mean(axes, keepdims=True)
        mu = jnp.zeros_like(var)
    return mu, var


def group_norm(x, num_groups, eps, scale, bias):
    g = x.reshape(x.shape[:-1] + (num_groups, x.shape[-1] // num_groups))
    axes = tuple(range(1, x.ndim - 1)) + (g.ndim - 1,)
    mu, var = stats(g, axes)
    y = ((g - mu) * jax.lax.rsqrt(var + eps)).reshape(x.shape)
    return y * scale + bias


# _conv.py: _ConvTranspose._conv_op with _conv_transpose_padding, channels last
def conv_transpose(x, w, stride, padding, rhs_dilation, groups):
    nd = x.ndim - 2
    if isinstance(padding, str):
        pads = []
        for k, s, d in zip(w.shape[:nd], stride, rhs_dilation):
            kk = (k - 1) * d + 1
            if padding == 'SAME':
                pad_len = kk + s - 2
                pad_a = kk - 1 if s > kk - 1 else int(np.ceil(pad_len / 2))
            else:
                pad_len = kk + s - 2 + max(kk - s, 0)
                pad_a = kk - 1
            pads.append((pad_a, pad_len - pad_a))
    else:
        pads = padding
    dn = jax.lax.ConvDimensionNumbers(lhs_spec=(0, nd + 1) + tuple(range(1, nd + 1)),
                                      rhs_spec=(nd, nd + 1) + tuple(range(nd)),
                                      out_spec=(0, nd + 1) + tuple(range(1, nd + 1)))
    wf = jnp.flip(w, axis=tuple(range(nd)))
    return jax.lax.conv_general_dilated(x, wf, (1,) * nd, tuple(pads), lhs_dilation=tuple(stride),
                                        rhs_dilation=tuple(rhs_dilation), feature_group_count=groups,
                                        dimension_numbers=dn)


def conv(x, w, stride, padding, lhs_dilation, rhs_dilation, groups):
    nd = x.ndim - 2
    dn = jax.lax.ConvDimensionNumbers(lhs_spec=(0, nd + 1) + tuple(range(1, nd + 1)),
                                      rhs_spec=(nd + 1, nd) + tuple(range(nd)),
                                      out_spec=(0, nd + 1) + tuple(range(1, nd + 1)))
    return jax.lax.conv_general_dilated(x, w, tuple(stride), padding if isinstance(padding, str) else tuple(padding),
                                        lhs_dilation=tuple(lhs_dilation), rhs_dilation=tuple(rhs_dilation),
                                        feature_group_count=groups, dimension_numbers=dn)


# _rnns.py: the update methods (W as one Linear over concat([x, h]))
def sigmoid(x):
    return jax.nn.sigmoid(x)


def gru(x, h, wrz, brz, wh, bh):
    r, z = jnp.split(sigmoid(jnp.concatenate([x, h], -1) @ wrz + brz), 2, axis=-1)
    cand = jnp.tanh(jnp.concatenate([x, r * h], -1) @ wh + bh)
    return (1 - z) * h + z * cand


def lstm(x, h, c, w, b):
    i, g, f, o = jnp.split(jnp.concatenate([x, h], -1) @ w + b, 4, axis=-1)
    c = sigmoid(f + 1.) * c + sigmoid(i) * jnp.tanh(g)
    return sigmoid(o) * jnp.tanh(c), c


def mgu(x, h, wf, bf, wh, bh):
    f = sigmoid(jnp.concatenate([x, h], -1) @ wf + bf)
    cand = jnp.tanh(jnp.concatenate([x, f * h], -1) @ wh + bh)
    return (1 - f) * h + f * cand


def urlstm(x, h, c, w, bias):
    f, r, u, o = jnp.split(jnp.concatenate([x, h], -1) @ w, 4, axis=-1)
    fg = sigmoid(f + bias)
    rg = sigmoid(r - bias)
    g = 2 * rg * fg + (1 - 2 * rg) * fg ** 2
    c = g * c + (1 - g) * jnp.tanh(u)
    return sigmoid(o) * jnp.tanh(c), c


def main():
    r = {}
    x = det([2, 7, 5, 3], 0.1, 1.5)
    r['AdaptiveAvgPool2d([3, 2])'] = out(adaptive_pool(x, (3, 2), jnp.mean))
    r['AdaptiveMaxPool2d([3, 2])'] = out(adaptive_pool(x, (3, 2), jnp.max))
    x1 = det([2, 11, 4], 0.2)
    r['AdaptiveAvgPool1d(4)'] = out(adaptive_pool(x1, (4,), jnp.mean))
    r['MaxPool2d(3, { stride: [2, 1], padding: [[1, 2], [0, 1]] })'] = out(reduce_pool(x, 'max', (3, 3), (2, 1), ((1, 2), (0, 1))))
    r['AvgPool2d(3, { stride: [2, 1], padding: [[1, 2], [0, 1]] })'] = out(reduce_pool(x, 'avg', (3, 3), (2, 1), ((1, 2), (0, 1))))
    r["AvgPool2d([3, 2], { stride: 2, padding: 'SAME' })"] = out(reduce_pool(x, 'avg', (3, 2), (2, 2), 'SAME'))
    r["MaxPool1d(3, { stride: 2, padding: 'SAME' })"] = out(reduce_pool(x1, 'max', (3,), (2,), 'SAME'))
    x3 = det([1, 5, 4, 6, 2], 0.3)
    r["MaxPool3d(2, { stride: 2, padding: 'SAME' })"] = out(reduce_pool(x3, 'max', (2, 2, 2), (2, 2, 2), 'SAME'))
    xg = det([2, 4, 3, 8], 0.4, 2.0)
    r['GroupNorm([4, 3, 8], { numGroups: 4 })'] = out(group_norm(xg, 4, 1e-6, det([1, 1, 8], 0.5), det([1, 1, 8], 0.6)))
    xr = det([3, 10], 0.7, 3.0)
    mu, var = stats(xr, (1,), use_mean=False)
    r['RMSNorm([10])'] = out(xr * jax.lax.rsqrt(var + 1e-6) * det([10], 0.8))
    xt = det([2, 6, 4], 0.9)
    wt = det([3, 6, 2], 1.0, 0.5)  # [k, out, in/groups]
    r["ConvTranspose1d([6, 4], 6, 3, { stride: 2, rhsDilation: 2, groups: 2, padding: [[1, 2]] })"] = \
        out(conv_transpose(xt, wt, (2,), ((1, 2),), (2,), 2))
    r["ConvTranspose1d([6, 4], 6, 3, { stride: 3, padding: 'VALID' })"] = \
        out(conv_transpose(xt, det([3, 6, 4], 1.1, 0.5), (3,), 'VALID', (1,), 1))
    xc = det([2, 9, 8, 4], 1.2)
    r["Conv2d([9, 8, 4], 6, [3, 2], { stride: [2, 1], lhsDilation: [1, 2], rhsDilation: [2, 1], groups: 2, padding: [[1, 0], [2, 1]] })"] = \
        out(conv(xc, det([3, 2, 2, 6], 1.3, 0.5), (2, 1), ((1, 0), (2, 1)), (1, 2), (2, 1), 2))
    xs, hs, cs = det([2, 3], 1.4), det([2, 4], 1.5, 0.5), det([2, 4], 1.6, 0.5)
    r['GRUCell(3, 4)'] = out(gru(xs, hs, det([7, 8], 1.7, 0.4), det([8], 1.8, 0.1), det([7, 4], 1.9, 0.4), det([4], 2.0, 0.1)))
    hl, cl = lstm(xs, hs, cs, det([7, 16], 2.1, 0.4), det([16], 2.2, 0.1))
    r['LSTMCell(3, 4) h'] = out(hl)
    r['LSTMCell(3, 4) c'] = out(cl)
    r['MGUCell(3, 4)'] = out(mgu(xs, hs, det([7, 4], 2.3, 0.4), det([4], 2.4, 0.1), det([7, 4], 2.5, 0.4), det([4], 2.6, 0.1)))
    hu, cu = urlstm(xs, hs, cs, det([7, 16], 2.7, 0.4), det([4], 2.8, 0.5))
    r['URLSTMCell(3, 4) h'] = out(hu)
    r['URLSTMCell(3, 4) c'] = out(cu)
    r['ValinaRNNCell(3, 4)'] = out(jax.nn.relu(jnp.concatenate([xs, hs], -1) @ det([7, 4], 2.9, 0.4) + det([4], 3.0, 0.1)))
    print(json.dumps({'source': 'scripts/reference/nn_reference.py (jax ' + jax.__version__ + ')', 'outputs': r}))


if __name__ == '__main__':
    main()

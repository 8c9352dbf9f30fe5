"""Every differentiable op gradient-checked in float64 against central finite differences
(random upstream gradient), over hypothesis-drawn shapes, strides and paddings."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinynet as tn
from tinynet import functional as F
from tinynet.gradcheck import check_grad

from .arrays import away_from_zero, distinct, normal
from .strategies import (conv_geometry, conv_setups, pool_geometry, shapes, transpose_geometry,
                         windows_setup)


@given(conv_geometry(max_size=6), st.booleans(), conv_setups)
def test_conv2d_grad(g, bias, setup):
    N, ci, co, H, W, kh, kw, stride, padding = g
    b = [normal(co, 3)] if bias else []
    with windows_setup(setup):
        check_grad(lambda x, w, *b: F.conv2d(x, w, b[0] if b else None, stride, padding),
                   [normal((N, ci, H, W), 1), normal((co, ci, kh, kw), 2)] + b)


@given(transpose_geometry(max_size=4), st.booleans(), conv_setups)
def test_conv2d_transpose_grad(g, bias, setup):
    N, ci, co, H, W, kh, kw, stride, padding, out_pad = g
    b = [normal(co, 3)] if bias else []
    with windows_setup(setup):
        check_grad(lambda x, w, *b: F.conv2d_transpose(x, w, b[0] if b else None, stride,
                                                       padding, out_pad),
                   [normal((N, ci, H, W), 1), normal((ci, co, kh, kw), 2)] + b)


@given(pool_geometry(max_size=6))
def test_max_pool2d_grad(g):
    N, C, H, W, kernel, stride, padding = g
    check_grad(lambda x: F.max_pool2d(x, kernel, stride, padding), [distinct((N, C, H, W))])


@given(pool_geometry(max_size=6))
def test_avg_pool2d_grad(g):
    N, C, H, W, kernel, stride, padding = g
    check_grad(lambda x: F.avg_pool2d(x, kernel, stride, padding), [normal((N, C, H, W))])


@given(st.integers(1, 2), st.integers(1, 3), st.integers(1, 4), st.integers(1, 4), st.integers(1, 3))
def test_upsample2d_grad(N, C, H, W, s):
    check_grad(lambda x: F.upsample2d(x, s), [normal((N, C, H, W))])


@given(st.integers(1, 4), st.integers(1, 5), st.integers(1, 5), st.booleans())
def test_linear_grad(N, n_in, n_out, bias):
    b = [normal(n_out, 3)] if bias else []
    check_grad(lambda x, w, *b: F.linear(x, w, b[0] if b else None),
               [normal((N, n_in), 1), normal((n_in, n_out), 2)] + b)


@pytest.mark.parametrize("fn", [F.relu, lambda x: F.leaky_relu(x, 0.2), F.tanh, F.sigmoid],
                         ids=["relu", "leaky_relu", "tanh", "sigmoid"])
@given(shape=shapes(max_dims=4))
def test_activation_grad(fn, shape):
    check_grad(fn, [away_from_zero(shape)])


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
@given(shape=shapes(max_dims=3), axis=st.integers(-1, 0))
def test_softmax_grad(fn, shape, axis):
    check_grad(lambda x: fn(x, axis=axis), [normal(shape)])


@given(st.sampled_from([(5, 3), (2, 3, 4, 4), (1, 2, 3, 3), (3, 1)]), st.booleans())
def test_batch_norm_grad(shape, training):
    C = shape[1]
    running = (normal(C, 5) * 0.1, np.abs(normal(C, 6)) + 0.5)

    def fn(x, gamma, beta):
        rm, rv = running[0].copy(), running[1].copy()
        return F.batch_norm(x, gamma, beta, rm, rv, training=training, momentum=0.9, eps=1e-3)

    check_grad(fn, [normal(shape, 1) * 2 + 1, normal(C, 2), normal(C, 3)], atol=1e-4)


@given(shape=shapes(max_dims=3, max_side=6), rate=st.sampled_from([0.1, 0.5, 0.8]))
def test_dropout_grad(shape, rate):
    def fn(x):
        tn.seed(7)  # the same mask at every evaluation
        return F.dropout(x, rate, training=True)

    check_grad(fn, [normal(shape)])


@given(st.integers(1, 5), st.integers(2, 5), st.booleans())
def test_softmax_cross_entropy_grad(N, K, integer_labels):
    rng = np.random.default_rng(N * 10 + K)
    labels = rng.integers(0, K, size=N)
    t = labels if integer_labels else np.eye(K)[labels]
    check_grad(lambda z: F.softmax_cross_entropy(z, t), [normal((N, K))])


@given(shapes(min_dims=1, max_dims=3))
def test_probability_losses_grad(shape):
    rng = np.random.default_rng(1)
    p = rng.uniform(0.05, 0.95, size=shape)
    t = rng.uniform(0, 1, size=shape)
    check_grad(lambda p: F.binary_cross_entropy(p, t), [p])
    check_grad(lambda z: F.binary_cross_entropy_with_logits(z, t), [normal(shape) * 3])
    check_grad(lambda y: F.mean_squared_error(y, t), [normal(shape)])
    check_grad(lambda p: F.categorical_cross_entropy(p, t), [p])


# ----- Tensor operators, with broadcasting -----
@st.composite
def broadcast_pair(draw):
    shape = draw(shapes(min_dims=1, max_dims=3))
    other = list(shape[draw(st.integers(0, len(shape) - 1)):])
    other = [1 if draw(st.booleans()) else n for n in other]
    if draw(st.booleans()):
        return shape, tuple(other)
    return tuple(other), shape


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow"])
@given(pair=broadcast_pair())
def test_binary_operator_grad_with_broadcasting(op, pair):
    a_shape, b_shape = pair
    a, b = normal(a_shape, 1), normal(b_shape, 2)
    if op == "div":
        b = away_from_zero(b_shape, 2) + np.sign(away_from_zero(b_shape, 2))
    if op == "pow":
        a = np.abs(a) + 0.5
    fn = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
          "div": lambda x, y: x / y, "pow": lambda x, y: x ** y}[op]
    grads = check_grad(fn, [a, b])
    assert grads[0].shape == a_shape and grads[1].shape == b_shape


@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.sampled_from([0, 1, 2]))
def test_matmul_grad(n, k, m, batch):
    a_shape = (batch, n, k) if batch else (n, k)
    check_grad(lambda a, b: a @ b, [normal(a_shape, 1), normal((k, m), 2)])
    check_grad(lambda a, b: a @ b, [normal((k,), 1), normal((k, m), 2)])
    check_grad(lambda a, b: a @ b, [normal(a_shape, 1), normal((k,), 2)])
    check_grad(lambda a, b: a @ b, [normal((k,), 1), normal((k,), 2)])  # a dot product
    check_grad(lambda a, b: a @ b, [normal((n, k), 1), normal((batch + 1, k, m), 2)])


@given(st.sampled_from(["mul", "div", "pow"]), st.booleans())
def test_binary_grad_with_one_constant_side(op, tensor_first):
    """Only the tensor side needs a gradient; the constant's side is skipped, the tensor's is
    still right."""
    x, c = np.abs(normal((3, 4), 1)) + 0.5, np.abs(normal((3, 4), 2)) + 0.5
    fn = {"mul": lambda a, b: a * b, "div": lambda a, b: a / b, "pow": lambda a, b: a ** b}[op]
    check_grad(lambda t: fn(t, c) if tensor_first else fn(c, t), [x])


@given(shapes(max_dims=3), st.data())
def test_reductions_grad(shape, data):
    axis = data.draw(st.one_of(st.none(), st.integers(0, len(shape) - 1)))
    keepdims = data.draw(st.booleans())
    x = distinct(shape)
    check_grad(lambda x: x.sum(axis=axis, keepdims=keepdims), [x])
    check_grad(lambda x: x.mean(axis=axis, keepdims=keepdims), [x])
    check_grad(lambda x: x.max(axis=axis, keepdims=keepdims), [x])


@given(shapes(min_dims=2, max_dims=3))
def test_shape_ops_and_unary_grad(shape):
    x = normal(shape)
    check_grad(lambda x: x.reshape(-1), [x])
    check_grad(lambda x: x.T, [x])
    check_grad(lambda x: x.transpose(tuple(reversed(range(x.ndim)))) * 2, [x])
    check_grad(lambda x: x[0], [x])
    check_grad(lambda x: x[..., ::2], [x])
    check_grad(lambda x: x[np.array([0, 0, -1])], [x])  # repeated index accumulates
    check_grad(lambda x: -x.exp(), [x])
    check_grad(lambda x: (x * x + 1).log(), [x])

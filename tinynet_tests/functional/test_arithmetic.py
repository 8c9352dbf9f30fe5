"""Tensor operators and arithmetic ops: gradients with broadcasting, matmul in every rank
combination, one constant side; shape ops and unary ops."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinynet as tn
from tinynet import functional as F
from tinynet.gradcheck import check_grad

from ..arrays import away_from_zero, normal
from ..strategies import shapes


@st.composite
def broadcast_pair(draw):
    shape = draw(shapes(min_dims=1, max_dims=3))
    other = list(shape[draw(st.integers(0, len(shape) - 1)) :])
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
    fn = {
        "add": lambda x, y: x + y,
        "sub": lambda x, y: x - y,
        "mul": lambda x, y: x * y,
        "div": lambda x, y: x / y,
        "pow": lambda x, y: x**y,
    }[op]
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
    fn = {"mul": lambda a, b: a * b, "div": lambda a, b: a / b, "pow": lambda a, b: a**b}[op]
    check_grad(lambda t: fn(t, c) if tensor_first else fn(c, t), [x])


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


@given(st.sampled_from([np.float32, np.float64]))
def test_clip_passes_the_gradient_only_strictly_inside_the_bounds(dtype):
    x = tn.Tensor(np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0], dtype), requires_grad=True)
    y = F.clip(x, -1.0, 1.0)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y.data, [-1, -1, -0.5, 0, 0.5, 1, 1])
    y.backward(np.arange(1, 8, dtype=dtype))
    np.testing.assert_array_equal(x.grad, [0, 0, 3, 4, 5, 0, 0])  # zero at and beyond a bound
    check_grad(lambda x: F.clip(x, -1.0, 1.0), [np.array([-1.5, -0.9, 0.3, 0.99, 1.2])])
    with pytest.raises(ValueError, match=r"clip: expected lo <= hi, got lo=1, hi=0"):
        F.clip(x, 1, 0)

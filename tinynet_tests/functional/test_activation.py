"""Activations: stability for huge logits, one stable sigmoid, gradients over drawn shapes."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinynet as tn
from tinynet import functional as F
from tinynet.gradcheck import check_grad

from ..arrays import away_from_zero, normal
from ..strategies import shapes


def test_softmax_and_log_softmax_are_stable_for_huge_logits():
    z = tn.Tensor(np.array([[1000.0, 0.0, -1000.0], [5.0, 5.0, 5.0]]))
    p = F.softmax(z).data
    lp = F.log_softmax(z).data
    assert np.all(np.isfinite(p)) and np.all(np.isfinite(lp))
    np.testing.assert_allclose(p.sum(axis=1), 1)
    np.testing.assert_allclose(lp[1], np.log(1 / 3))
    assert lp[0, 0] == 0 and lp[0, 2] == -2000
    loss = F.softmax_cross_entropy(z, np.array([2, 0])).item()
    np.testing.assert_allclose(loss, (2000 + np.log(3)) / 2)


@given(st.sampled_from([np.float32, np.float64]))
def test_one_stable_sigmoid_serves_the_op_the_logits_loss_and_the_metrics(dtype):
    from tinynet.functional.activation import stable_sigmoid
    from tinynet.training.metrics import probabilities

    z = np.array([-800.0, -30.0, -1.5, 0.0, 2.0, 30.0, 800.0], dtype=dtype)
    with np.errstate(over="ignore"):
        plain = 1 / (1 + np.exp(-z.astype(np.float64)))
    s = stable_sigmoid(z)
    assert s.dtype == dtype and np.all(np.isfinite(s))
    np.testing.assert_allclose(s, plain, rtol=1e-6 if dtype == np.float32 else 1e-12, atol=1e-7)
    np.testing.assert_array_equal(F.sigmoid(tn.Tensor(z)).data, s)
    np.testing.assert_array_equal(probabilities(z, "sigmoid"), s)
    zt, t = tn.Tensor(z, requires_grad=True), np.ones_like(z)
    F.binary_cross_entropy_with_logits(zt, t).backward()
    np.testing.assert_allclose(zt.grad, (s - t) / z.size, rtol=1e-6)


@pytest.mark.parametrize(
    "fn",
    [F.relu, lambda x: F.leaky_relu(x, 0.2), F.tanh, F.sigmoid],
    ids=["relu", "leaky_relu", "tanh", "sigmoid"],
)
@given(shape=shapes(max_dims=4))
def test_activation_grad(fn, shape):
    check_grad(fn, [away_from_zero(shape)])


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
@given(shape=shapes(max_dims=3), axis=st.integers(-1, 0))
def test_softmax_grad(fn, shape, axis):
    check_grad(lambda x: fn(x, axis=axis), [normal(shape)])

"""Loss ops: stability, Keras's clip, gradients over drawn shapes."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import tinynet as tn
from tinynet import functional as F
from tinynet.gradcheck import check_grad

from ..arrays import normal
from ..strategies import shapes


def test_binary_cross_entropy_with_logits_is_stable():
    z = tn.Tensor(np.array([800.0, -800.0, 0.0]), requires_grad=True)
    t = np.array([0.0, 1.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(z, t)
    np.testing.assert_allclose(loss.item(), (800 + 800 + np.log(2)) / 3)
    loss.backward()
    np.testing.assert_allclose(z.grad, np.array([1.0, -1.0, -0.5]) / 3)


def test_binary_cross_entropy_clips_like_keras():
    p = tn.Tensor(np.array([0.0, 1.0]))
    loss = F.binary_cross_entropy(p, np.array([1.0, 0.0])).item()
    np.testing.assert_allclose(loss, -np.log(1e-7), rtol=1e-6)


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

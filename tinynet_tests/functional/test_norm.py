"""batch_norm: running statistics with Keras's momentum, gradients (training and inference)."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import tinynet as tn
from tinynet import functional as F
from tinynet.gradcheck import check_grad

from ..arrays import normal


def test_batch_norm_updates_running_stats_with_keras_momentum():
    x = np.random.default_rng(0).normal(2.0, 3.0, size=(64, 4))
    rm, rv = np.zeros(4), np.ones(4)
    y = F.batch_norm(
        tn.Tensor(x),
        tn.Tensor(np.ones(4)),
        tn.Tensor(np.zeros(4)),
        rm,
        rv,
        training=True,
        momentum=0.9,
        eps=1e-5,
    ).data
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(y.std(axis=0), 1, rtol=1e-4)
    np.testing.assert_allclose(rm, 0.1 * x.mean(axis=0))
    np.testing.assert_allclose(rv, 0.9 + 0.1 * x.var(axis=0, ddof=1))
    y_inf = F.batch_norm(
        tn.Tensor(x),
        tn.Tensor(np.ones(4)),
        tn.Tensor(np.zeros(4)),
        rm,
        rv,
        training=False,
        eps=1e-5,
    ).data
    np.testing.assert_allclose(y_inf, (x - rm) / np.sqrt(rv + 1e-5))


@given(st.sampled_from([(5, 3), (2, 3, 4, 4), (1, 2, 3, 3), (3, 1)]), st.booleans())
def test_batch_norm_grad(shape, training):
    C = shape[1]
    running = (normal(C, 5) * 0.1, np.abs(normal(C, 6)) + 0.5)

    def fn(x, gamma, beta):
        rm, rv = running[0].copy(), running[1].copy()
        return F.batch_norm(x, gamma, beta, rm, rv, training=training, momentum=0.9, eps=1e-3)

    check_grad(fn, [normal(shape, 1) * 2 + 1, normal(C, 2), normal(C, 3)], atol=1e-4)

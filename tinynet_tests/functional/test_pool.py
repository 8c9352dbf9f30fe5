"""max_pool2d and avg_pool2d: forward against the plain-loop reference, gradients over drawn
geometries (max-pool inputs without ties), one gradient per window on ties."""

import numpy as np
from hypothesis import given

import tinynet as tn
from tinynet import functional as F
from tinynet.gradcheck import check_grad

from .. import reference
from ..arrays import distinct, normal
from ..strategies import pool_geometry


@given(pool_geometry())
def test_pools_match_loop_reference(g):
    N, C, H, W, kernel, stride, padding = g
    x = np.random.default_rng(4).normal(size=(N, C, H, W))
    for mode, fn in (("max", F.max_pool2d), ("avg", F.avg_pool2d)):
        y = fn(tn.Tensor(x), kernel, stride, padding)
        np.testing.assert_allclose(
            y.data, reference.pool2d(x, kernel, stride, padding, mode), rtol=1e-12, err_msg=mode
        )


def test_max_pool_sends_gradient_to_exactly_one_input_per_window():
    x = tn.Tensor(np.ones((1, 1, 4, 4)), requires_grad=True)  # all tied
    y = F.max_pool2d(x, 2)
    y.backward(np.ones(y.shape))
    assert x.grad.sum() == 4
    assert np.array_equal(x.grad[0, 0, ::2, ::2], np.ones((2, 2)))


@given(pool_geometry(max_size=6))
def test_max_pool2d_grad(g):
    N, C, H, W, kernel, stride, padding = g
    check_grad(lambda x: F.max_pool2d(x, kernel, stride, padding), [distinct((N, C, H, W))])


@given(pool_geometry(max_size=6))
def test_avg_pool2d_grad(g):
    N, C, H, W, kernel, stride, padding = g
    check_grad(lambda x: F.avg_pool2d(x, kernel, stride, padding), [normal((N, C, H, W))])

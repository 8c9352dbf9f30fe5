"""Double backward of the windowed ops over drawn geometry (tn.gradcheck.check_gradgrad, float64):
conv2d with strides, paddings and dilations; conv2d_transpose with output_padding and dilation;
conv1d with every kind of padding; max and avg pooling; each in the ways the convolutions run
(row blocks, batch-last or the generic column loops)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinynet as tn
from tinynet import functional as F
from tinynet.functional.conv import Conv2d, _rest
from tinynet.gradcheck import check_grad, check_gradgrad

from ..arrays import distinct, normal
from ..strategies import (
    conv1d_geometry,
    conv_setups,
    dilated_conv_geometry,
    pool_geometry,
    transpose_geometry,
    windows_setup,
)

FEW = settings(max_examples=6)


@FEW
@given(dilated_conv_geometry(max_size=6), conv_setups, st.booleans())
def test_conv2d_gradgrad(geometry, setup, bias):
    N, ci, co, H, W, kh, kw, stride, padding, dilation = geometry
    x, w = normal((N, ci, H, W)), normal((co, ci, kh, kw), 1)
    b = [normal(co, 2)] if bias else []

    def fn(x, w, b=None):
        return F.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation)

    with windows_setup(setup):
        check_gradgrad(fn, [x, w, *b])


@FEW
@given(transpose_geometry(max_size=4), st.integers(1, 2), conv_setups)
def test_conv2d_transpose_gradgrad(geometry, d, setup):
    N, ci, co, H, W, kh, kw, stride, padding, out_pad = geometry
    x, w, b = normal((N, ci, H, W)), normal((ci, co, kh, kw), 1), normal(co, 2)

    def fn(x, w, b):
        return F.conv2d_transpose(x, w, b, stride, padding, out_pad, d)

    with windows_setup(setup):
        check_grad(fn, [x, w, b])  # dilation is new to conv2d_transpose: first order too
        check_gradgrad(fn, [x, w, b])


@FEW
@given(dilated_conv_geometry(max_size=6), conv_setups)
def test_conv2d_grad_weight_is_the_kernel_gradient_and_twice_differentiable(geometry, setup):
    N, ci, co, H, W, kh, kw, stride, padding, dilation = geometry
    x, w = normal((N, ci, H, W)), normal((co, ci, kh, kw), 1)
    with windows_setup(setup):
        xt, wt = tn.Tensor(x), tn.Tensor(w, requires_grad=True)
        y = F.conv2d(xt, wt, None, stride, padding, dilation)
        gy = normal(y.shape, 3)
        y.backward(gy)
        gw = F.conv2d_grad_weight(xt, gy, (kh, kw), stride, padding, dilation)
        np.testing.assert_allclose(gw.data, wt.grad, rtol=1e-12, atol=1e-12)
        check_gradgrad(
            lambda x, gy: F.conv2d_grad_weight(x, gy, (kh, kw), stride, padding, dilation),
            [x, gy],
        )


@settings(max_examples=10)
@given(dilated_conv_geometry(max_size=7))
def test_conv2d_transpose_with_dilation_is_the_adjoint_of_conv2d(geometry):
    N, ci, co, H, W, kh, kw, stride, padding, dilation = geometry
    x, w = normal((N, ci, H, W)), normal((co, ci, kh, kw), 1)
    y = F.conv2d(tn.Tensor(x), tn.Tensor(w), None, stride, padding, dilation).data
    g = normal(y.shape, 2)
    rest = _rest(x.shape[2:], w.shape[2:], y.shape[2:], Conv2d(stride, padding, dilation))
    back = F.conv2d_transpose(tn.Tensor(g), tn.Tensor(w), None, stride, padding, rest, dilation)
    assert back.shape == x.shape
    np.testing.assert_allclose((y * g).sum(), (x * back.data).sum(), rtol=1e-10)


@FEW
@given(conv1d_geometry())
def test_conv1d_gradgrad(geometry):
    N, ci, co, L, k, s, padding, d = geometry
    x, w, b = normal((N, ci, L)), normal((co, ci, k), 1), normal(co, 2)
    check_gradgrad(lambda x, w, b: F.conv1d(x, w, b, s, padding, d), [x, w, b])


@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d])
@FEW
@given(pool_geometry(max_size=6))
def test_pool_gradgrad(pool, geometry):
    N, C, H, W, kernel, stride, padding = geometry
    x = distinct((N, C, H, W))  # no ties: the maxima stay put under the finite differences
    # squared, so the second derivative does not vanish with the (piecewise linear) pool's
    check_gradgrad(lambda x: pool(x, kernel, stride, padding) ** 2, [x])

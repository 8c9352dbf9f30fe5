"""Dilated conv2d: forward against the plain-loop reference and float64 gradients over
hypothesis-drawn dilations, in every way the windows can run."""

import numpy as np
import pytest
from hypothesis import given, settings

import tinynet as tn
from tinynet import functional as F
from tinynet.gradcheck import check_grad

from .. import reference
from ..arrays import normal
from ..strategies import conv_setups, dilated_conv_geometry, windows_setup


@given(dilated_conv_geometry(), conv_setups)
def test_dilated_conv2d_matches_loop_reference(g, setup):
    N, ci, co, H, W, kh, kw, stride, padding, dilation = g
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=(N, ci, H, W)), rng.normal(size=(co, ci, kh, kw)), rng.normal(size=co)
    with windows_setup(setup):
        y = F.conv2d(tn.Tensor(x), tn.Tensor(w), tn.Tensor(b), stride, padding, dilation)
    np.testing.assert_allclose(
        y.data, reference.conv2d(x, w, b, stride, padding, dilation), rtol=1e-10, atol=1e-12
    )


@settings(max_examples=30)
@given(dilated_conv_geometry(max_size=7), conv_setups)
def test_dilated_conv2d_grad(g, setup):
    N, ci, co, H, W, kh, kw, stride, padding, dilation = g
    with windows_setup(setup):
        check_grad(
            lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation),
            [normal((N, ci, H, W), 1), normal((co, ci, kh, kw), 2), normal(co, 3)],
        )


def test_dilation_one_is_the_plain_convolution():
    x, w = normal((2, 3, 8, 8), 1), normal((4, 3, 3, 3), 2)
    np.testing.assert_array_equal(F.conv2d(x, w, dilation=1).data, F.conv2d(x, w).data)


def test_a_dilated_kernel_that_does_not_fit_names_its_span():
    with pytest.raises(ValueError, match=r"conv2d: kernel 3x3 \(dilation \(4, 4\)\) does not fit"):
        F.conv2d(normal((1, 1, 8, 8)), normal((1, 1, 3, 3)), dilation=4)
    with pytest.raises(ValueError, match="conv2d: dilation must be >= 1, got 0"):
        F.conv2d(normal((1, 1, 8, 8)), normal((1, 1, 3, 3)), dilation=0)

"""conv1d: forward against a plain-loop reference, float64 gradients and causality over
hypothesis-drawn dilations 1-8, kernels 1-4, strides, paddings (int, pair, "valid", "same",
"causal") and lengths shorter and longer than the receptive field."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinynet as tn
from tinynet import functional as F
from tinynet.functional.conv1d import output_length
from tinynet.gradcheck import check_grad

from .. import reference
from ..arrays import normal
from ..strategies import conv1d_geometry


def _pads(padding, k, d):
    span = d * (k - 1)
    named = {"valid": (0, 0), "same": (span // 2, span - span // 2), "causal": (span, 0)}
    if isinstance(padding, str):
        return named[padding]
    return (padding, padding) if isinstance(padding, int) else padding


@given(conv1d_geometry(), st.booleans())
def test_conv1d_matches_loop_reference(g, bias):
    N, ci, co, L, k, s, padding, d = g
    x, w, b = normal((N, ci, L), 1), normal((co, ci, k), 2), normal(co, 3) if bias else None
    y = F.conv1d(x, w, b, stride=s, padding=padding, dilation=d)
    expected = reference.conv1d(x, w, b, s, _pads(padding, k, d), d)
    assert y.shape == expected.shape == (N, co, output_length(L, k, s, padding, d))
    np.testing.assert_allclose(y.data, expected, rtol=1e-10, atol=1e-12)


@settings(max_examples=40)
@given(conv1d_geometry(max_length=20))
def test_conv1d_grad(g):
    N, ci, co, L, k, s, padding, d = g
    check_grad(
        lambda x, w, b: F.conv1d(x, w, b, stride=s, padding=padding, dilation=d),
        [normal((N, ci, L), 1), normal((co, ci, k), 2), normal(co, 3)],
    )


@given(st.integers(1, 4), st.integers(1, 8), st.integers(1, 30), st.data())
def test_causal_output_t_ignores_inputs_after_t(k, d, L, data):
    t = data.draw(st.integers(0, L - 1))
    x, w = normal((1, 2, L), 1), normal((3, 2, k), 2)
    y = F.conv1d(x, w, padding="causal", dilation=d).data
    x2 = x.copy()
    x2[:, :, t + 1 :] = normal(x2[:, :, t + 1 :].shape, 5)
    y2 = F.conv1d(x2, w, padding="causal", dilation=d).data
    np.testing.assert_array_equal(y[:, :, : t + 1], y2[:, :, : t + 1])
    if t + 1 < L:
        assert not np.allclose(y[:, :, t + 1 :], y2[:, :, t + 1 :])


def test_conv1d_keeps_float32_and_returns_a_view_the_next_conv_reads_without_copy():
    x = tn.Tensor(np.random.default_rng(0).normal(size=(3, 4, 50)).astype(np.float32))
    w = tn.Tensor(np.random.default_rng(1).normal(size=(5, 4, 2)).astype(np.float32))
    y = F.conv1d(x, w, padding="causal", dilation=4)
    assert y.dtype == np.float32 and y.shape == (3, 5, 50)
    assert y.data.transpose(1, 2, 0).flags.c_contiguous  # (C, L, N) in memory


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(padding="full"), "conv1d: padding must be an int, a pair, 'valid', 'same' or"),
        (dict(padding=-1), "conv1d: padding must be ints >= 0, got -1"),
        (dict(dilation=0), "conv1d: dilation must be >= 1, got 0"),
        (dict(stride=1.5), "conv1d: stride must be an int, got 1.5"),
        (dict(dilation=5), r"conv1d: kernel 3 with dilation 5 does not fit length 8"),
    ],
)
def test_conv1d_names_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        F.conv1d(normal((1, 2, 8)), normal((3, 2, 3)), **kwargs)


def test_conv1d_names_mismatched_shapes():
    with pytest.raises(ValueError, match=r"conv1d: x must be \(N, C, L\), got shape \(2, 8\)"):
        F.conv1d(normal((2, 8)), normal((3, 2, 3)))
    with pytest.raises(ValueError, match="conv1d: x has 2 channels .* but w expects 4"):
        F.conv1d(normal((1, 2, 8)), normal((3, 4, 3)))

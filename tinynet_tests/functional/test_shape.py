"""F.concat_channels: values against np.concatenate, float64 gradients against finite differences
(random upstream gradient), and errors naming the op and the shapes."""

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinynet as tn
from tinynet import functional as F
from tinynet.gradcheck import check_grad


@st.composite
def concat_shapes(draw):
    """((N, Ca, *S), (N, Cb, *S)) with S of 0 to 2 dimensions: feature rows up to images."""
    n, ca, cb = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rest = tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=2)))
    return (n, ca) + rest, (n, cb) + rest


@given(concat_shapes(), st.integers(0, 2**16))
def test_concat_channels_values_and_float64_gradients(shapes, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=shapes[0]), rng.normal(size=shapes[1])
    y = F.concat_channels(tn.Tensor(a), tn.Tensor(b))
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y.data, np.concatenate([a, b], axis=1))
    check_grad(lambda a, b: F.concat_channels(a, b), [a, b], seed=seed)
    # both halves reach one input
    check_grad(lambda a: F.concat_channels(a, a * 2.0), [a], seed=seed)


def test_concat_channels_keeps_float32_and_takes_a_constant():
    x = tn.Tensor(np.ones((2, 1, 3, 3), np.float32), requires_grad=True)
    planes = np.zeros((2, 4, 3, 3), np.float32)
    y = F.concat_channels(x, planes)
    assert y.shape == (2, 5, 3, 3) and y.dtype == np.float32
    gy = np.arange(y.size, dtype=np.float32).reshape(y.shape)
    y.backward(gy)
    np.testing.assert_array_equal(x.grad, gy[:, :1])


@pytest.mark.parametrize(
    "sa, sb",
    [
        ((2, 1, 4, 4), (3, 1, 4, 4)),  # N differs
        ((2, 1, 4, 4), (2, 1, 5, 4)),  # H differs
        ((2, 1, 4, 4), (2, 1, 4, 3)),  # W differs
        ((2, 1, 4, 4), (2, 1, 16)),  # rank differs
        ((3,), (3,)),  # no channel axis
    ],
)
def test_concat_channels_names_itself_and_the_shapes_when_they_do_not_fit(sa, sb):
    message = r"^concat_channels: .*" + re.escape(f"got shapes {sa} and {sb}")
    with pytest.raises(ValueError, match=message):
        F.concat_channels(np.zeros(sa, np.float32), np.zeros(sb, np.float32))


def test_concat_channels_refuses_mixed_float_dtypes():
    with pytest.raises(TypeError, match="concat_channels: dtypes differ.*float32.*float64"):
        F.concat_channels(np.zeros((1, 1), np.float32), np.zeros((1, 2), np.float64))

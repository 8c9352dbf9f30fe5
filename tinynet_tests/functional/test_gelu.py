"""GELU: the erf it is built on against math.erf, its values against the definition, float64
gradient checks over drawn shapes for both forms, and the activation name "gelu" in layers."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinynet as tn
from tinynet import functional as F
from tinynet.functional.special import erf
from tinynet.gradcheck import check_grad

from ..arrays import normal
from ..strategies import shapes


def test_erf_matches_math_erf_to_float64_precision():
    x = np.concatenate(
        [np.linspace(-7, 7, 20001), 10.0 ** np.arange(-300, 1.5, 0.25), [0.0, 1.99999, 2.0]]
    )
    x = np.concatenate([x, -x])
    exact = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(erf(x), exact, rtol=4e-15, atol=2e-15)
    assert erf(np.array([np.inf, -np.inf])).tolist() == [1.0, -1.0]
    assert np.isnan(erf(np.array([np.nan]))[0])


def test_erf_keeps_float32_and_rounds_correctly():
    x = np.linspace(-5, 5, 4001, dtype=np.float32)
    e = erf(x)
    assert e.dtype == np.float32
    exact = np.array([math.erf(float(v)) for v in x])
    np.testing.assert_allclose(e, exact, rtol=0, atol=6e-8)


def _gelu_exact(x):
    return np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x.ravel()]).reshape(
        x.shape
    )


def test_gelu_values_by_definition_and_tanh_form_close_to_it():
    x = np.linspace(-6, 6, 241)
    y = F.gelu(tn.Tensor(x)).data
    np.testing.assert_allclose(y, _gelu_exact(x), rtol=1e-14, atol=1e-15)
    yt = F.gelu(tn.Tensor(x), approximate="tanh").data
    k = math.sqrt(2 / math.pi)
    np.testing.assert_allclose(yt, 0.5 * x * (1 + np.tanh(k * (x + 0.044715 * x**3))), rtol=1e-14)
    assert np.abs(yt - y).max() < 1e-3  # the approximation is close, and not the same function
    assert np.abs(yt - y).max() > 1e-5


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_keeps_float32(approximate):
    x = tn.Tensor(normal((3, 4)).astype(np.float32), requires_grad=True)
    y = F.gelu(x, approximate)
    y.backward(np.ones((3, 4), np.float32))
    assert y.dtype == np.float32 and x.grad.dtype == np.float32
    y64 = F.gelu(tn.Tensor(x.data.astype(np.float64)), approximate).data
    np.testing.assert_allclose(y.data, y64, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@given(shape=shapes(max_dims=4), scale=st.sampled_from([0.5, 2.0, 4.0]))
def test_gelu_grad(approximate, shape, scale):
    check_grad(lambda x: F.gelu(x, approximate), [normal(shape) * scale])


def test_gelu_errors_name_the_op():
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh', got 'erf'"):
        F.gelu(tn.Tensor(np.zeros(2)), approximate="erf")
    with pytest.raises(TypeError, match="gelu: x must be floating point"):
        F.gelu(tn.Tensor(np.arange(3)))


def test_gelu_by_name_in_activation_and_dense(tmp_path):
    from tinynet.layers import Activation, Dense
    from tinynet.models import Sequential, load_model

    tn.seed(0)
    model = Sequential()
    model.add(Dense(5, activation="gelu", input_shape=(3,)))
    model.add(Activation("gelu"))
    x = normal((4, 3)).astype(np.float32)
    dense = model.layers[0]
    pre = x @ dense.kernel.data + dense.bias.data
    expected = _gelu_exact(_gelu_exact(pre.astype(np.float64)))
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)
    model.save(tmp_path / "gelu.tnz")
    np.testing.assert_array_equal(load_model(tmp_path / "gelu.tnz").predict(x), model.predict(x))

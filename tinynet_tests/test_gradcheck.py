"""The gradient checker catches planted bugs and reports where."""

import numpy as np
import pytest

import tinynet as tn
from tinynet import functional as F
from tinynet.functional.conv import Conv2d
from tinynet.functional.pool import MaxPool2d
from tinynet.gradcheck import GradcheckError, check_grad


def test_passes_a_correct_op_and_returns_the_gradients():
    x = np.random.default_rng(0).normal(size=(3, 4))
    grads = check_grad(lambda x: (x * x).sum(axis=1), [x])
    assert grads[0].shape == x.shape


class SquareIgnoringUpstream(tn.Function):
    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, gy):
        return 2 * self.x  # bug: forgets gy


def test_catches_backward_that_ignores_the_upstream_gradient():
    with pytest.raises(GradcheckError, match=r"input 0 of shape \(5,\): at element"):
        check_grad(lambda x: SquareIgnoringUpstream()(x), [np.linspace(-1, 1, 5)])


class ConvWithWrongTranspose(Conv2d):
    def backward(self, gy):
        gx, gw, gb = super().backward(gy)
        return gx, gw.transpose(0, 1, 3, 2), gb  # bug: kernel axes swapped


def test_catches_conv_backward_with_a_wrong_transpose():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(1, 2, 5, 5)), rng.normal(size=(3, 2, 3, 3))
    with pytest.raises(
        GradcheckError,
        match=r"input 1 \(w\) of shape \(3, 2, 3, 3\).*backward "
        r"gives .* but finite differences give",
    ):
        check_grad(lambda x, w: ConvWithWrongTranspose(1, 1)(x, w), [x, tn.Tensor(w, name="w")])


class PoolToWrongElement(MaxPool2d):
    def backward(self, gy):
        gx = super().backward(gy)
        return np.roll(gx, 1, axis=-1)  # bug: gradient lands beside the maximum


def test_catches_pooling_gradient_sent_to_the_wrong_element():
    x = np.random.default_rng(2).permutation(32).reshape(1, 2, 4, 4).astype(np.float64)
    with pytest.raises(GradcheckError):
        check_grad(lambda x: PoolToWrongElement(2)(x), [x])


def test_refuses_float32_inputs():
    with pytest.raises(TypeError, match="float64"):
        check_grad(F.relu, [np.ones(3, np.float32)])


def test_inputs_are_not_modified():
    x = np.arange(4.0)
    check_grad(lambda x: x * 2, [x])
    np.testing.assert_array_equal(x, np.arange(4.0))


class NaNGradient(tn.Function):
    def forward(self, x):
        return x * 2

    def backward(self, gy):
        return gy * np.nan


def test_a_nan_gradient_never_passes():
    with pytest.raises(GradcheckError, match="backward gives nan"):
        check_grad(lambda x: NaNGradient()(x), [np.ones(3)])

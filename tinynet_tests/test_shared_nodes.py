"""Gradient checks on graphs where a node feeds a later op besides its direct consumer (issue 18):
a backward walk that visits a node before all its consumers have added their gradient (pre-order
instead of a topological order) gives a wrong gradient here and only here."""

import numpy as np
import pytest

import tinynet as tn
from tinynet import functional as F
from tinynet.gradcheck import check_grad


def x64(shape, seed=0):
    return tn.Tensor(np.random.default_rng(seed).normal(size=shape), requires_grad=True)


def test_shared_node_feeding_a_later_input():
    x = x64((5,))

    def fn(x):
        a = x * 2
        return (a.exp() + a).sum()

    check_grad(fn, [x])
    out = fn(x)
    x.grad = None
    out.backward()
    np.testing.assert_allclose(x.grad, 2 * np.exp(2 * x.data) + 2)


def test_a_node_used_at_three_depths():
    def fn(x):
        a = x * 1.5
        b = a.exp() * a
        return (F.tanh(b) * a + b).sum()

    check_grad(fn, [x64((3, 4), 1)])


@pytest.mark.parametrize("depth", [1, 3, 6])
def test_residual_chain(depth):
    rng = np.random.default_rng(depth)
    ws = [tn.Tensor(rng.normal(scale=0.5, size=(4, 4)), requires_grad=True) for _ in range(depth)]

    def fn(x, *ws):
        h = x
        for w in ws:
            h = F.tanh(h @ w) + h  # f(h) + h
        return (h * h).sum()

    check_grad(fn, [x64((2, 4), 2), *ws])

"""Ops that read no input data in backward (``keeps_inputs = False``) hold large non-leaf inputs
as edges: the input's array is freed while the gradients, hooks, version checks, tn.grad and the
graph pictures still work."""

import gc
import weakref

import numpy as np
import pytest

import tinynet as tn
from tinynet import autograd
from tinynet import functional as F

BIG = autograd.KEEP_SMALL + 1


def _big(seed=0, n=BIG):
    return tn.Tensor(np.random.default_rng(seed).standard_normal(n), requires_grad=True)


def test_an_intermediate_only_relu_holds_is_freed_and_the_gradient_is_unchanged():
    x = _big()
    h = x * 3.0
    freed = weakref.ref(h)
    y = (F.relu(h) * x).sum()  # relu keeps its output only; mul keeps x and relu's output
    del h
    gc.collect()
    assert freed() is None
    y.backward()
    xd = x.data
    np.testing.assert_allclose(x.grad, np.where(xd > 0, 6 * xd, 0.0), rtol=1e-12)


def test_small_inputs_and_ops_that_need_their_inputs_keep_them():
    x = _big(n=autograd.KEEP_SMALL)
    h = x * 3.0
    kept = weakref.ref(h)
    y = F.relu(h).sum()
    del h
    gc.collect()
    assert kept() is not None  # small: kept for the graph pictures
    x2 = _big(1)
    h2 = x2 * 3.0
    kept2 = weakref.ref(h2)
    y2 = h2.exp().sum()  # exp's double backward recomputes from its input
    del h2
    gc.collect()
    assert kept2() is not None
    y.backward()
    y2.backward()


def test_an_output_changed_in_place_is_still_caught_through_an_edge():
    x = _big()
    y = x.exp()
    z = y.sum()  # sum keeps an edge, exp keeps its output
    y.data[...] = 0.0
    with pytest.raises(RuntimeError, match="output 0 of Exp"):
        z.backward()


def test_grad_hooks_and_retain_grad_reach_a_live_intermediate_held_as_an_edge():
    x = _big()
    h = x * 2.0
    h.retain_grad()
    seen = []
    h.register_hook(lambda g: seen.append(g.copy()))
    y = F.relu(h).sum()
    (gh,) = tn.grad(y, [h], retain_graph=True)
    np.testing.assert_array_equal(gh.data, (h.data > 0).astype(float))
    y.backward()
    np.testing.assert_array_equal(h.grad, (h.data > 0).astype(float))
    assert len(seen) == 2


def test_double_backward_through_relu_and_sum_of_a_freed_input():
    x = _big()
    y = (F.relu(x * x) * x).sum()  # relu's input x*x is freed; d2y/dx2 = 6x where x != 0
    (g,) = tn.grad(y, [x], create_graph=True)
    (gg,) = tn.grad(g.sum(), [x])
    np.testing.assert_allclose(gg.data, 6 * x.data, rtol=1e-12)


def test_the_graph_draws_a_freed_input_by_its_shape():
    x = _big()
    y = F.relu(x * 2.0).sum()
    tn.viz.retain_grads(y)  # the freed input is skipped, not an error
    dot = tn.viz.graph(y, show_values=True).to_dot()
    assert f"({BIG},) float64 cpu" in dot
    nodes = tn.viz.graph(y).count()
    assert nodes == 3 + 5  # Mul, ReLU, Sum; x, 2.0, x * 2 and its relu (both freed), the sum

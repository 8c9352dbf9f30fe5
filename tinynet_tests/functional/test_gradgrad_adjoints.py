"""The ops that backward_graphs are built from (the adjoints of indexing, broadcasting, pooling,
embedding; NormalCdf; the layers' HookPoint) are differentiable twice themselves, so gradients of
any order go through: check_gradgrad on each."""

import numpy as np
import pytest

import tinynet as tn
from tinynet import functional as F
from tinynet.functional.activation import NormalCdf
from tinynet.functional.embedding import EmbeddingGrad
from tinynet.functional.pool import AvgPool2d, AvgPoolGrad, MaxPool2d, MaxPoolRouting
from tinynet.functional.shape import ScatterAdd
from tinynet.gradcheck import check_grad, check_gradgrad

from ..arrays import distinct, normal


def _pool_node(cls, x, *args):
    y = cls(*args)(tn.Tensor(x, requires_grad=True))
    return y.creator


CASES = {
    "broadcast_to": (lambda x: F.broadcast_to(x, (2, 3, 4)) ** 2, [normal((3, 1))]),
    "sum_to": (lambda x: F.sum_to(x, (3, 1)) ** 2, [normal((2, 3, 4))]),
    "concat": (
        lambda a, b: F.concat([a, b * a[:, :1]], axis=1) ** 2,
        [normal((2, 3)), normal((2, 2), 1)],
    ),
    "scatter_add": (lambda g: ScatterAdd(np.array([0, 2, 0]), (3, 4))(g) ** 2, [normal((3, 4))]),
    "normal_cdf": (lambda x: NormalCdf()(x), [normal((3, 4)) * 2]),
    "embedding_grad": (
        lambda g: EmbeddingGrad(np.array([[0, 2], [2, 1]]), (4, 3))(g) ** 2,
        [normal((2, 2, 3))],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_adjoint_op(name):
    fn, inputs = CASES[name]
    check_grad(fn, inputs)
    check_gradgrad(fn, inputs)


@pytest.mark.parametrize("gather", [False, True])
def test_max_pool_routing_and_its_gather(gather):
    x = distinct((2, 2, 5, 5))
    node = _pool_node(MaxPool2d, x, 3, 2, 1)
    shape = x.shape if gather else node.y.shape
    g = normal(shape)
    check_grad(lambda g: MaxPoolRouting(node, gather)(g) ** 2, [g])
    check_gradgrad(lambda g: MaxPoolRouting(node, gather)(g) ** 2, [g])


def test_avg_pool_gradient_op():
    x = normal((2, 2, 5, 5))
    node = _pool_node(AvgPool2d, x, 3, 2, 1)
    check_grad(lambda g: AvgPoolGrad(node)(g) ** 2, [normal((2, 2, 3, 3))])
    check_gradgrad(lambda g: AvgPoolGrad(node)(g) ** 2, [normal((2, 2, 3, 3))])


def test_third_derivative_through_conv2d():
    # sum(conv2d(x, w)^3) is cubic in w: its third derivative in one kernel weight is
    # 6 sum over outputs of (d y / d w)^3, computed by three nested tn.grad calls
    rng = np.random.default_rng(0)
    x = tn.Tensor(rng.normal(size=(1, 1, 4, 4)))
    w = tn.Tensor(rng.normal(size=(1, 1, 2, 2)), requires_grad=True)
    (g1,) = tn.grad((F.conv2d(x, w, stride=1, padding=1) ** 3).sum(), w, create_graph=True)
    (g2,) = tn.grad(g1[0, 0, 0, 0], w, create_graph=True)
    (g3,) = tn.grad(g2[0, 0, 0, 0], w)
    patches = np.pad(x.data, ((0, 0), (0, 0), (1, 1), (1, 1)))[0, 0, :5, :5]  # dy/dw[0,0,0,0]
    assert g3.data[0, 0, 0, 0] == pytest.approx(6 * (patches**3).sum(), rel=1e-10)


def test_layers_backward_hooks_pass_create_graph():
    from tinynet.layers import Dense
    from tinynet.models import Sequential

    tn.seed(0)
    model = Sequential([Dense(3, activation="tanh", input_shape=(2,)), Dense(1)]).cast("float64")
    seen = []
    model.layers[0].register_backward_hook(lambda layer, gi, go: seen.append(go[0].shape))
    x = tn.Tensor(normal((4, 2)), requires_grad=True)
    (gx,) = tn.grad(model(x).sum(), x, create_graph=True)
    assert seen == [(4, 3)]
    (gx * gx).sum().backward()  # passes the layer's output again: the hook sees it again
    assert seen == [(4, 3), (4, 3)]
    assert np.abs(model.layers[0].kernel.grad).sum() > 0  # the graph was not cut at the hook

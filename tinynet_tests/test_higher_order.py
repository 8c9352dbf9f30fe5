"""Higher-order gradients: backward(create_graph=True), tn.grad, check_gradgrad catching planted
bugs, and the errors of each."""

import numpy as np
import pytest

import tinynet as tn
from tinynet import functional as F
from tinynet.gradcheck import GradcheckError, check_gradgrad


def _t(a, name=None):
    return tn.Tensor(np.asarray(a, dtype=np.float64), requires_grad=True, name=name)


def test_second_and_third_derivatives_of_a_polynomial():
    x = _t(2.0)
    y = x**4 - 3 * x * x  # y' = 4x^3 - 6x, y'' = 12x^2 - 6, y''' = 24x
    (g1,) = tn.grad(y, x, create_graph=True)
    (g2,) = tn.grad(g1, x, create_graph=True)
    (g3,) = tn.grad(g2, x)
    assert (g1.item(), g2.item(), g3.item()) == (20.0, 42.0, 48.0)
    assert g1.requires_grad and g2.requires_grad and not g3.requires_grad
    assert x.grad is None  # tn.grad touches no .grad


def test_backward_create_graph_keeps_grad_raw_and_gives_grad_tensor():
    x = _t([1.0, 2.0])
    y = (x * x * x).sum()
    y.backward(create_graph=True)
    assert isinstance(x.grad, np.ndarray)
    np.testing.assert_array_equal(x.grad, [3.0, 12.0])
    gx = x.grad_tensor
    assert isinstance(gx, tn.Tensor) and gx.requires_grad
    np.testing.assert_array_equal(gx.data, x.grad)
    x.grad = None  # DeZero's Newton step: clear, then differentiate the gradient
    assert x.grad_tensor is None
    gx.sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 12.0])  # d/dx sum(3x^2) = 6x
    assert x.grad_tensor is None  # a first-order backward left .grad


def test_create_graph_accumulates_on_the_earlier_gradient():
    x = _t(3.0)
    (x * x).backward(create_graph=True)  # 2x
    (x * x * x).backward(create_graph=True)  # + 3x^2
    assert x.grad.item() == 6 + 27
    (g2,) = tn.grad(x.grad_tensor, x)
    assert g2.item() == 2 + 18


def test_grad_of_intermediate_tensors_multiple_outputs_and_grad_outputs():
    x = _t([1.0, -2.0, 3.0])
    h = x * 2  # not a leaf
    y1, y2 = (h * h).sum(), (h * x).sum()
    gh, gx = tn.grad([y1, y2], [h, x], grad_outputs=[None, np.array(2.0)])
    np.testing.assert_array_equal(gh.data, 2 * h.data + 2 * x.data)
    # y1 = 4 sum x^2, y2 = 2 sum x^2: dy1/dx + 2 dy2/dx = 8x + 8x
    np.testing.assert_array_equal(gx.data, 16 * x.data)
    assert not gh.requires_grad


def test_grad_runs_only_the_ops_on_the_way_to_its_inputs():
    calls = []

    class Counted(tn.Function):
        def forward(self, a, w):
            self.a, self.w = a, w
            return a * w

        def backward(self, gy):
            calls.append(self.needs_grad)
            return (gy * self.w if self.needs_grad[0] else None), (
                gy * self.a if self.needs_grad[1] else None
            )

    x, w = _t([1.0, 2.0]), _t([3.0, 4.0])
    y = Counted()(F.tanh(x), w).sum()
    (gw,) = tn.grad(y, w, retain_graph=True)
    np.testing.assert_allclose(gw.data, np.tanh([1.0, 2.0]))
    assert calls == [(False, True)]  # x's branch was not asked for
    with pytest.raises(RuntimeError, match=r"grad: input 0, tensor 'z'.*was not used"):
        tn.grad(y, _t(1.0, name="z"))
    assert tn.grad(y, [_t(1.0), w], allow_unused=True)[0] is None


def test_gradient_penalty_on_an_mlp_matches_finite_differences():
    rng = np.random.default_rng(0)
    w1, w2 = rng.normal(size=(3, 4)), rng.normal(size=(4, 1))

    def penalty(x, w1, w2):
        if not x.requires_grad:  # check_grad's finite differences call fn on constants
            x = tn.Tensor(x.data, requires_grad=True)
        out = F.linear(F.tanh(F.linear(x, w1)), w2).sum()
        (gx,) = tn.grad(out, x, create_graph=True)
        return ((gx * gx).sum(axis=1) ** 0.5 - 1) ** 2

    tn.gradcheck.check_grad(penalty, [rng.normal(size=(2, 3)), w1, w2])


def test_errors_name_the_op_and_the_argument():
    class NoGraph(tn.Function):
        def forward(self, x):
            return x * 2

        def backward(self, gy):
            return gy * 2

    x = _t([1.0, 2.0])
    with pytest.raises(RuntimeError, match="create_graph: NoGraph has no backward_graph"):
        NoGraph()(x).sum().backward(create_graph=True)
    with pytest.raises(RuntimeError, match="grad: output 0.*does not require grad"):
        tn.grad(tn.Tensor(np.ones(2)), x)
    with pytest.raises(RuntimeError, match="grad: input 0.*does not require grad"):
        tn.grad((x * 2).sum(), tn.Tensor(np.ones(2)))
    with pytest.raises(RuntimeError, match=r"grad: gy may be omitted only for a scalar output"):
        tn.grad(x * 2, x)
    with pytest.raises(ValueError, match=r"grad: gy has shape \(3,\), expected output 0's shape"):
        tn.grad(x * 2, x, np.ones(3))
    with pytest.raises(ValueError, match="grad: 2 grad_outputs for 1 outputs"):
        tn.grad(x * 2, x, [np.ones(2), np.ones(2)])
    y = (x * x).sum()
    tn.grad(y, x)  # frees the graph (retain_graph defaults to create_graph=False)
    with pytest.raises(RuntimeError, match="already freed"):
        tn.grad(y, x)


class CubeWithWrongBackwardGraph(tn.Function):
    """x^3 with a correct first-order backward and a planted bug one order up."""

    def forward(self, x):
        self.x = x
        return x**3

    def backward(self, gy):
        return gy * 3 * self.x**2

    def backward_graph(self, gy):
        x = self.inputs[0]
        return gy * 3 * x * self.x  # bug: one factor of x saved as a constant


class CubeIgnoringUpstreamTwice(CubeWithWrongBackwardGraph):
    def backward_graph(self, gy):
        return tn.Tensor(gy.data) * 3 * self.inputs[0] ** 2  # bug: gy taken as a constant


def test_check_gradgrad_catches_a_constant_where_a_tensor_belongs():
    x = np.linspace(0.5, 2, 4)
    tn.gradcheck.check_grad(lambda x: CubeWithWrongBackwardGraph()(x), [x])  # first order fine
    with pytest.raises(GradcheckError, match=r"check_gradgrad: input 0 of shape \(4,\): at elem"):
        check_gradgrad(lambda x: CubeWithWrongBackwardGraph()(x), [x])


def test_check_gradgrad_catches_a_gradient_cut_from_the_upstream_gradient():
    x = np.linspace(0.5, 2, 4)
    with pytest.raises(GradcheckError, match="the upstream gradient gy of shape"):
        check_gradgrad(lambda x: CubeIgnoringUpstreamTwice()(x), [x])


def test_check_gradgrad_refuses_float32_and_passes_a_correct_op():
    with pytest.raises(TypeError, match="check_gradgrad: input 0 has dtype float32"):
        check_gradgrad(F.tanh, [np.ones(3, np.float32)])
    grads = check_gradgrad(lambda x, y: (x * y).exp(), [np.ones(3), np.ones(3) * 0.5])
    assert [g.shape for g in grads] == [(3,), (3,), (3,)]


def test_hooks_see_raw_arrays_under_create_graph():
    x = _t([1.0, 2.0])
    h = x * x
    seen = []
    h.register_hook(lambda g: seen.append(type(g)) or g * 2)
    (gx,) = tn.grad(h.sum(), x, create_graph=True)
    assert seen == [np.ndarray]
    np.testing.assert_array_equal(gx.data, 4 * x.data)

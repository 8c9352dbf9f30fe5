"""Tensor.register_hook and the layers' backward hooks: seen gradients, replacements, removal."""

import numpy as np
import pytest

import tinynet as tn
from tinynet import functional as F
from tinynet.gradcheck import numerical_grad
from tinynet.layers import Dense


def test_a_hook_sees_the_whole_gradient_of_a_leaf_and_may_replace_it():
    x = tn.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.copy()) or g * 10)
    (x * x + x).sum().backward()  # two uses of x: the hook runs once, on 2x + 1
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], [3.0, 5.0])
    np.testing.assert_allclose(x.grad, [30.0, 50.0])
    handle.remove()
    x.grad = None
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 4.0])
    assert len(seen) == 1


def test_a_hook_on_an_intermediate_changes_what_flows_upstream():
    x = tn.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x * 3
    with h.register_hook(lambda g: np.zeros_like(g) + 1.0):
        (h * h).sum().backward()  # dL/dh = 2h would be [6, 12]; replaced by 1
    np.testing.assert_allclose(x.grad, [3.0, 3.0])


def test_hooks_run_in_order_and_a_wrong_shape_is_a_clear_error():
    x = tn.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    x.register_hook(lambda g: g + 1)
    x.register_hook(lambda g: g * 2)
    (x * 1.0).sum().backward()
    np.testing.assert_allclose(x.grad, [4.0, 4.0])
    y = tn.Tensor(np.ones(2), requires_grad=True)
    y.register_hook(lambda g: np.ones(3))
    with pytest.raises(ValueError, match="returned a gradient of shape \\(3,\\)"):
        (y * 2).sum().backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        tn.Tensor(np.ones(2)).register_hook(print)


def _dense():
    layer = Dense(3, input_shape=(4,), dtype="float64")
    layer.build((4,), "float64")
    return layer


def test_backward_hook_gradients_equal_finite_differences():
    rng = np.random.default_rng(0)
    layer = _dense()
    x = tn.Tensor(rng.standard_normal((2, 4)), requires_grad=True)
    gy = rng.standard_normal((2, 3))
    got = []
    handle = layer.register_backward_hook(lambda lay, gin, gout: got.append((lay, gin, gout)))
    layer(x).backward(gy)
    ((lay, (gin,), (gout,)),) = got
    assert lay is layer
    np.testing.assert_allclose(gout, gy)
    numeric = numerical_grad(lambda t: layer(t), [tn.Tensor(x.data.copy())], gy, 0, 1e-6)
    np.testing.assert_allclose(gin, numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gin, gy @ layer.kernel.data.T)
    handle.remove()
    layer(x).backward(gy)
    assert len(got) == 1


def test_backward_hook_may_replace_grad_input_and_sees_only_its_own_share():
    layer = _dense()
    x = tn.Tensor(np.ones((2, 4)), requires_grad=True)
    layer.register_backward_hook(lambda lay, gin, gout: (np.zeros_like(gin[0]),))
    (layer(x).sum() + x.sum()).backward()  # x also feeds the loss directly
    np.testing.assert_allclose(x.grad, np.ones((2, 4)))  # only the direct share is left


def test_backward_hook_on_the_first_layer_gets_none_for_the_data():
    layer = _dense()
    got = []
    layer.register_backward_hook(lambda lay, gin, gout: got.append((gin, gout)))
    layer(np.ones((2, 4))).sum().backward()
    ((gin, gout),) = got
    assert gin == (None,) and gout[0].shape == (2, 3)
    assert layer.kernel.grad is not None


def test_tensor_hooks_serve_a_gradient_flow_probe_on_f_ops():
    w = tn.Tensor(np.ones((3, 2)), requires_grad=True, name="w")
    norms = {}
    w.register_hook(lambda g: norms.__setitem__("w", float(np.linalg.norm(g))))
    F.linear(tn.Tensor(np.ones((4, 3))), w).sum().backward()
    assert norms["w"] == pytest.approx(np.linalg.norm(np.full((3, 2), 4.0)))


def test_backward_hook_on_the_last_layer_fires_under_a_fused_softmax_loss():
    from tinynet.models import Sequential

    tn.seed(0)
    model = Sequential(
        [Dense(4, activation="relu", input_shape=(3,)), Dense(5, activation="softmax")]
    )
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    assert model._fused()  # the loss takes the last layer's logits
    seen = []
    handle = model.layers[-1].register_backward_hook(
        lambda layer, gi, go: seen.append((gi[0].shape, go[0].copy()))
    )
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 3)).astype(np.float32)
    t = np.eye(5, dtype=np.float32)[rng.integers(0, 5, 6)]
    logits = model.call_pre_activation(tn.Tensor(x)).data  # before the update
    model.train_on_batch(x, t)
    assert len(seen) == 1 and seen[0][0] == (6, 4)
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    np.testing.assert_allclose(seen[0][1], (p - t) / 6, atol=1e-5)  # the gradient at the logits
    handle.remove()
    model.train_on_batch(x, t)
    assert len(seen) == 1

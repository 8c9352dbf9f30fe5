"""Optimizers: updates against PyTorch's (same formulas up to Keras's sign conventions), float32
in place, schedules, clipping, state save/restore, lookup by name."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinynet as tn
from tinynet import optimizers
from tinynet.optimizers import SGD, Adagrad, Adam, CosineDecay, ExponentialDecay, RMSprop, StepDecay

try:
    import torch
except ImportError:  # only the comparisons with torch.optim need it
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def run_tinynet(opt, p0, grads):
    p = tn.Tensor(p0.copy(), requires_grad=True)
    ref = p.data
    for g in grads:
        p.grad = g
        opt.step([p])
    assert p.data is ref and p.dtype == p0.dtype  # in place, dtype kept
    return p.data


def run_torch(make, p0, grads):
    p = torch.nn.Parameter(torch.tensor(p0, dtype=torch.float64))
    opt = make([p])
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
    return p.detach().numpy()


CASES = [
    (lambda: SGD(lr=0.1), lambda ps: torch.optim.SGD(ps, lr=0.1)),
    (lambda: SGD(lr=0.1, momentum=0.9), lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)),
    (
        lambda: SGD(lr=0.05, momentum=0.8, nesterov=True),
        lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.8, nesterov=True),
    ),
    (
        lambda: SGD(lr=0.1, momentum=0.5, weight_decay=0.01),
        lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.5, weight_decay=0.01),
    ),
    (lambda: Adam(lr=0.01, epsilon=1e-12), lambda ps: torch.optim.Adam(ps, lr=0.01, eps=1e-12)),
    (
        lambda: Adam(learning_rate=0.02, beta_1=0.5, beta_2=0.9, epsilon=1e-12, amsgrad=True),
        lambda ps: torch.optim.Adam(ps, lr=0.02, betas=(0.5, 0.9), eps=1e-12, amsgrad=True),
    ),
    (
        lambda: RMSprop(lr=0.01, rho=0.8, epsilon=1e-8),
        lambda ps: torch.optim.RMSprop(ps, lr=0.01, alpha=0.8, eps=1e-8),
    ),
    (lambda: Adagrad(lr=0.1, epsilon=1e-10), lambda ps: torch.optim.Adagrad(ps, lr=0.1, eps=1e-10)),
]


@needs_torch
@pytest.mark.parametrize("ours,theirs", CASES)
def test_updates_match_pytorch(ours, theirs):
    rng = np.random.default_rng(0)
    p0 = rng.normal(size=(4, 3))
    grads = [rng.normal(size=(4, 3)) for _ in range(6)]
    np.testing.assert_allclose(
        run_tinynet(ours(), p0, grads), run_torch(theirs, p0, grads), rtol=1e-9, atol=1e-12
    )


@needs_torch
@pytest.mark.parametrize("ours,theirs", CASES[:3] + CASES[4:5])
def test_float32_updates_stay_float32_and_close(ours, theirs):
    rng = np.random.default_rng(1)
    p0 = rng.normal(size=(50,)).astype("float32")
    grads = [rng.normal(size=(50,)).astype("float32") for _ in range(5)]
    out = run_tinynet(ours(), p0, grads)
    assert out.dtype == np.float32
    np.testing.assert_allclose(
        out,
        run_torch(theirs, p0.astype(float), [g.astype(float) for g in grads]),
        rtol=1e-5,
        atol=1e-6,
    )


def test_keras_decay_and_schedules():
    opt = SGD(lr=1.0, decay=0.5)
    opt.iterations = 4
    assert opt.current_lr() == pytest.approx(1 / 3)
    assert StepDecay(0.1, drop=0.5, step_size=10)(25) == pytest.approx(0.025)
    assert ExponentialDecay(1.0, 10, 0.5)(5) == pytest.approx(0.5**0.5)
    assert ExponentialDecay(1.0, 10, 0.5, staircase=True)(15) == pytest.approx(0.5)
    cos = CosineDecay(0.2, 100, alpha=0.1)
    assert (
        cos(0) == pytest.approx(0.2)
        and cos(100) == pytest.approx(0.02)
        and cos(500) == pytest.approx(0.02)
    )
    assert cos(50) == pytest.approx(0.2 * (0.9 * 0.5 + 0.1))


def test_schedule_drives_each_step():
    seen = []
    opt = SGD(lr=lambda step: seen.append(step) or 0.1 * (step + 1))
    p = tn.Tensor(np.zeros(1), requires_grad=True)
    for _ in range(3):
        p.grad = np.ones(1)
        opt.step([p])
    assert seen == [0, 1, 2]
    np.testing.assert_allclose(p.data, [-(0.1 + 0.2 + 0.3)])


@given(st.floats(0.1, 10), st.lists(st.floats(-5, 5), min_size=2, max_size=6))
def test_clipnorm_bounds_the_global_norm(clip, values):
    g1, g2 = np.array(values), np.array(values[::-1]) * 2
    norm = math.sqrt((g1**2).sum() + (g2**2).sum())
    a, b = (
        tn.Tensor(np.zeros_like(g1), requires_grad=True),
        tn.Tensor(np.zeros_like(g2), requires_grad=True),
    )
    a.grad, b.grad = g1, g2
    SGD(lr=1.0, clipnorm=clip).step([a, b])
    scale = min(1.0, clip / norm) if norm > 0 else 1.0
    np.testing.assert_allclose(a.data, -g1 * scale, atol=1e-12)
    np.testing.assert_allclose(b.data, -g2 * scale, atol=1e-12)


def test_clipvalue():
    p = tn.Tensor(np.zeros(3), requires_grad=True)
    p.grad = np.array([-5.0, 0.2, 9.0])
    SGD(lr=1.0, clipvalue=1.0).step([p])
    np.testing.assert_allclose(p.data, [1.0, -0.2, -1.0])


def test_state_round_trip_resumes_identically():
    rng = np.random.default_rng(2)
    p0 = rng.normal(size=5)
    grads = [rng.normal(size=5) for _ in range(6)]
    straight = run_tinynet(Adam(lr=0.1), p0, grads)
    first = Adam(lr=0.1)
    p = tn.Tensor(p0.copy(), requires_grad=True)
    for g in grads[:3]:
        p.grad = g
        first.step([p])
    saved = {k: v.copy() for k, v in first.state_arrays([p]).items()}
    second = optimizers.from_config(optimizers.serialize(first))
    q = tn.Tensor(p.data.copy(), requires_grad=True)
    second.load_state([q], saved, first.iterations)
    for g in grads[3:]:
        q.grad = g
        second.step([q])
    np.testing.assert_array_equal(q.data, straight)


def test_lookup_aliases_and_errors():
    assert isinstance(optimizers.get("SGD"), SGD) and isinstance(optimizers.get("rmsprop"), RMSprop)
    assert optimizers.rmsprop is RMSprop
    assert Adam().lr == 0.001 and SGD().lr == 0.01 and Adam(learning_rate=0.5).learning_rate == 0.5
    with pytest.raises(ValueError, match="unknown optimizer 'adamw'"):
        optimizers.get("adamw")
    with pytest.raises(TypeError, match="lr or learning_rate"):
        SGD(lr=0.1, learning_rate=0.1)
    with pytest.raises(ValueError, match=r"^SGD: momentum must be in \[0, 1\), got 1.5$"):
        SGD(momentum=1.5)
    for momentum in (0, 0.0):
        with pytest.raises(
            ValueError,
            match=rf"^SGD: nesterov=True needs momentum > 0, got "
            rf"momentum={momentum}$",
        ):
            SGD(momentum=momentum, nesterov=True)
    assert SGD(momentum=0.5, nesterov=True).nesterov and not SGD(nesterov=False).nesterov
    with pytest.raises(ValueError, match="custom learning-rate"):
        SGD(lr=lambda s: 0.1).get_config()
    restored = optimizers.from_config(
        optimizers.serialize(SGD(lr=CosineDecay(0.1, 10), momentum=0.9))
    )
    assert isinstance(restored.lr, CosineDecay) and restored.momentum == 0.9


def test_parameters_without_gradient_are_skipped():
    p, q = tn.Tensor(np.ones(2), requires_grad=True), tn.Tensor(np.ones(2), requires_grad=True)
    p.grad = np.ones(2)
    Adam(lr=0.1).step([p, q])
    np.testing.assert_array_equal(q.data, 1.0)
    assert not np.allclose(p.data, 1.0)

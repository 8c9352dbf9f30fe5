"""WGAN-GP: the gradient penalty's gradient (through double backward) against finite
differences, a training step on tiny players, and the critic's checks."""

import numpy as np
import pytest

import tinynet as tn
from tinynet.gan import dcgan_discriminator, dcgan_generator
from tinynet.gan.wgan_gp import WGANGP, gradient_penalty, wgan_critic


def _smooth_critic():
    """A tiny critic with smooth activations, so every weight (biases too) moves the penalty
    smoothly and finite differences apply everywhere."""
    from tinynet.layers import Activation, Conv2D, Dense, Flatten
    from tinynet.models import Sequential

    tn.seed(0)
    layers = [
        Conv2D(2, 4, strides=2, padding="same", input_shape=(1, 8, 8)),
        Activation("tanh"),
        Conv2D(3, 3, strides=2, padding="same"),
        Activation("gelu"),
        Flatten(),
        Dense(3),
        Activation("gelu"),
        Dense(1),
    ]
    critic = Sequential(layers).cast("float64")
    for w in critic.trainable_weights:  # biases away from zero, weights of order one
        w.data[...] = np.random.default_rng(w.size).normal(size=w.shape) * 0.7
    return critic


def _check_penalty_gradient(critic, kernels_only=False):
    rng = np.random.default_rng(1)
    real, fake = rng.uniform(-1, 1, (3, 1, 8, 8)), rng.uniform(-1, 1, (3, 1, 8, 8))

    def penalty():
        return gradient_penalty(critic, real, fake, rng=np.random.default_rng(5))

    gp = penalty()
    assert gp.item() > 0
    gp.backward()
    eps, checked = 1e-6, 0
    for w in critic.trainable_weights[:-1]:  # the last bias moves every score alike
        if kernels_only and w.ndim == 1:
            continue
        analytic, flat = w.grad, w.data.reshape(-1)
        for k in np.random.default_rng(2).choice(flat.size, min(4, flat.size), replace=False):
            orig = flat[k]
            flat[k] = orig + eps
            up = penalty().item()
            flat[k] = orig - eps
            down = penalty().item()
            flat[k] = orig
            numeric = (up - down) / (2 * eps)
            np.testing.assert_allclose(analytic.reshape(-1)[k], numeric, rtol=1e-4, atol=1e-9)
            checked += 1
    assert critic.trainable_weights[-1].grad is None  # no gradient of the penalty reaches it
    return checked


def test_penalty_gradient_in_every_critic_weight_matches_finite_differences():
    assert _check_penalty_gradient(_smooth_critic()) == 4 + 2 + 4 + 3 + 4 + 3 + 3  # 7 weights


def test_penalty_gradient_in_the_wgan_critic_kernels_matches_finite_differences():
    # LeakyReLU: the gradient in the input is piecewise constant in the biases (kinks), so the
    # finite differences are taken in the kernels only
    tn.seed(0)
    critic = wgan_critic(input_shape=(1, 8, 8), width=2, dense=3).cast("float64")
    assert _check_penalty_gradient(critic, kernels_only=True) == 4 + 4 + 4 + 3


def test_penalty_is_zero_for_a_critic_with_unit_gradient_everywhere():
    # a critic linear in its input with a kernel of norm 1 has ||grad|| = 1 at every x_hat
    from tinynet.layers import Dense, Flatten
    from tinynet.models import Sequential

    critic = Sequential([Flatten(input_shape=(1, 2, 2)), Dense(1)]).cast("float64")
    critic.layers[1].kernel.data[...] = np.array([[0.5], [0.5], [-0.5], [0.5]])
    x = np.random.default_rng(0).normal(size=(4, 1, 2, 2))
    assert gradient_penalty(critic, x, x[::-1].copy()).item() == pytest.approx(0, abs=1e-12)


def test_a_training_step_moves_both_players_and_logs_the_wasserstein_estimate():
    tn.seed(0)
    gan = WGANGP(dcgan_generator(latent_dim=8, width=4), wgan_critic(width=4), latent_dim=8)
    gan.compile(n_critic=2)
    before_g = [w.data.copy() for w in gan.generator.trainable_weights]
    before_d = [w.data.copy() for w in gan.discriminator.trainable_weights]
    x = np.random.default_rng(0).uniform(-1, 1, (8, 1, 28, 28)).astype(np.float32)
    logs = gan.train_on_batch(x)
    assert set(logs) == {"d_loss", "g_loss", "w_distance", "gp"}
    assert all(np.isfinite(v) for v in logs.values())
    assert logs["gp"] > 0
    assert logs["d_loss"] == pytest.approx(10 * logs["gp"] - logs["w_distance"], rel=1e-5)
    for before, w in zip(before_g, gan.generator.trainable_weights):
        assert not np.array_equal(before, w.data)
    # every critic weight but the last bias, which cancels in D(x) - D(G(z)) and in the penalty
    for before, w in zip(before_d[:-1], gan.discriminator.trainable_weights[:-1]):
        assert not np.array_equal(before, w.data)
    np.testing.assert_array_equal(before_d[-1], gan.discriminator.trainable_weights[-1].data)
    assert all(w.dtype == np.float32 for w in gan.discriminator.trainable_weights)
    history = gan.fit(x, epochs=1, batch_size=4, verbose=0)  # 2 critic steps, 1 generator step
    assert {"d_loss", "g_loss", "w_distance", "gp"} <= set(history.history)


def test_the_critic_must_give_a_score():
    with pytest.raises(ValueError, match="WGANGP: the critic must give an unbounded score"):
        WGANGP(dcgan_generator(latent_dim=8, width=4), dcgan_discriminator(width=4), latent_dim=8)
    with pytest.raises(ValueError, match="gp_weight must be a number >= 0"):
        WGANGP(dcgan_generator(latent_dim=8, width=4), wgan_critic(width=4), 8).compile(
            gp_weight=-1
        )

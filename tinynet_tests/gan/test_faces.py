"""tinynet.gan.faces: Radford's 64x64 DCGAN pair (shapes, layer pattern, no hidden dense or
pooling layer), its compile settings, and one training iteration of a tiny width."""

import numpy as np
import pytest

import tinynet as tn
from tinynet.gan.faces import face_discriminator, face_gan, face_generator
from tinynet.layers import (
    Activation,
    BatchNormalization,
    Conv2D,
    Conv2DTranspose,
    Dense,
    LeakyReLU,
    MaxPooling2D,
    UpSampling2D,
)
from tinynet.training import optimizers


def kinds(model, *types):
    return [type(layer) for layer in model.layers if isinstance(layer, types)]


@pytest.mark.parametrize("width", [1, 3])
def test_generator_projects_z_to_4x4_then_four_fractionally_strided_convs_to_64x64(width):
    tn.seed(0)
    g = face_generator(width=width)
    assert g.input_shape == (100,) and g.output_shape == (3, 64, 64)
    dense = [layer for layer in g.layers if isinstance(layer, Dense)]
    assert len(dense) == 1 and dense[0].units == 8 * width * 16  # the projection only
    convs = [layer for layer in g.layers if isinstance(layer, Conv2DTranspose)]
    assert [c.filters for c in convs] == [4 * width, 2 * width, width, 3]
    assert all(c.strides == (2, 2) and c.kernel_size == (5, 5) for c in convs)
    assert len(kinds(g, BatchNormalization)) == 4  # after the projection and 3 of the 4 convs
    assert not kinds(g, MaxPooling2D, UpSampling2D)
    z = np.random.default_rng(0).uniform(-1, 1, (2, 100)).astype(np.float32)
    x = g.predict(z)
    assert x.shape == (2, 3, 64, 64) and x.dtype == np.float32
    assert np.abs(x).max() <= 1  # tanh
    assert convs[-1].activation_config() == "tanh"
    assert all(c.activation_config() == "linear" for c in convs[:-1])  # BN, then ReLU
    sizes = []
    h = tn.Tensor(z)
    for layer in g.layers:
        h = layer(h, training=False)
        if isinstance(layer, Conv2DTranspose):
            sizes.append(h.shape[2:])
    assert sizes == [(8, 8), (16, 16), (32, 32), (64, 64)]
    relus = [a for a in g.layers if isinstance(a, Activation)]
    assert len(relus) == 4


def test_discriminator_mirrors_it_with_strided_convs_and_leaky_relu():
    tn.seed(0)
    d = face_discriminator(width=2)
    assert d.input_shape == (3, 64, 64) and d.output_shape == (1,)
    convs = [layer for layer in d.layers if isinstance(layer, Conv2D)]
    assert [c.filters for c in convs] == [2, 4, 8, 16]
    assert all(c.strides == (2, 2) for c in convs)
    leaky = [layer for layer in d.layers if isinstance(layer, LeakyReLU)]
    assert len(leaky) == 4 and all(layer.alpha == 0.2 for layer in leaky)
    assert len(kinds(d, BatchNormalization)) == 3  # none on the input layer
    assert type(d.layers[1]) is LeakyReLU  # the first conv goes straight to its activation
    assert len([layer for layer in d.layers if isinstance(layer, Dense)]) == 1
    assert not kinds(d, MaxPooling2D)
    assert d.output_activation == "sigmoid"
    p = d.predict(np.random.default_rng(0).uniform(-1, 1, (3, 3, 64, 64)).astype(np.float32))
    assert p.shape == (3, 1) and ((p > 0) & (p < 1)).all()


def test_face_gan_uses_radfords_optimizer_uniform_z_and_a_weight_average():
    tn.seed(0)
    gan = face_gan(width=1)
    for opt in (gan.g_optimizer, gan.d_optimizer):
        config = optimizers.serialize(opt)["config"]
        assert config["lr"] == pytest.approx(2e-4) and config["beta_1"] == 0.5
    assert gan.g_optimizer is not gan.d_optimizer
    assert gan.latent == "uniform" and gan.latent_dim == 100
    z = gan.sample_z(1000, np.random.default_rng(0))
    assert z.min() >= -1 and z.max() <= 1 and z.min() < -0.99
    assert gan.ema is not None and gan.ema.decay == 0.997
    assert face_gan(width=1, ema_decay=0).ema is None


def test_one_iteration_moves_both_players_and_the_average():
    tn.seed(0)
    gan = face_gan(width=1, ema_decay=0.5)
    real = np.random.default_rng(0).uniform(-1, 1, (4, 3, 64, 64)).astype(np.float32)
    g0 = [w.numpy().copy() for w in gan.generator.trainable_weights]
    d0 = [w.numpy().copy() for w in gan.discriminator.trainable_weights]
    e0 = [w.numpy().copy() for w in gan.ema.model.trainable_weights]
    logs = gan.train_on_batch(real)
    assert set(logs) == {"d_loss", "g_loss", "d_acc"} and all(np.isfinite(list(logs.values())))
    for before, model in ((g0, gan.generator), (d0, gan.discriminator), (e0, gan.ema.model)):
        moved = [not np.array_equal(b, w.numpy()) for b, w in zip(before, model.trainable_weights)]
        assert all(moved)
    images = gan.generate(5, rng=np.random.default_rng(1))
    assert images.shape == (5, 3, 64, 64)


def test_same_seed_same_first_iteration():
    def once():
        tn.seed(3)
        gan = face_gan(width=1)
        real = np.random.default_rng(0).uniform(-1, 1, (4, 3, 64, 64)).astype(np.float32)
        gan.train_on_batch(real)
        return gan.generator.get_weights()

    for a, b in zip(once(), once()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad", [0, -2, 2.5, "32"])
def test_bad_width_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="face_generator: width must be a positive int"):
        face_generator(width=bad)
    with pytest.raises(ValueError, match="face_discriminator: width"):
        face_discriminator(width=bad)

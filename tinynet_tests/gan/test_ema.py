"""tinynet.gan.ema: the generator's weight average, its BatchNorm standing statistics, and the
GAN sampling from it."""

import os

import numpy as np
import pytest

import tinynet as tn
from tinynet.gan import GAN, ConditionalGAN, dcgan_discriminator, dcgan_generator
from tinynet.gan.ema import WeightAverage
from tinynet.layers import BatchNormalization, Dense
from tinynet.models import Sequential, load_model


def dense_bn(seed=0):
    tn.seed(seed)
    return Sequential([Dense(3, input_shape=(2,)), BatchNormalization(momentum=0.9), Dense(2)])


def real_batch(n, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 1, 28, 28)).astype(np.float32)


def test_update_moves_each_trainable_weight_by_one_minus_decay_of_the_gap():
    source = dense_bn()
    ema = WeightAverage(source, decay=0.75)
    before = [w.numpy().copy() for w in ema.model.trainable_weights]
    rng = np.random.default_rng(1)
    for w in source.trainable_weights:
        w.data[...] = rng.standard_normal(w.shape).astype(np.float32)
    ema.update()
    for avg, old, w in zip(ema.model.trainable_weights, before, source.trainable_weights):
        np.testing.assert_allclose(avg.numpy(), 0.75 * old + 0.25 * w.numpy(), rtol=1e-6, atol=1e-7)
    assert ema.stale and ema.updates == 1
    # the moving statistics are not averaged: refresh() estimates them
    bn = ema.model.layers[1]
    np.testing.assert_array_equal(bn.moving_mean.numpy(), np.zeros(3, np.float32))


def test_repeated_updates_converge_to_a_fixed_source():
    source = dense_bn()
    ema = WeightAverage(source, decay=0.5)
    target = [w.numpy() + 1.0 for w in source.trainable_weights]
    for w, t in zip(source.trainable_weights, target):
        w.data[...] = t
    for _ in range(40):
        ema.update()
    for avg, t in zip(ema.model.trainable_weights, target):
        np.testing.assert_allclose(avg.numpy(), t, rtol=1e-5, atol=1e-6)


def test_refresh_sets_the_plain_mean_of_the_batch_statistics():
    source = dense_bn()
    ema = WeightAverage(source, decay=0.9)
    batches = [
        np.random.default_rng(k).normal(k, 1 + k, (16, 2)).astype(np.float32) for k in range(4)
    ]
    ema.refresh(lambda k: batches[k], batches=4)
    dense, bn = ema.model.layers[0], ema.model.layers[1]
    w, b = dense.kernel.numpy().astype(np.float64), dense.bias.numpy().astype(np.float64)
    h = [x.astype(np.float64) @ w + b for x in batches]
    np.testing.assert_allclose(
        bn.moving_mean.numpy(), np.mean([a.mean(0) for a in h], axis=0), rtol=1e-4, atol=1e-5
    )
    np.testing.assert_allclose(
        bn.moving_variance.numpy(),
        np.mean([a.var(0, ddof=1) for a in h], axis=0),
        rtol=1e-4,
        atol=1e-5,
    )
    assert bn.momentum == 0.9 and not ema.stale
    # the source's statistics are untouched
    np.testing.assert_array_equal(source.layers[1].moving_mean.numpy(), np.zeros(3, np.float32))


def test_decay_must_be_inside_zero_one():
    with pytest.raises(ValueError, match="WeightAverage: decay must be in"):
        WeightAverage(dense_bn(), decay=1.0)


def test_gan_with_ema_samples_from_the_average_and_saves_it(tmp_path):
    tn.seed(0)
    gan = GAN(dcgan_generator(8, 4), dcgan_discriminator(width=4), latent_dim=8).compile(
        ema_decay=0.9
    )
    d_before = [w.numpy().copy() for w in gan.discriminator.weights]
    gan.generator_step(16)
    assert gan.ema.updates == 1
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(d_before, gan.discriminator.weights))
    gan.fit(real_batch(64), epochs=1, batch_size=16, verbose=0)
    assert gan.ema.updates == 1 + 4
    z = gan.sample_z(6, np.random.default_rng(3))
    images = gan.generate(z=z)
    assert not gan.ema.stale
    np.testing.assert_array_equal(images, gan.ema.model.predict(z))
    assert not np.allclose(images, gan.generator.predict(z))
    gan.save(tmp_path)
    assert sorted(os.listdir(tmp_path)) == [
        "discriminator.tnz",
        "generator.tnz",
        "generator_ema.tnz",
    ]
    np.testing.assert_allclose(
        load_model(tmp_path / "generator_ema.tnz", compile=False).predict(z),
        images,
        rtol=1e-6,
        atol=1e-6,
    )


def test_gan_without_ema_samples_from_the_generator():
    gan = GAN(dcgan_generator(8, 4), dcgan_discriminator(width=4), latent_dim=8).compile()
    z = gan.sample_z(3, np.random.default_rng(0))
    assert gan.ema is None and gan.sampler is gan.generator
    np.testing.assert_array_equal(gan.generate(z=z), gan.generator.predict(z))


def test_conditional_gan_refreshes_with_labels():
    tn.seed(0)
    cgan = ConditionalGAN(
        dcgan_generator(18, 4), dcgan_discriminator((11, 28, 28), 4), latent_dim=8
    )
    cgan.compile(ema_decay=0.99)
    cgan.fit(real_batch(32), np.arange(32) % 10, epochs=1, batch_size=16, verbose=0)
    images = cgan.generate(labels=["seven", 1, "3"])
    assert images.shape == (3, 1, 28, 28) and np.isfinite(images).all()

"""tinynet.gan.checkpoint: a GAN's whole training state in one file, and resuming from it."""

import numpy as np
import pytest

import tinynet as tn
from tinynet.gan import LossRecorder
from tinynet.gan.checkpoint import (
    load_gan_checkpoint,
    resume_gan,
    save_gan_checkpoint,
)
from tinynet.gan.faces import face_gan
from tinynet.models.saving import ModelFileError


def real_faces(n=4, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 3, 64, 64)).astype(np.float32)


def trained_gan(width=1, ema_decay=0.5, steps=2):
    tn.seed(0)
    gan = face_gan(width=width, ema_decay=ema_decay)
    for k in range(steps):
        gan.train_on_batch(real_faces(seed=k))
    return gan


def weights(model):
    return [w.numpy().copy() for w in model.weights]


def test_round_trip_restores_players_optimizers_and_average(tmp_path):
    gan = trained_gan()
    save_gan_checkpoint(gan, tmp_path / "c.tnz", {"epochs": 3, "note": "x"})
    tn.seed(1)
    fresh = face_gan(width=1, ema_decay=0.5)
    state = load_gan_checkpoint(fresh, tmp_path / "c.tnz")
    assert state == {"epochs": 3, "note": "x"}
    for a, b in ((gan.generator, fresh.generator), (gan.discriminator, fresh.discriminator)):
        for u, v in zip(weights(a), weights(b)):
            np.testing.assert_array_equal(u, v)
    for u, v in zip(weights(gan.ema.model), weights(fresh.ema.model)):
        np.testing.assert_array_equal(u, v)
    assert fresh.ema.updates == gan.ema.updates == 2
    for a, b in ((gan.g_optimizer, fresh.g_optimizer), (gan.d_optimizer, fresh.d_optimizer)):
        assert b.iterations == a.iterations > 0
    g_params = gan.generator.trainable_weights
    saved = gan.g_optimizer.state_arrays(g_params)
    loaded = fresh.g_optimizer.state_arrays(fresh.generator.trainable_weights)
    assert saved.keys() == loaded.keys() and saved
    for key in saved:
        np.testing.assert_array_equal(saved[key], loaded[key])


def test_a_resumed_step_equals_the_uninterrupted_one(tmp_path):
    """Adam's moments and step count come back: the next step moves the weights exactly as the
    uninterrupted GAN's does (a GAN given fresh optimizers instead would move differently)."""
    gan = trained_gan()
    save_gan_checkpoint(gan, tmp_path / "c.tnz")
    resumed = face_gan(width=1, ema_decay=0.5)
    load_gan_checkpoint(resumed, tmp_path / "c.tnz")
    restarted = face_gan(width=1, ema_decay=0.5)  # same weights, fresh optimizers
    restarted.generator.set_weights(gan.generator.get_weights())
    restarted.discriminator.set_weights(gan.discriminator.get_weights())
    after = []
    for g in (gan, resumed, restarted):
        tn.seed(7)
        g.train_on_batch(real_faces(seed=9))
        after.append(weights(g.generator))
    for u, v in zip(after[0], after[1]):
        np.testing.assert_array_equal(u, v)
    assert any(not np.allclose(u, v) for u, v in zip(after[0], after[2]))


def test_another_architecture_is_refused_naming_the_part(tmp_path):
    save_gan_checkpoint(trained_gan(width=1), tmp_path / "c.tnz")
    with pytest.raises(ModelFileError, match=r"c\.tnz.*generator weight .*shape"):
        load_gan_checkpoint(face_gan(width=2, ema_decay=0.5), tmp_path / "c.tnz")
    with pytest.raises(ModelFileError, match="ema weight .*missing"):
        plain = trained_gan(ema_decay=None)
        save_gan_checkpoint(plain, tmp_path / "plain.tnz")
        load_gan_checkpoint(face_gan(width=1, ema_decay=0.5), tmp_path / "plain.tnz")


def test_a_model_file_is_not_a_gan_checkpoint(tmp_path):
    gan = trained_gan()
    gan.generator.save(tmp_path / "g.tnz", include_optimizer=False)
    with pytest.raises(ModelFileError, match="g.tnz.*(weights file|not a GAN checkpoint)"):
        load_gan_checkpoint(face_gan(width=1, ema_decay=0.5), tmp_path / "g.tnz")


def test_resume_gan_without_a_checkpoint_is_none(tmp_path):
    assert resume_gan(face_gan(width=1), tmp_path) is None


def test_resume_gan_needs_an_epoch_count(tmp_path):
    save_gan_checkpoint(trained_gan(), tmp_path / "checkpoint.tnz", {"history": {}})
    with pytest.raises(ModelFileError, match="epoch count"):
        resume_gan(face_gan(width=1, ema_decay=0.5), tmp_path)


def test_loss_recorder_continues_from_previous_values():
    r = LossRecorder(previous={"d_loss": [1.0, 2.0], "g_loss": [3.0, 4.0]})
    assert r.steps == [1, 2] and r.values["d_loss"] == [1.0, 2.0]
    assert np.isnan(r.values["d_acc"]).all() and len(r.values["d_acc"]) == 2
    r.on_batch_end(0, {"d_loss": 5.0, "g_loss": 6.0, "d_acc": 0.5})
    assert r.steps == [1, 2, 3] and r.values["g_loss"] == [3.0, 4.0, 6.0]
    with pytest.raises(ValueError, match="unequal lengths"):
        LossRecorder(previous={"d_loss": [1.0], "g_loss": [1.0, 2.0]})

"""tinynet.gan: the players' shapes, one step per player freezing the other, label conventions,
the keras-adversarial surface, and tiny end-to-end runs."""

import json
import warnings

import numpy as np
import pytest

import tinynet as tn
from tinynet.gan import (
    GAN,
    AdversarialModel,
    AdversarialOptimizerAlternating,
    AdversarialOptimizerSimultaneous,
    ConditionalGAN,
    LossRecorder,
    SampleGrid,
    TextLog,
    conditional_discriminator,
    conditional_generator,
    dcgan_discriminator,
    dcgan_generator,
    discriminator_model,
    gan_targets,
    generator_model,
    normal_latent_sampling,
    simple_gan,
    uniform_latent_sampling,
)
from tinynet.layers import Activation, Dense, Flatten, LeakyReLU, Reshape
from tinynet.models import Sequential, load_model
from tinynet.optimizers import SGD


def small_dcgan(latent_dim=8, width=4):
    return dcgan_generator(latent_dim, width), dcgan_discriminator(width=width)


def dense_pair(latent_dim=4):
    """A BatchNorm-free pair on 1x4x4 images: deterministic forward passes."""
    g = Sequential([Dense(16, activation="tanh", input_shape=(latent_dim,)), Reshape((1, 4, 4))])
    d = Sequential(
        [Flatten(input_shape=(1, 4, 4)), Dense(8), LeakyReLU(0.2), Dense(1, activation="sigmoid")]
    )
    return g, d


def snapshot(model):
    return [w.numpy().copy() for w in model.weights]


def same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b))


def real_batch(n, shape=(1, 28, 28), seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n,) + shape).astype(np.float32)


# ----- shapes -----
@pytest.mark.parametrize(
    "build, z_dim, out",
    [
        (generator_model, 100, (1, 28, 28)),
        (dcgan_generator, 100, (1, 28, 28)),
        (conditional_generator, 110, (1, 28, 28)),
    ],
)
def test_generators_map_z_to_images_in_tanh_range(build, z_dim, out):
    tn.seed(0)
    g = build()
    assert g.input_shape == (z_dim,) and g.output_shape == out
    y = g.predict(np.random.default_rng(0).uniform(-1, 1, (3, z_dim)).astype(np.float32))
    assert y.shape == (3,) + out
    assert np.abs(y).max() <= 1.0 and y.std() > 0


@pytest.mark.parametrize(
    "build, in_shape",
    [
        (discriminator_model, (1, 28, 28)),
        (dcgan_discriminator, (1, 28, 28)),
        (conditional_discriminator, (11, 28, 28)),
    ],
)
def test_discriminators_map_images_to_one_probability(build, in_shape):
    tn.seed(0)
    d = build()
    assert d.input_shape == in_shape and d.output_shape == (1,)
    p = d.predict(real_batch(3, in_shape))
    assert p.shape == (3, 1) and ((p > 0) & (p < 1)).all()


def test_lecture_code_with_keras1_spellings_builds_the_same_generator():
    from tinynet.layers import BatchNormalization, Convolution2D, UpSampling2D

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        model = Sequential()
        model.add(Dense(input_dim=100, output_dim=1024))
        model.add(Activation("tanh"))
        model.add(Dense(128 * 7 * 7))
        model.add(BatchNormalization())
        model.add(Activation("tanh"))
        model.add(Reshape((128, 7, 7), input_shape=(128 * 7 * 7,)))
        model.add(UpSampling2D(size=(2, 2)))
        model.add(Convolution2D(64, 5, 5, border_mode="same"))
        model.add(Activation("tanh"))
        model.add(UpSampling2D(size=(2, 2)))
        model.add(Convolution2D(1, 5, 5, border_mode="same"))
        model.add(Activation("tanh"))
    ours = generator_model()
    assert [w.shape for w in model.weights] == [w.shape for w in ours.weights]
    assert model.output_shape == ours.output_shape == (1, 28, 28)


# ----- one step per player -----
def test_generator_step_changes_only_the_generator():
    tn.seed(0)
    gan = GAN(*small_dcgan(), latent="uniform").compile()
    gan.discriminator_step(real_batch(8))  # D's BatchNorm statistics move away from their start
    g0, d0 = snapshot(gan.generator), snapshot(gan.discriminator)
    gan.generator_step(8)
    assert same(d0, snapshot(gan.discriminator)), "a generator step changed the discriminator"
    changed = [not np.array_equal(a, b) for a, b in zip(g0, snapshot(gan.generator))]
    assert all(changed), "every generator weight (BatchNorm statistics included) should move"


def test_discriminator_step_changes_only_the_discriminator():
    tn.seed(0)
    gan = GAN(*small_dcgan()).compile()
    gan.generator_step(8)
    g0, d0 = snapshot(gan.generator), snapshot(gan.discriminator)
    gan.discriminator_step(real_batch(8))
    assert same(g0, snapshot(gan.generator)), "a discriminator step changed the generator"
    assert all(not np.array_equal(a, b) for a, b in zip(d0, snapshot(gan.discriminator)))


def test_frozen_player_is_left_alone_and_flags_are_restored():
    tn.seed(0)
    g, d = small_dcgan()
    d.trainable = False
    gan = GAN(g, d).compile()
    d0 = snapshot(d)
    gan.train_on_batch(real_batch(8))
    assert same(d0, snapshot(d))
    assert all(
        w.requires_grad == (id(w) in {id(p) for p in g.trainable_weights}) for w in g.weights
    )
    assert not any(w.requires_grad for w in d.weights)


def test_label_conventions_real_is_one_fake_is_zero():
    """Discriminator steps push D(real) towards 1 and D(G(z)) towards 0; a generator step pushes
    D(G(z)) towards 1 (the non-saturating loss with target 1)."""
    tn.seed(0)
    g, d = dense_pair()
    gan = GAN(g, d, latent_dim=4).compile(optimizer=SGD(lr=0.5))
    x = real_batch(32, (1, 4, 4), seed=3) * 0.2 + 0.5
    z = gan.sample_z(32, np.random.default_rng(9))

    def d_of(images):
        return d.predict(images).mean()

    real0, fake0 = d_of(x), d_of(g.predict(z))
    for _ in range(5):
        gan.discriminator_step(x)
    assert d_of(x) > real0 and d_of(g.predict(z)) < fake0
    before = d_of(g.predict(z))
    gan.generator_step(256)
    assert d_of(g.predict(z)) > before


def test_label_smoothing_sets_the_real_target():
    """BCE(z, t) = softplus(z) - z t, so a real target of 0.8 instead of 1 raises the loss
    (half real, half fake) by 0.5 * 0.2 * mean(logit on real)."""
    x = real_batch(16, (1, 4, 4))
    losses = []
    for smoothing in (0.0, 0.2):
        tn.seed(0)
        g, d = dense_pair()
        gan = GAN(g, d, latent_dim=4).compile(label_smoothing=smoothing)
        logits = d.call_pre_activation(x).numpy()
        losses.append(float(gan.discriminator_step(x)[0]))
    assert losses[1] - losses[0] == pytest.approx(0.1 * logits.mean(), rel=1e-4, abs=1e-6)
    with pytest.raises(ValueError, match="label_smoothing"):
        GAN(g, d, latent_dim=4).compile(label_smoothing=0.7)


def test_d_steps_gives_one_generator_step_per_k_batches():
    tn.seed(0)
    gan = GAN(*dense_pair(), latent_dim=4).compile(d_steps=3)
    rec = LossRecorder()
    gan.fit(real_batch(24, (1, 4, 4)), epochs=1, batch_size=4, verbose=0, callbacks=[rec])
    g = np.array(rec.values["g_loss"])
    assert len(g) == 6 and np.isnan(g[[0, 1, 3, 4]]).all() and np.isfinite(g[[2, 5]]).all()
    assert gan.g_optimizer.iterations == 2 and gan.d_optimizer.iterations == 6


def test_gan_rejects_mismatched_players_and_bad_input():
    g, d = small_dcgan()
    with pytest.raises(ValueError, match=r"latent_dim=5 needs \(5,\)"):
        GAN(g, d, latent_dim=5)
    with pytest.raises(ValueError, match="discriminator takes input"):
        GAN(dcgan_generator(8, 4), Sequential([Flatten(input_shape=(1, 8, 8)), Dense(1)]))
    with pytest.raises(ValueError, match="output activation"):
        GAN(g, Sequential([Flatten(input_shape=(1, 28, 28)), Dense(1, activation="tanh")]))
    gan = GAN(g, d)
    with pytest.raises(RuntimeError, match="compile"):
        gan.fit(real_batch(8))
    gan.compile()
    with pytest.raises(ValueError, match="integer dtype"):
        gan.fit(np.zeros((8, 1, 28, 28), np.uint8))
    with pytest.raises(ValueError, match=r"shape \(N, 1, 28, 28\)"):
        gan.train_on_batch(real_batch(8, (1, 14, 14)))
    with pytest.raises(ValueError, match="latent distribution"):
        GAN(g, d, latent="cauchy")


# ----- keras-adversarial -----
def test_gan_targets_follow_keras_adversarial():
    gf, gr, df, dr = gan_targets(5)
    for t, v in ((gf, 1), (gr, 0), (df, 0), (dr, 1)):
        assert t.shape == (5, 1) and t.dtype == np.float32 and (t == v).all()
    df[0] = 7  # separate arrays
    assert dr[0, 0] == 1 and gr[0, 0] == 0


def test_latent_sampling_shapes_and_ranges():
    z = uniform_latent_sampling((6,), -1, 1)(500)
    assert z.shape == (500, 6) and z.min() >= -1 and z.max() <= 1 and z.min() < -0.9
    z = normal_latent_sampling((2, 3))(400)
    assert z.shape == (400, 2, 3) and abs(z.mean()) < 0.1 and abs(z.std() - 1) < 0.1


def adversarial(optimizer, lrs=(0.1, 0.1), latent_dim=4):
    g, d = dense_pair(latent_dim)
    gan = simple_gan(g, d, normal_latent_sampling((latent_dim,)))
    model = AdversarialModel(
        base_model=gan,
        player_params=[g.trainable_weights, d.trainable_weights],
        player_names=["generator", "discriminator"],
    )
    model.adversarial_compile(optimizer, [SGD(lr=lrs[0]), SGD(lr=lrs[1])], "binary_crossentropy")
    return model, g, d


def test_adversarial_metrics_names_and_values():
    tn.seed(0)
    model, g, d = adversarial(AdversarialOptimizerSimultaneous())
    assert model.metrics_names == [
        "loss",
        "generator_loss",
        "generator_yfake_loss",
        "generator_yreal_loss",
        "discriminator_loss",
        "discriminator_yfake_loss",
        "discriminator_yreal_loss",
    ]
    x = real_batch(16, (1, 4, 4))
    v = dict(zip(model.metrics_names, model.train_on_batch(x, gan_targets(16))))
    assert v["generator_loss"] == pytest.approx(
        v["generator_yfake_loss"] + v["generator_yreal_loss"], rel=1e-5
    )
    assert v["loss"] == pytest.approx(v["generator_loss"] + v["discriminator_loss"], rel=1e-5)
    # yreal = D(x) under each player's targets: the generator's 0, the discriminator's 1
    v = dict(zip(model.metrics_names, model.test_on_batch(x, gan_targets(16))))
    p = d.predict(x).astype(np.float64)
    assert v["generator_yreal_loss"] == pytest.approx(-np.log(1 - p).mean(), rel=1e-4)
    assert v["discriminator_yreal_loss"] == pytest.approx(-np.log(p).mean(), rel=1e-4)


def test_simultaneous_step_gives_each_player_the_gradient_of_its_own_loss():
    """Each player's SGD update equals -lr * d(own loss)/d(own params) at the shared forward pass."""
    from tinynet import functional as F

    tn.seed(0)
    model, g, d = adversarial(AdversarialOptimizerSimultaneous(), lrs=(0.1, 0.1))
    x = real_batch(8, (1, 4, 4))
    before = [w.numpy().copy() for w in g.trainable_weights + d.trainable_weights]
    tn.seed(42)
    model.train_on_batch(x, gan_targets(8))
    after = [w.numpy() for w in g.trainable_weights + d.trainable_weights]
    # recompute by hand from the same weights and the same z
    tn.seed(0)
    g2, d2 = dense_pair()
    tn.seed(42)
    z = normal_latent_sampling((4,))(8)
    params = g2.trainable_weights + d2.trainable_weights
    for p in params:
        p.requires_grad = True
    ones, zeros = np.ones((8, 1), np.float32), np.zeros((8, 1), np.float32)
    yfake, yreal = d2.call_pre_activation(g2(z, True), True), d2.call_pre_activation(x, True)
    loss_g = F.binary_cross_entropy_with_logits(yfake, ones)
    loss_g.backward()
    g_grads = [p.grad for p in g2.trainable_weights]
    for p in params:
        p.grad = None
    yfake, yreal = d2.call_pre_activation(g2(z, True), True), d2.call_pre_activation(x, True)
    (
        F.binary_cross_entropy_with_logits(yfake, zeros)
        + F.binary_cross_entropy_with_logits(yreal, ones)
    ).backward()
    d_grads = [p.grad for p in d2.trainable_weights]
    for b, a, grad in zip(before, after, g_grads + d_grads):
        np.testing.assert_allclose(a, b - 0.1 * grad, rtol=1e-4, atol=1e-6)


def test_alternating_players_only_move_their_own_parameters():
    tn.seed(0)
    model, g, d = adversarial(AdversarialOptimizerAlternating(), lrs=(0.1, 0.0))
    d0, g0 = snapshot(d), snapshot(g)
    model.train_on_batch(real_batch(8, (1, 4, 4)), gan_targets(8))
    assert same(d0, snapshot(d)) and not same(g0, snapshot(g))
    model, g, d = adversarial(AdversarialOptimizerAlternating(reverse=True), lrs=(0.0, 0.1))
    d0, g0 = snapshot(d), snapshot(g)
    model.train_on_batch(real_batch(8, (1, 4, 4)), gan_targets(8))
    assert same(g0, snapshot(g)) and not same(d0, snapshot(d))


def test_adversarial_model_with_player_models_and_fit(tmp_path):
    tn.seed(0)
    g, d = dense_pair()
    gan_g = simple_gan(g, d, normal_latent_sampling((4,)))
    gan_d = simple_gan(g, d, normal_latent_sampling((4,)))
    model = AdversarialModel(
        player_models=[gan_g, gan_d],
        player_params=[g.trainable_weights, d.trainable_weights],
        player_names=["generator", "discriminator"],
    )
    model.adversarial_compile(
        AdversarialOptimizerSimultaneous(), ["adam", "adam"], "binary_crossentropy"
    )
    x = real_batch(20, (1, 4, 4))
    h = model.fit(
        x, gan_targets(20), batch_size=8, epochs=2, verbose=0, validation_data=(x, gan_targets(20))
    )
    assert set(h.history) >= set(model.metrics_names) | {"val_loss", "val_discriminator_loss"}
    assert len(h.history["discriminator_loss"]) == 2 and np.isfinite(h.history["loss"]).all()


def test_adversarial_model_errors():
    g, d = dense_pair()
    gan = simple_gan(g, d, normal_latent_sampling((4,)))
    with pytest.raises(ValueError, match="base_model or player_models"):
        AdversarialModel(player_params=[g.trainable_weights])
    with pytest.raises(ValueError, match="not weights of the player models"):
        AdversarialModel(
            base_model=gan, player_params=[g.trainable_weights, dense_pair()[1].trainable_weights]
        )
    model = AdversarialModel(
        base_model=gan, player_params=[g.trainable_weights, d.trainable_weights]
    )
    with pytest.raises(RuntimeError, match="adversarial_compile"):
        model.train_on_batch(real_batch(4, (1, 4, 4)), gan_targets(4))
    model.adversarial_compile(
        AdversarialOptimizerSimultaneous(), ["sgd", "sgd"], "binary_crossentropy"
    )
    with pytest.raises(ValueError, match="list of 4 target arrays"):
        model.train_on_batch(real_batch(4, (1, 4, 4)), gan_targets(4)[:2])
    with pytest.raises(ValueError, match="latent_sampling gives z of shape"):
        simple_gan(g, d, normal_latent_sampling((5,)))


# ----- end to end -----
def test_tiny_gan_run_end_to_end(tmp_path):
    tn.seed(0)
    gan = GAN(*small_dcgan()).compile()
    grid = SampleGrid(str(tmp_path / "e{epoch}.png"), n=16, nrow=4, steps=(1,))
    rec = LossRecorder()
    h = gan.fit(
        real_batch(40),
        epochs=2,
        batch_size=8,
        verbose=0,
        callbacks=[grid, rec, TextLog(tmp_path / "log.jsonl")],
    )
    assert [p.split("/")[-1] for p in grid.saved] == ["samples-step00001.png", "e1.png", "e2.png"]
    assert all(
        (tmp_path / n).stat().st_size > 500 for n in ("e1.png", "e2.png", "samples-step00001.png")
    )
    assert len(rec.steps) == 10 and np.isfinite(rec.values["g_loss"]).all()
    assert set(h.history) == {"d_loss", "g_loss", "d_acc", "time"} and len(h.history["d_loss"]) == 2
    only_second = SampleGrid(str(tmp_path / "s{epoch}.png"), n=4, nrow=2, epochs=(2,))
    gan.fit(real_batch(16), epochs=2, batch_size=8, verbose=0, callbacks=[only_second])
    assert [p.split("/")[-1] for p in only_second.saved] == ["s2.png"]
    lines = [json.loads(s) for s in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in lines] == [1, 2]
    z = gan.sample_z(5, np.random.default_rng(0))
    before = gan.generate(z=z)
    gan.save(tmp_path / "models")
    again = load_model(tmp_path / "models" / "generator.tnz").predict(z)
    np.testing.assert_allclose(again, before, rtol=1e-5, atol=1e-6)


def test_conditional_gan_takes_labels_and_digit_names(tmp_path):
    tn.seed(0)
    cgan = ConditionalGAN(
        dcgan_generator(8 + 10, 4), dcgan_discriminator((11, 28, 28), 4), latent_dim=8
    )
    cgan.compile()
    x, y = real_batch(24), np.arange(24) % 10
    grid = SampleGrid(str(tmp_path / "c{epoch}.png"), n=20, nrow=2)
    cgan.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[grid])
    assert (tmp_path / "c1.png").exists()
    assert list(grid.labels[:6]) == [0, 0, 1, 1, 2, 2]
    z = cgan.sample_z(3, np.random.default_rng(0))
    by_name = cgan.generate(z=z, labels=["seven", "Two", "0"])
    by_int = cgan.generate(z=z, labels=[7, 2, 0])
    assert by_name.shape == (3, 1, 28, 28)
    np.testing.assert_array_equal(by_name, by_int)
    assert not np.allclose(cgan.generate(z=z, labels=[1, 1, 1]), by_int)
    assert cgan.generate(labels="four").shape == (1, 1, 28, 28)
    with pytest.raises(ValueError, match="unknown class name 'eleven'"):
        cgan.generate(labels=["eleven"])
    with pytest.raises(ValueError, match="labels y"):
        cgan.fit(x, epochs=1, batch_size=8, verbose=0)
    with pytest.raises(ValueError, match="labels must be in 0..9"):
        cgan.fit(x, y + 5, epochs=1, batch_size=8, verbose=0)


def test_time_budget_stops_training_early():
    from tinynet.gan import TimeBudget

    tn.seed(0)
    gan = GAN(*dense_pair(), latent_dim=4).compile()
    budget, rec = TimeBudget(1e-9), LossRecorder()
    h = gan.fit(
        real_batch(32, (1, 4, 4)), epochs=3, batch_size=4, verbose=0, callbacks=[budget, rec]
    )
    assert budget.stopped_early and len(rec.steps) == 1 and len(h.history["d_loss"]) == 1
    roomy = TimeBudget(3600)
    gan.fit(real_batch(32, (1, 4, 4)), epochs=2, batch_size=4, verbose=0, callbacks=[roomy])
    assert not roomy.stopped_early
    with pytest.raises(ValueError, match="positive"):
        TimeBudget(0)


class FakeClock:
    """A perf_counter that advances one second per batch: budgets are exact, not timing-dependent."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now

    def tick(self, batch, logs):
        self.now += 1.0


@pytest.mark.parametrize(
    "seconds, epochs, steps, run_epochs, run_batches, cut",
    [
        (5.0, 3, 2, 2, 4, True),  # after epoch 2 (4 s) another 2 s epoch would not fit: cut
        (5.0, 2, 2, 2, 4, False),  # the same budget, but epoch 2 was the last one requested
        (1.5, 1, 3, 1, 2, True),  # the budget runs out after batch 2 of 3: cut mid-epoch
        (1.5, 1, 2, 1, 2, False),  # it runs out on the final batch: nothing was left to cut
    ],
)
def test_time_budget_reports_a_cut_only_when_it_cut(
    monkeypatch, seconds, epochs, steps, run_epochs, run_batches, cut
):
    from tinynet.callbacks import LambdaCallback
    from tinynet.gan import TimeBudget
    from tinynet.gan import monitors as gan_callbacks

    clock = FakeClock()
    monkeypatch.setattr(gan_callbacks, "time", clock)
    tn.seed(0)
    gan = GAN(*dense_pair(), latent_dim=4).compile()
    budget, rec = TimeBudget(seconds), LossRecorder()
    h = gan.fit(
        real_batch(32, (1, 4, 4)),
        epochs=epochs,
        batch_size=4,
        steps_per_epoch=steps,
        verbose=0,
        callbacks=[LambdaCallback(on_batch_begin=clock.tick), budget, rec],
    )
    assert (len(h.history["d_loss"]), len(rec.steps)) == (run_epochs, run_batches)
    assert budget.stopped_early is cut


def test_time_budget_on_a_sequential_that_finishes_its_epochs(monkeypatch):
    from tinynet.callbacks import LambdaCallback
    from tinynet.gan import TimeBudget
    from tinynet.gan import monitors as gan_callbacks

    clock = FakeClock()
    monkeypatch.setattr(gan_callbacks, "time", clock)
    m = Sequential([Dense(1, input_shape=(2,))])
    m.compile("sgd", "mse")
    budget = TimeBudget(0.5)
    h = m.fit(
        np.ones((4, 2), "float32"),
        np.ones(4, "float32"),
        batch_size=4,
        epochs=1,
        verbose=0,
        callbacks=[LambdaCallback(on_batch_begin=clock.tick), budget],
    )
    assert len(h.history["loss"]) == 1 and not budget.stopped_early


def test_dense_option_adds_infogans_hidden_layers():
    g, d = dcgan_generator(8, 4, dense=32), dcgan_discriminator(width=4, dense=32)
    assert [type(layer).__name__ for layer in g.layers[:3]] == [
        "Dense",
        "BatchNormalization",
        "Activation",
    ]
    assert g.layers[0].output_shape == (32,) and g.output_shape == (1, 28, 28)
    assert [type(layer).__name__ for layer in d.layers[-4:]] == [
        "Dense",
        "BatchNormalization",
        "LeakyReLU",
        "Dense",
    ]
    assert d.layers[-4].output_shape == (32,) and d.output_shape == (1,)
    plain = dcgan_generator(8, 4)
    assert plain.layers[0].output_shape == (8 * 7 * 7,)


def test_cli_summary_prints_the_median_epoch_time_not_the_last():
    from tinynet.apps.gan_cli import summary

    quality = {
        "confident_share": 0.9,
        "samples": 100,
        "confidence_threshold": 0.9,
        "min_class_share": 0.08,
        "fid": 1.0,
        "fid_real_halves": 0.5,
    }
    text = summary(
        "dcgan", {"epochs": 3, "seconds_per_epoch": [12.0, 10.0, 30.0], "quality": quality}, "out"
    )
    assert "12.0 s/epoch (median)" in text
    assert "? s/epoch" in summary(
        "dcgan", {"epochs": 0, "seconds_per_epoch": [], "quality": quality}, "out"
    )

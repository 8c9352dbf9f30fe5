"""airbench94's pieces (tinynet/zoo/airbench*.py, layers/whitening.py) on tiny shapes: the
whitening layer's initialisation, identity-initialised convolutions, the scaled-bias BatchNorm,
the alternating flips and translations, test-time augmentation, a few training steps, resume."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinynet as tn
from tinynet.apps import runs
from tinynet.gradcheck import check_grad
from tinynet.layers.base import functional_call
from tinynet.layers.whitening import PatchWhitening, patch_covariance, whitening_kernel
from tinynet.models import load_model
from tinynet.zoo import airbench94
from tinynet.zoo.airbench import AirbenchRecipe, training_flops
from tinynet.zoo.airbench_data import FlipTranslateBatches, tta_logits
from tinynet.zoo.airbench_layers import DiracConv2D, ScaledBiasBatchNorm, dirac_

TINY = (4, 8, 8)  # group widths that keep a step in milliseconds


def correlated_images(n, c=3, h=8, w=8, seed=0):
    """Images whose pixels are correlated (a smoothed random field plus a channel mix)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c, h + 1, w + 1))
    x = (x[:, :, 1:, 1:] + x[:, :, :-1, :-1] + 0.5 * x[:, :, :-1, 1:]) / 2
    mix = np.eye(c) + 0.5 * rng.normal(size=(c, c))
    return np.einsum("dc,nchw->ndhw", mix, x) + 0.3


# ----- whitening -----
@given(st.integers(1, 3), st.sampled_from([1, 2, 3]))
def test_whitened_patches_have_identity_covariance(channels, k):
    x = correlated_images(12, c=channels, seed=channels + k)
    layer = PatchWhitening(k, eps=0.0, dtype="float64").fit(x)
    d = channels * k * k
    y = layer(tn.Tensor(x)).data  # (N, 2d, H', W')
    rows = y.transpose(0, 2, 3, 1).reshape(-1, 2 * d)
    cov = rows.T @ rows / len(rows)
    np.testing.assert_allclose(cov[:d, :d], np.eye(d), atol=1e-8)
    np.testing.assert_allclose(rows[:, d:], -rows[:, :d])  # the +- pairs


def test_whitening_eps_shrinks_each_direction_by_its_eigenvalue():
    x = correlated_images(10)
    eps = 0.05
    cov = patch_covariance(x, 2)
    values = np.sort(np.linalg.eigvalsh(cov))[::-1]
    layer = PatchWhitening(2, eps=eps, dtype="float64").fit(x)
    rows = layer(tn.Tensor(x)).data[:, :12].transpose(0, 2, 3, 1).reshape(-1, 12)
    np.testing.assert_allclose(
        rows.T @ rows / len(rows), np.diag(values / (values + eps)), atol=1e-8
    )


def test_patch_covariance_against_explicit_patches():
    x = correlated_images(3, c=2, h=4, w=5)
    patches = [
        x[n, :, i : i + 2, j : j + 2].ravel() for n in range(3) for i in range(3) for j in range(4)
    ]
    p = np.array(patches)
    np.testing.assert_allclose(patch_covariance(x, 2, chunk=2), p.T @ p / len(p))


def test_whitening_kernel_orders_filters_by_eigenvalue_and_layer_stays_frozen():
    x = correlated_images(6)
    kernel = whitening_kernel(x, 2, eps=0.0)
    norms = np.linalg.norm(kernel[:12].reshape(12, -1), axis=1)  # 1 / sqrt(eigenvalue)
    assert np.all(np.diff(norms) >= -1e-12)
    layer = PatchWhitening(2).fit(x)
    assert [w.name.split("/")[-1] for w in layer.trainable_weights] == ["bias"]
    layer.bias_trainable = False
    assert layer.trainable_weights == []


def test_whitening_refuses_bad_input():
    with pytest.raises(ValueError, match="kernel_size"):
        PatchWhitening(0)
    with pytest.raises(ValueError, match="patch_whitening.*at least 3x3"):
        PatchWhitening(3, name="patch_whitening").build((3, 2, 2))
    with pytest.raises(ValueError, match="patch_covariance: images"):
        patch_covariance(np.zeros((3, 8, 8)), 2)


# ----- identity-initialised convolutions -----
@pytest.mark.parametrize("c_in, filters", [(3, 5), (4, 4), (6, 2)])
def test_dirac_conv_passes_its_first_channels_through(c_in, filters):
    tn.seed(0)
    x = np.random.default_rng(1).normal(size=(2, c_in, 5, 5)).astype(np.float32)
    conv = DiracConv2D(filters, 3, padding="same", use_bias=False)
    y = conv(tn.Tensor(x)).data
    n = min(c_in, filters)
    np.testing.assert_array_equal(y[:, :n], x[:, :n])
    rest = conv.kernel.data[n:]
    bound = 1 / np.sqrt(c_in * 9)
    assert rest.size == 0 or (np.abs(rest).max() <= bound and rest.std() > bound / 4)


def test_dirac_refuses_even_kernels_and_sets_the_centre():
    with pytest.raises(ValueError, match="odd kernel"):
        DiracConv2D(4, 2)
    k = dirac_(np.full((3, 2, 3, 3), 7.0))
    assert k[0, 0, 1, 1] == 1 and k[1, 1, 1, 1] == 1 and k[:2].sum() == 2 and (k[2] == 7).all()


# ----- BatchNorm with a scaled bias -----
def test_scaled_bias_batchnorm_is_batchnorm_with_bias_times_scale_and_checks_gradients():
    x = np.random.default_rng(2).normal(size=(4, 3, 2, 2))
    bn = ScaledBiasBatchNorm(bias_scale=8.0, dtype="float64")
    bn.build((3, 2, 2))
    bn.beta.data[:] = [0.1, -0.2, 0.3]
    y = bn(tn.Tensor(x), training=True).data
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    var = x.var(axis=(0, 2, 3), keepdims=True)
    want = (x - mean) / np.sqrt(var + 1e-12) + 8.0 * bn.beta.data.reshape(1, 3, 1, 1)
    np.testing.assert_allclose(y, want, atol=1e-10)
    assert [w.name.split("/")[-1] for w in bn.trainable_weights] == ["beta"]
    np.testing.assert_allclose(bn.moving_mean.data, 0.4 * mean.ravel())  # momentum 0.6

    def fn(xt, beta):
        gamma, mm, mv = (
            tn.Tensor(w.data.copy()) for w in (bn.gamma, bn.moving_mean, bn.moving_variance)
        )
        return functional_call(bn, [gamma, beta, mm, mv], xt, training=True)

    check_grad(fn, [x, bn.beta.data.copy()])


# ----- the network -----
def test_airbench94_shapes_params_and_flops():
    model = airbench94()
    assert tuple(model.output_shape) == (10,)
    convs = [layer for layer in model.layers if isinstance(layer, DiracConv2D)]
    assert [c.output_shape for c in convs] == [
        (64, 31, 31),
        (64, 15, 15),
        (256, 15, 15),
        (256, 7, 7),
        (256, 7, 7),
        (256, 3, 3),
    ]
    macs = 24 * 9 * 64 * 31**2 + 64 * 9 * 64 * 15**2 + 64 * 9 * 256 * 15**2
    macs += 256 * 9 * 256 * (7**2 + 7**2 + 3**2)
    whiten, dense = 12 * 24 * 31**2, 256 * 10
    forward, backward = training_flops(model, 1)
    assert forward == 2 * (macs + whiten + dense)
    # every layer after the whitening trains its kernel and passes a gradient back, except the
    # first conv's input gradient when the whitening bias is frozen
    assert backward == 2 * 2 * (macs + dense)
    model.layers[1].bias_trainable = False
    assert training_flops(model, 3)[1] == 3 * 2 * (2 * (macs + dense) - 24 * 9 * 64 * 31**2)


# ----- data -----
def labelled(n=10, size=6):
    x = np.random.default_rng(3).random((n, 3, size, size), dtype=np.float32)
    return x, np.arange(n)


def epoch_of(batches):
    """(images by original index, flips seen) of one epoch of ``batches``."""
    seen = {}
    for _ in range(len(batches)):
        xb, yb = next(batches)
        for img, i in zip(xb, yb):
            seen[int(i)] = img
    return seen


def test_every_image_is_flipped_in_exactly_every_other_epoch():
    x, y = labelled(12)
    batches = FlipTranslateBatches(x, y, batch_size=4, translate=0, seed=5)
    flips = []
    for _ in range(5):
        seen = epoch_of(batches)
        assert sorted(seen) == list(range(12))
        flipped = [np.array_equal(seen[i], x[i, :, :, ::-1]) for i in range(12)]
        assert all(f or np.array_equal(seen[i], x[i]) for i, f in enumerate(flipped))
        flips.append(flipped)
    flips = np.array(flips)
    assert (flips[1:] != flips[:-1]).all()  # alternates for every image
    assert 0 < flips[0].sum() < 12  # the first epoch's flips are random


def test_translations_match_a_plain_reference_crop():
    x, y = labelled(40, size=5)
    batches = FlipTranslateBatches(x, y, batch_size=40, translate=2, seed=1, epoch=3)
    order, shifts = batches.plan(3)
    flips = batches.flips(3)
    xb, yb = next(batches)
    for img, i in zip(xb, yb):
        dy, dx = shifts[i]
        ref = np.empty_like(x[i])
        for c in range(3):
            for r in range(5):
                for s in range(5):  # reflect: index -1 -> 1, 5 -> 3
                    rr, ss = abs(r + dy), abs(s + dx)
                    rr, ss = (8 - rr if rr > 4 else rr), (8 - ss if ss > 4 else ss)
                    ref[c, r, s] = x[i, c, rr, ss]
        np.testing.assert_array_equal(img, ref[:, :, ::-1] if flips[i] else ref)
    assert set(map(tuple, shifts)) <= {(a, b) for a in range(-2, 3) for b in range(-2, 3)}
    assert len(set(map(tuple, shifts))) > 10


def test_an_epoch_depends_only_on_seed_and_epoch_and_drops_the_last_partial_batch():
    x, y = labelled(10)
    a = FlipTranslateBatches(x, y, batch_size=3, seed=2)
    assert len(a) == 3
    for _ in range(2 * len(a)):
        next(a)
    b = FlipTranslateBatches(x, y, batch_size=3, seed=2, epoch=2)
    for _ in range(len(a)):
        (xa, ya), (xb, yb) = next(a), next(b)
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)


def test_flip_translate_batches_refuse_bad_arguments():
    x, y = labelled(4)
    with pytest.raises(ValueError, match="batch_size must be in 1..4"):
        FlipTranslateBatches(x, y, batch_size=5)
    with pytest.raises(ValueError, match="translate must be in 0..5"):
        FlipTranslateBatches(x, y, batch_size=2, translate=6)
    with pytest.raises(ValueError, match="3 rows"):
        FlipTranslateBatches(x, y[:3], batch_size=2)


def test_tta_is_the_weighted_mean_of_the_explicit_views():
    tn.seed(0)
    x = np.random.default_rng(4).random((3, 3, 32, 32), dtype=np.float32)
    model = airbench94(widths=TINY, whitening_images=x)
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="reflect")
    views = [x, padded[:, :, :32, :32], padded[:, :, 2:, 2:]]
    views += [v[..., ::-1] for v in views]
    weights = [1 / 4, 1 / 8, 1 / 8] * 2

    def logits(v):
        with tn.no_grad():
            return model.call_pre_activation(tn.Tensor(np.ascontiguousarray(v))).data

    want = sum(w * logits(v) for w, v in zip(weights, views))
    np.testing.assert_allclose(tta_logits(model, x, level=2, batch_size=2), want, atol=1e-6)
    np.testing.assert_allclose(
        tta_logits(model, x, level=1), (logits(x) + logits(x[..., ::-1])) / 2, atol=1e-6
    )
    np.testing.assert_allclose(tta_logits(model, x, level=0), logits(x), atol=1e-6)


# ----- training -----
def tiny_run(x, y, epochs, batch_size=16, stop_after=None, model=None, done=0, extra=(), bias=3):
    lookahead = {"start_epoch": 1, "every": 2}
    recipe = AirbenchRecipe(
        len(x), batch_size, epochs, whiten_bias_epochs=bias, lookahead=lookahead
    )
    if model is None:
        tn.seed(0)
        model = airbench94(widths=TINY, whitening_images=x)
        model.compile(optimizer=recipe.optimizer(), loss=recipe.loss, metrics=["accuracy"])
    batches = FlipTranslateBatches(x, runs.one_hot(y), batch_size, seed=0, epoch=done)
    callbacks = recipe.callbacks(model) + list(extra)
    lookahead = callbacks[1]
    if stop_after:
        callbacks.append(
            tn.callbacks.LambdaCallback(
                on_epoch_end=lambda e, logs: setattr(model, "stop_training", e + 1 >= stop_after)
            )
        )
    model.fit(
        batches, epochs=recipe.epochs_to_run, initial_epoch=done, verbose=0, callbacks=callbacks
    )
    return model, recipe, lookahead


def tiny_data(n=64):
    rng = np.random.default_rng(7)
    y = rng.integers(0, 10, n)
    x = rng.random((n, 3, 32, 32), dtype=np.float32) * 0.5
    for i, label in enumerate(y):
        x[i, label % 3, 3 * label : 3 * label + 3, :] += 0.5  # a class-dependent band
    return x, y


def test_a_few_training_steps_reduce_the_loss():
    x, y = tiny_data()
    tn.seed(0)
    model = airbench94(widths=TINY, whitening_images=x)
    recipe = AirbenchRecipe(len(x), 16, 6)
    model.compile(optimizer=recipe.optimizer(), loss=recipe.loss, metrics=["accuracy"])
    before = model.evaluate(x, runs.one_hot(y), verbose=0)[0]
    model, recipe, _ = tiny_run(x, y, 6, model=model)
    assert model.optimizer.iterations == recipe.total_steps == 24
    after = model.evaluate(x, runs.one_hot(y), verbose=0)[0]
    assert after < before - 0.04  # 2.310 -> 2.246


def test_the_last_epoch_stops_at_the_schedules_end_and_the_whitening_bias_freezes():
    x, y = tiny_data(64)
    biases = []
    snap = tn.callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: biases.append(snap.model.layers[1].bias.data.copy())
    )
    model, recipe, lookahead = tiny_run(x, y, 2.5, extra=[snap], bias=1)  # 4 steps an epoch
    assert recipe.epochs_to_run == 3 and model.optimizer.iterations == recipe.total_steps == 10
    assert model.layers[1].bias_trainable is False
    assert np.abs(biases[0]).max() > 0  # trained in epoch 0, then frozen
    np.testing.assert_array_equal(biases[0], biases[2])
    assert lookahead.ema is not None
    for ema, w in zip(lookahead.ema, model.weights):  # the run ends on the average
        np.testing.assert_array_equal(ema, w.data)


def test_resume_at_an_epoch_boundary_equals_the_uninterrupted_run(tmp_path):
    x, y = tiny_data(48)
    whole, _, _ = tiny_run(x, y, 4)
    part, _, _ = tiny_run(x, y, 4, stop_after=2)
    part.save(tmp_path / "half.tnz")
    resumed, _, _ = tiny_run(x, y, 4, model=load_model(tmp_path / "half.tnz"), done=2)
    assert resumed.optimizer.iterations == whole.optimizer.iterations == 12
    for a, b in zip(whole.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_the_recipe_in_tinynet_units():
    r = AirbenchRecipe(50_000)
    assert (r.steps_per_epoch, r.total_steps, r.epochs_to_run) == (48, 476, 10)
    # airbench's PyTorch values for a sum loss: lr 11.5 / kilostep, wd 0.0153 * 1024 / kilostep
    kilostep = 1024 * (1 + 1 / 0.15)
    assert r.step_lr == pytest.approx(11.5 / kilostep * 1024)
    assert r.step_lr * r.decay == pytest.approx(0.0153 * 1024 / kilostep)
    assert r.schedule()(0) == pytest.approx(0.2 * r.step_lr)

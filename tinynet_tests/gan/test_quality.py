"""tinynet.gan.quality and tinynet.gan.latent on known inputs: Fréchet distances with closed
forms, shares of confident / per-class predictions, real digits scoring high and noise low,
latent interpolation and arithmetic, stroke attributes, the arithmetic study on a generator whose
latent structure is known, and a tiny experiment run."""

import json
import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinynet as tn
from tinynet.gan import quality as metrics
from tinynet.gan.latent import arithmetic, arithmetic_study, ink, interpolate, sample_latent, slant
from tinynet.layers import Dense, Flatten
from tinynet.models import Sequential, load_model


def _has_mnist():
    root = os.environ.get("TINYNET_DATA")
    return bool(root) and os.path.isfile(os.path.join(root, "mnist", "t10k-images-idx3-ubyte.gz"))


needs_mnist = pytest.mark.skipif(not _has_mnist(), reason="needs MNIST under $TINYNET_DATA/mnist")


# ----- Fréchet distance -----
@given(st.integers(1, 6), st.integers(0, 1000))
def test_frechet_distance_of_diagonal_gaussians_has_a_closed_form(dim, seed):
    rng = np.random.default_rng(seed)
    mu1, mu2 = rng.normal(size=dim), rng.normal(size=dim)
    v1, v2 = rng.uniform(0.1, 3, dim), rng.uniform(0.1, 3, dim)
    expected = ((mu1 - mu2) ** 2).sum() + ((np.sqrt(v1) - np.sqrt(v2)) ** 2).sum()
    got = metrics.frechet_distance((mu1, np.diag(v1)), (mu2, np.diag(v2)))
    assert got == pytest.approx(expected, rel=1e-7, abs=1e-9)


@given(st.integers(2, 8), st.integers(0, 1000))
def test_frechet_distance_is_rotation_invariant_and_zero_on_itself(dim, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(dim, dim)), rng.normal(size=(dim, dim))
    s1, s2 = a @ a.T + 0.1 * np.eye(dim), b @ b.T + 0.1 * np.eye(dim)
    mu1, mu2 = rng.normal(size=dim), rng.normal(size=dim)
    q, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
    d = metrics.frechet_distance((mu1, s1), (mu2, s2))
    assert metrics.frechet_distance(
        (q @ mu1, q @ s1 @ q.T), (q @ mu2, q @ s2 @ q.T)
    ) == pytest.approx(d, rel=1e-6)
    assert metrics.frechet_distance((mu2, s2), (mu1, s1)) == pytest.approx(d, rel=1e-6)
    assert metrics.frechet_distance((mu1, s1), (mu1, s1)) == pytest.approx(
        0, abs=1e-7 * np.trace(s1)
    )


def test_frechet_distance_matches_scipy_sqrtm():
    linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(0)
    f1, f2 = rng.normal(size=(400, 12)), rng.normal(size=(300, 12)) @ rng.normal(size=(12, 12)) + 1
    mu1, s1 = f1.mean(0), np.cov(f1, rowvar=False)
    mu2, s2 = f2.mean(0), np.cov(f2, rowvar=False)
    ref = ((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * linalg.sqrtm(s1 @ s2).real)
    assert metrics.frechet_distance(f1, f2) == pytest.approx(ref, rel=1e-6)


def test_frechet_distance_checks_shapes():
    with pytest.raises(ValueError, match="mismatched shapes"):
        metrics.frechet_distance((np.zeros(3), np.eye(3)), (np.zeros(2), np.eye(2)))
    with pytest.raises(ValueError, match=r"N >= 2"):
        metrics.frechet_distance(np.zeros((1, 3)), np.zeros((5, 3)))


# ----- shares -----
def test_confident_share_and_class_shares_on_known_probabilities():
    probs = np.array([[0.95, 0.05, 0], [0.5, 0.5, 0], [0.0, 0.1, 0.9], [0.2, 0.7, 0.1]])
    assert metrics.confident_share(probs) == 0.5
    assert metrics.confident_share(probs, threshold=0.5) == 1.0
    np.testing.assert_allclose(metrics.class_shares(probs), [0.5, 0.25, 0.25])
    np.testing.assert_allclose(metrics.class_shares(probs, 4), [0.5, 0.25, 0.25, 0.0])
    with pytest.raises(ValueError, match="class_shares"):
        metrics.class_shares(np.zeros(3))


def test_images_must_be_unit_scaled():
    clf = Sequential(
        [
            Flatten(input_shape=(1, 28, 28)),
            Dense(4, activation="relu"),
            Dense(10, activation="softmax"),
        ]
    )
    with pytest.raises(ValueError, match="to_unit"):
        metrics.predict_probs(clf, -np.ones((2, 1, 28, 28), np.float32))
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        metrics.penultimate_features(clf, np.zeros((2, 28, 28), np.float32))
    np.testing.assert_allclose(metrics.to_unit(np.array([-2.0, -1, 0, 1, 3])), [0, 0, 0.5, 1, 1])


@pytest.fixture(scope="module")
def mnist_and_classifier():
    """A small MLP trained briefly on 4,000 MNIST digits (seconds), and 2,000 test digits."""
    from tinynet.apps.gan_experiments import load_mnist
    from tinynet.optimizers import Adam

    x, y = load_mnist("train", 4000, scale="unit")
    xt, yt = load_mnist("test", 2000, scale="unit")
    tn.seed(0)
    clf = Sequential(
        [
            Flatten(input_shape=(1, 28, 28)),
            Dense(128, activation="relu"),
            Dense(10, activation="softmax"),
        ]
    )
    clf.compile(Adam(3e-3), "sparse_categorical_crossentropy")
    clf.fit(x, y, epochs=4, batch_size=100, verbose=0)
    return clf, xt, yt


@needs_mnist
def test_real_digits_score_high_and_noise_scores_low(mnist_and_classifier):
    clf, xt, yt = mnist_and_classifier
    rng = np.random.default_rng(0)
    noise = rng.uniform(0, 1, xt.shape).astype(np.float32)
    blank = np.zeros_like(xt[:500])
    real = metrics.quality_report(clf, xt[:1000], xt)
    fake = metrics.quality_report(clf, noise, xt)
    assert real["confident_share"] > 0.55 and real["every_digit_present"]
    assert (
        fake["confident_share"] < real["confident_share"] / 2
    )  # an MLP is overconfident off its data
    assert real["fid"] < 3 * real["fid_real_halves"] + 1e-9
    assert fake["fid"] > 20 * real["fid"]
    # noise (and a constant image) collapse onto few classes: the histogram test catches them
    assert not fake["every_digit_present"]
    assert metrics.class_shares(metrics.predict_probs(clf, blank)).max() == 1.0
    feats = metrics.penultimate_features(clf, xt[:10])
    assert feats.shape == (10, 128) and (feats >= 0).all()


@needs_mnist
def test_digit_classifier_is_cached_and_reloaded(tmp_path, monkeypatch, mnist_and_classifier):
    clf, xt, _ = mnist_and_classifier
    path = tmp_path / "clf.tnz"
    clf.save(path)
    monkeypatch.setenv(metrics.CLASSIFIER_ENV, str(path))
    assert metrics.classifier_path() == path
    again = metrics.digit_classifier(verbose=0)
    np.testing.assert_allclose(again.predict(xt[:5]), clf.predict(xt[:5]), rtol=1e-6)


# ----- latent space -----
def test_interpolate_ends_and_norms():
    rng = np.random.default_rng(0)
    z0, z1 = rng.normal(size=50), rng.normal(size=50)
    z1 *= np.linalg.norm(z0) / np.linalg.norm(z1)
    path = interpolate(z0, z1, 7)
    np.testing.assert_allclose(path[0], z0, rtol=1e-5)
    np.testing.assert_allclose(path[-1], z1, rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), np.linalg.norm(z0), rtol=1e-5)
    lin = interpolate(z0, z1, 3, "linear")
    np.testing.assert_allclose(lin[1], (z0 + z1) / 2, rtol=1e-5)
    with pytest.raises(ValueError, match="method"):
        interpolate(z0, z1, 3, "cubic")


def test_arithmetic_and_sampling():
    a, b, c = np.ones((3, 2)), np.full((2, 2), 3.0), np.array([[1.0, -1.0]])
    np.testing.assert_allclose(arithmetic([a, b, c]), [-1, -3])
    z = sample_latent(20000, 3, "normal", np.random.default_rng(0))
    groups = [z[i * 3 : (i + 1) * 3] for i in range(3)]
    # three means of 3 Gaussian vectors combine into unit variance again (Radford et al.)
    combos = np.stack(
        [arithmetic([z[j : j + 3], z[j + 3 : j + 6], z[j + 6 : j + 9]]) for j in range(0, 18000, 9)]
    )
    assert abs(combos.std() - 1) < 0.05 and groups[0].dtype == np.float32
    u = sample_latent(1000, 2, "uniform", np.random.default_rng(0))
    assert u.min() >= -1 and u.max() < 1


def _stroke(width, angle_sign=0):
    img = np.zeros((28, 28))
    for r in range(4, 24):
        c = 14 + angle_sign * (14 - r) // 2
        img[r, c - width // 2 : c - width // 2 + width] = 1
    return img[None]


def test_ink_and_slant_read_strokes():
    thin, thick = _stroke(1), _stroke(4)
    assert ink(np.stack([thick]))[0] > 3 * ink(np.stack([thin]))[0]
    right, left, upright = _stroke(2, 1), _stroke(2, -1), _stroke(2, 0)
    s = slant(np.stack([right, left, upright]))
    assert s[0] > 0.3 and s[1] < -0.3 and abs(s[2]) < 1e-9


def test_arithmetic_study_on_a_generator_with_known_structure():
    """z[0] sets the ink, the sign of z[1] the class: the arithmetic must move the ink the
    intended way and keep the class, beating the random-vector control."""

    def generate(z):
        z = np.asarray(z)
        img = np.zeros((len(z), 1, 28, 28))
        img[:, 0, 1:, :] = (1 / (1 + np.exp(-z[:, 0])))[:, None, None] * 0.5
        img[:, 0, 0, 0] = z[:, 1] > 0
        return img

    def classify(images):
        p = images[:, 0, 0, 0]
        probs = np.zeros((len(images), 10))
        probs[:, 0], probs[:, 1] = 1 - p, p
        return probs

    s = arithmetic_study(generate, classify, 4, n_pool=400, trials=20, digits=range(2))
    assert s["cases"] == 2 * 2 * 20
    assert s["moved_rate"] == 1.0
    # the class survives unless the noise of the two 3-sample means of digit a outweighs z(b)[1]
    assert s["same_digit_rate"] > 0.85
    assert s["moved_vs_control_rate"] > 0.95
    assert s["mean_change"] > s["mean_change_control"]


def test_arithmetic_study_needs_enough_confident_samples():
    def generate(z):
        return np.zeros((len(z), 1, 28, 28))

    def classify(images):
        return np.full((len(images), 10), 0.1)

    with pytest.raises(ValueError, match="confident samples of digit 0"):
        arithmetic_study(generate, classify, 4, n_pool=50)


# ----- a tiny experiment run -----
@needs_mnist
def test_run_dcgan_writes_its_outputs(tmp_path, mnist_and_classifier):
    from tinynet.apps.gan_experiments import run_dcgan

    clf = mnist_and_classifier[0]
    r = run_dcgan(
        str(tmp_path), epochs=1, batch_size=16, limit=32, n_eval=200, verbose=0, classifier=clf
    )
    for name in (
        "samples-epoch001.png",
        "samples-final.png",
        "losses.png",
        "interpolation.png",
        "class-histogram.png",
        "generator.tnz",
        "generator_ema.tnz",
        "discriminator.tnz",
        "train.log",
    ):
        assert (tmp_path / name).stat().st_size > 0, name
    saved = json.loads((tmp_path / "results.json").read_text())
    assert (
        saved["dense"] == 1024
        and saved["ema_decay"] == 0.999
        and saved["sampled_from"] == "generator_ema.tnz"
    )
    assert (
        saved["epochs"] == 1 and saved["iterations_per_epoch"] == 2 and saved["train_images"] == 32
    )
    q = saved["quality"]
    assert (
        0 <= q["confident_share"] <= 1
        and len(q["class_shares"]) == 10
        and q["fid"] > q["fid_real_halves"]
    )
    assert r["quality"] == q


@needs_mnist
def test_tinynet_gan_command(tmp_path, capsys, mnist_and_classifier):
    from tinynet.apps.cli import main

    path = tmp_path / "clf.tnz"
    mnist_and_classifier[0].save(path)
    status = main(
        [
            "gan",
            "dcgan",
            "--limit",
            "32",
            "--batch-size",
            "16",
            "--epochs",
            "1",
            "--n-eval",
            "100",
            "--classifier",
            str(path),
            "--out",
            str(tmp_path / "out"),
            "--verbose",
            "0",
            "--models-dir",
            str(tmp_path / "models"),
        ]
    )
    assert status == 0
    assert "samples confident" in capsys.readouterr().out
    assert (tmp_path / "out" / "results.json").exists() and (
        tmp_path / "models" / "generator.tnz"
    ).exists()
    assert not (tmp_path / "out" / "generator.tnz").exists()
    assert main(["gan", "dcgan", "--epochs", "0", "--classifier", str(path)]) == 1
    # the plain DCGAN pair, sampled from its trained weights
    assert (
        main(
            [
                "gan",
                "dcgan",
                "--limit",
                "32",
                "--batch-size",
                "16",
                "--epochs",
                "1",
                "--n-eval",
                "100",
                "--classifier",
                str(path),
                "--out",
                str(tmp_path / "plain"),
                "--verbose",
                "0",
                "--dense",
                "0",
                "--ema-decay",
                "0",
            ]
        )
        == 0
    )
    saved = json.loads((tmp_path / "plain" / "results.json").read_text())
    assert (
        saved["dense"] is None
        and saved["ema_decay"] is None
        and saved["sampled_from"] == "generator.tnz"
    )
    assert not (tmp_path / "plain" / "generator_ema.tnz").exists()
    generator = load_model(tmp_path / "plain" / "generator.tnz", compile=False)
    assert [type(layer).__name__ for layer in generator.layers[:2]] == [
        "Dense",
        "BatchNormalization",
    ]
    assert generator.layers[0].output_shape == (128 * 7 * 7,)


def test_run_latent_arithmetic_pipeline(tmp_path):
    """The whole arithmetic run on a random generator and a random, very confident 'classifier'
    (fixed functions of z and of the image): files, both recipes, rates in range."""
    from tinynet.apps.gan_experiments import run_latent_arithmetic
    from tinynet.layers import Reshape

    tn.seed(0)
    g = Sequential([Dense(784, activation="tanh", input_shape=(16,)), Reshape((1, 28, 28))])
    g.build()
    g.weights[0].data *= 3
    g.save(tmp_path / "g.tnz")
    clf = Sequential([Flatten(input_shape=(1, 28, 28)), Dense(10, activation="softmax")])
    clf.build()
    kernel, bias = clf.weights
    kernel.data *= 40
    bias.data[:] = -0.5 * kernel.data.sum(axis=0)  # logits = kernel^T (x - 0.5): balanced classes
    r = run_latent_arithmetic(
        str(tmp_path / "out"),
        generator=str(tmp_path / "g.tnz"),
        n_pool=3000,
        trials=1,
        attr_group=3,
        mean_group=4,
        verbose=0,
        classifier=clf,
    )
    for attribute in ("ink", "slant"):
        for recipe in ("vector", "radford", "means"):
            assert (tmp_path / "out" / f"arithmetic-{attribute}-{recipe}.png").stat().st_size > 1000
            v = r[attribute][recipe]
            assert v["cases"] == 90 * 2 and all(
                0 <= v[k] <= 1 for k in ("moved_rate", "same_digit_rate")
            )
    assert r["ink"]["vector"]["base_group"] == 1 and r["ink"]["radford"]["attr_group"] == 3
    assert r["slant"]["means"]["attr_group"] == 4 and r["slant"]["means"]["base_group"] == 3
    assert r["targets_met"] == any(r["targets_met_by_attribute"].values())
    for attribute, met in r["targets_met_by_attribute"].items():
        v = r[attribute]["means"]
        assert met == (v["moved_rate"] >= 0.8 and v["same_digit_rate"] >= 0.8)
    saved = json.loads((tmp_path / "out" / "results.json").read_text())
    assert saved["targets_met"] == r["targets_met"]

"""Every script in examples/ runs end to end in a fast mode (tiny subsets, one epoch), so a
committed example cannot break silently (issue 18). The scripts tested elsewhere:
lenet_mnist, cifar10_fast, cifar10_augment, cifar10_deep (tinynet_tests/test_zoo_examples.py),
fraud_detection and score_gan_samples (this folder); fsdd_classifier, custom_op and the WaveNet
scripts by their authors' tests. Skipped without the data under TINYNET_DATA."""

import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DATA = Path(os.environ.get("TINYNET_DATA") or "/nonexistent")
MNIST = DATA / "mnist" / "t10k-images-idx3-ubyte.gz"
CIFAR = DATA / "cifar10" / "cifar-10-batches-bin" / "test_batch.bin"
GOLF = DATA / "categorical" / "golf.txt"

needs_mnist = pytest.mark.skipif(not MNIST.is_file(), reason="needs MNIST under TINYNET_DATA")
needs_cifar = pytest.mark.skipif(not CIFAR.is_file(), reason="needs CIFAR-10 under TINYNET_DATA")


def example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_example_is_tested_somewhere():
    tested_elsewhere = {
        "lenet_mnist",
        "cifar10_fast",
        "cifar10_augment",
        "cifar10_deep",
        "fraud_detection",
        "score_gan_samples",
        "fsdd_classifier",
        "custom_op",
        "newton",  # these three: test_higher_order_examples.py
        "hessian_vector",
        "wgan_gp_mnist",
        "cifar10_airbench",  # tinynet_tests/apps/test_airbench_run.py
    }
    here = {
        "cifar10_cnn",
        "mnist_quick",
        "vanishing_gradients",
        "trees_forest_mnist",
        "trees_id3",
        "dcgan_mnist",
        "gan_mnist",
        "conditional_gan",
        "latent_arithmetic",
    }
    scripts = {p.stem for p in EXAMPLES.glob("*.py") if "wavenet" not in p.stem}
    assert scripts - tested_elsewhere - here == set(), "add a fast run of the new example here"


@needs_cifar
def test_cifar10_cnn(tmp_path):
    out = tmp_path / "cnn"
    example("cifar10_cnn").main(
        [
            "--limit",
            "48",
            "--epochs",
            "1",
            "--batch-size",
            "16",
            "--verbose",
            "0",
            "--out",
            str(out),
        ]
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == 1 and metrics["test_samples"] == 48
    assert (out / "model.tnz").is_file() and (out / "curves.png").is_file()


@needs_mnist
def test_mnist_quick(capsys):
    example("mnist_quick").main(["--n", "80", "--batch-size", "40", "--n-test", "50"])
    out = capsys.readouterr().out
    assert "# verbose=1" in out and "# verbose=2" in out and "on 50 images" in out


@needs_mnist
def test_vanishing_gradients(tmp_path, capsys):
    out = tmp_path / "grads.png"
    example("vanishing_gradients").main(["--n", "128", "--epochs", "1", "--out", str(out)])
    assert out.read_bytes()[:4] == b"\x89PNG"
    assert capsys.readouterr().out.count("first hidden layer") == 2


@needs_mnist
def test_trees_forest_mnist(tmp_path, capsys):
    example("trees_forest_mnist").main(
        ["--trees", "2", "--jobs", "1", "--limit", "200", "--out", str(tmp_path)]
    )
    assert (tmp_path / "importances.png").read_bytes()[:4] == b"\x89PNG"
    assert "2 trees on 200 images" in capsys.readouterr().out


@pytest.mark.skipif(not GOLF.is_file(), reason="needs the categorical sets under TINYNET_DATA")
def test_trees_id3(capsys):
    example("trees_id3").main(["--rules", "3"])
    assert capsys.readouterr().out.strip()


# ----- the GAN scripts: one batch of one epoch, scored by a tiny stand-in classifier -----
@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    from tinynet.layers import Dense, Flatten
    from tinynet.models import Sequential

    model = Sequential(
        [Flatten(input_shape=(1, 28, 28)), Dense(32), Dense(10, activation="softmax")]
    )
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    # random features of the image minus a grey one, sharpened: confident and varied "digits",
    # so the latent-arithmetic study finds confident samples of every class in a small pool
    rng = np.random.default_rng(0)
    w1, w2 = rng.normal(0, 1, (784, 32)), rng.normal(0, 2, (32, 10))
    b1 = -np.full(784, 0.5) @ w1
    model.set_weights([a.astype("float32") for a in (w1, b1, w2, np.zeros(10))])
    path = tmp_path_factory.mktemp("clf") / "clf.tnz"
    model.save(path)
    return str(path)


def gan_args(out, classifier, *extra):
    return [
        "--epochs",
        "1",
        "--limit",
        "64",
        "--batch-size",
        "32",
        "--steps-per-epoch",
        "1",
        "--n-eval",
        "40",
        "--verbose",
        "0",
        "--classifier",
        classifier,
        "--out",
        str(out),
        *extra,
    ]


def run_gan(experiment, argv):
    from tinynet.apps.gan_cli import example_main

    assert example_main(experiment, argv) == 0


@needs_mnist
def test_dcgan_mnist(tmp_path, classifier):
    run_gan("dcgan", gan_args(tmp_path, classifier, "--dense", "0"))
    assert json.loads((tmp_path / "results.json").read_text())["epochs"] == 1
    assert (tmp_path / "samples-final.png").is_file() and (tmp_path / "generator_ema.tnz").is_file()


@needs_mnist
def test_latent_arithmetic(tmp_path, classifier):
    """On a stand-in generator whose images vary strongly with z (a trained one takes minutes),
    so that the stand-in classifier reads confident samples of every digit in a small pool."""
    from tinynet.layers import Dense, Reshape
    from tinynet.models import Sequential

    generator = Sequential(
        [Dense(784, activation="tanh", input_shape=(100,)), Reshape((1, 28, 28))]
    )
    rng = np.random.default_rng(1)
    generator.set_weights([rng.normal(0, 1, w.shape).astype("float32") for w in generator.weights])
    generator.save(tmp_path / "generator.tnz")
    run_gan(
        "arithmetic",
        gan_args(
            tmp_path / "arithmetic",
            classifier,
            *("--generator", str(tmp_path / "generator.tnz"), "--trials", "1"),
            *("--group", "2", "--mean-group", "4", "--pool", "400"),
        ),
    )
    assert (tmp_path / "arithmetic" / "results.json").is_file()


@needs_mnist
@pytest.mark.parametrize("experiment", ["lecture", "conditional"])
def test_gan_scripts(tmp_path, classifier, experiment):
    run_gan(experiment, gan_args(tmp_path, classifier))
    assert json.loads((tmp_path / "results.json").read_text())["epochs"] == 1

"""tinynet.apps.runs: the data the zoo's models train on, the epoch timer, the files a run writes."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

import tinynet as tn
from tinynet.apps import runs
from tinynet.layers import Dense, Flatten
from tinynet.models import Sequential
from tinynet.models.checkpoint import EpochTimer, RunCheckpoint, resume

DATA = Path(os.environ.get("TINYNET_DATA") or "/nonexistent")


def needs(relpath):
    return pytest.mark.skipif(
        not (DATA / relpath).is_file(),
        reason=f"needs real data: set TINYNET_DATA to a folder with {relpath}",
    )


@needs("mnist/train-images-idx3-ubyte.gz")
def test_mnist_scaled_channels_first():
    from tinynet.datasets import mnist

    (x, y), (xt, yt) = runs.load_images("mnist", limit=100)
    (raw, raw_y), _ = mnist.load_data()
    assert x.shape == (100, 1, 28, 28) and xt.shape == (100, 1, 28, 28)
    assert x.dtype == np.float32 and y.dtype == np.int64 and y.shape == (100,)
    np.testing.assert_allclose(x[:, 0], raw[:100] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, raw_y[:100])


@needs("cifar10/cifar-10-batches-bin/test_batch.bin")
def test_cifar10_scaled_labels_flat():
    (x, y), (xt, yt) = runs.load_images("cifar10", limit=50)
    assert x.shape == (50, 3, 32, 32) and yt.shape == (50,)
    assert 0 <= x.min() and x.max() <= 1 and x.max() > 0.9


def test_load_images_errors():
    with pytest.raises(ValueError, match="load_images: unknown dataset 'svhn'"):
        runs.load_images("svhn")


def test_one_hot():
    np.testing.assert_array_equal(runs.one_hot([2, 0], 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match=r"one_hot: labels must be in 0\.\.2, got 0\.\.3"):
        runs.one_hot([0, 3], 3)


def tiny_model():
    tn.seed(0)
    model = Sequential([Flatten(input_shape=(1, 4, 4)), Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def test_timer_and_result_files(tmp_path, rng):
    x = rng.random((40, 1, 4, 4), dtype=np.float32)
    y = np.arange(40) % 10
    model = tiny_model()
    timer = EpochTimer()
    history = model.fit(
        x,
        runs.one_hot(y),
        batch_size=8,
        epochs=3,
        validation_split=0.25,
        verbose=0,
        callbacks=[timer],
    )
    assert len(timer.epoch_seconds) == len(timer.train_seconds) == 3
    assert all(0 < t <= e for t, e in zip(timer.train_seconds, timer.epoch_seconds))
    assert timer.total >= sum(timer.epoch_seconds)

    metrics = runs.save_results(tmp_path / "run", model, history, x, y, "mnist", timer, {"seed": 0})
    on_disk = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert on_disk == metrics
    loss, acc = model.evaluate(x, runs.one_hot(y), verbose=0)
    assert metrics["test_accuracy"] == pytest.approx(acc) and metrics["test_loss"] == pytest.approx(
        loss
    )
    assert metrics["epochs"] == 3 and metrics["params"] == 170 and metrics["seed"] == 0
    assert metrics["history"]["val_acc"] == pytest.approx(history.history["val_acc"])
    assert metrics["machine"]["cores"] == os.cpu_count()
    for name in ("curves.png", "misclassified.png", "confusion.png"):
        assert (tmp_path / "run" / name).read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "run" / "model.tnz").is_file()


def test_example_parser_defaults():
    args = runs.example_parser(
        "Title line.\nmore", epochs=7, batch_size=32, out="runs/x"
    ).parse_args([])
    assert (args.epochs, args.batch_size, args.out, args.device, args.seed, args.limit) == (
        7,
        32,
        "runs/x",
        "cpu",
        0,
        None,
    )


def test_run_checkpoint_resume_continues_weights_history_and_times(tmp_path, rng):
    x = rng.random((40, 1, 4, 4), dtype=np.float32)
    y = runs.one_hot(np.arange(40) % 10)
    assert resume(tmp_path) == (None, None)
    model, timer = tiny_model(), EpochTimer()
    ckpt = RunCheckpoint(tmp_path, timer)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[timer, ckpt])
    expected = [w.copy() for w in model.get_weights()]

    again, state = resume(tmp_path)
    assert state["epochs"] == 2 and state["sessions"] == 1
    for w, e in zip(again.get_weights(), expected):
        np.testing.assert_array_equal(w, e)
    timer2 = EpochTimer()
    ckpt2 = RunCheckpoint(tmp_path, timer2, state)
    assert ckpt2.epochs_done == 2
    again.fit(x, y, batch_size=8, epochs=3, initial_epoch=2, verbose=0, callbacks=[timer2, ckpt2])
    assert len(ckpt2.history["loss"]) == len(ckpt2.epoch_seconds) == 3 and ckpt2.sessions == 2
    assert ckpt2.history["loss"][:2] == ckpt.history["loss"]
    assert ckpt2.total == pytest.approx(sum(ckpt2.epoch_seconds))


def test_resume_flag_only_where_a_script_supports_it():
    assert not hasattr(runs.example_parser("T.", 1, 1, "o").parse_args([]), "resume")
    assert runs.example_parser("T.", 1, 1, "o", resumable=True).parse_args(["--resume"]).resume

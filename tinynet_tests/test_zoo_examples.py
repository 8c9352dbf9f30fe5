"""The scripts in examples/: the fast recipe's schedule, and each script run for one short epoch
on a few real images (skipped without TINYNET_DATA)."""

import importlib.util
import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinynet.models import load_model

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DATA = Path(os.environ.get("TINYNET_DATA") or "/nonexistent")
FILES = {
    "mnist": DATA / "mnist" / "t10k-images-idx3-ubyte.gz",
    "cifar10": DATA / "cifar10" / "cifar-10-batches-bin" / "test_batch.bin",
}


def example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@given(peak=st.floats(1e-3, 1.0), total=st.integers(5, 5000), warmup=st.floats(0.05, 0.5))
def test_one_cycle_rises_to_the_peak_then_falls_to_zero(peak, total, warmup):
    s = example("cifar10_fast").OneCycle(peak, total, warmup)
    lrs = [s(i) for i in range(total)]
    top = max(range(total), key=lrs.__getitem__)
    assert lrs[top] <= peak * (1 + 1e-12) and lrs[top] >= peak * (1 - 1 / (warmup * total))
    assert all(a <= b + 1e-12 for a, b in zip(lrs[:top], lrs[1 : top + 1]))
    assert all(a >= b - 1e-12 for a, b in zip(lrs[top:], lrs[top + 1 :]))
    assert lrs[-1] == 0 and min(lrs) >= 0


@pytest.mark.parametrize(
    "name, dataset, extra",
    [
        ("lenet_mnist", "mnist", []),
        ("lenet_mnist", "mnist", ["--lr-drop", "1"]),
        ("cifar10_fast", "cifar10", ["--widths", "4,8,8"]),
        ("cifar10_augment", "cifar10", []),
    ],
)
def test_example_runs_and_writes_its_results(name, dataset, extra, tmp_path):
    if not FILES[dataset].is_file():
        pytest.skip(
            f"needs real {dataset}: set TINYNET_DATA to a folder with {FILES[dataset].relative_to(DATA)}"
        )
    out = tmp_path / name
    example(name).main(
        [
            "--limit",
            "64",
            "--epochs",
            "1",
            "--batch-size",
            "32",
            "--verbose",
            "0",
            "--out",
            str(out),
            *extra,
        ]
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert (
        metrics["epochs"] == 1 and metrics["test_samples"] == 64 and metrics["dataset"] == dataset
    )
    assert 0 <= metrics["test_accuracy"] <= 1
    for png in ("curves.png", "misclassified.png", "confusion.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"
    model = load_model(out / "model.tnz")
    assert model.count_params() == metrics["params"]
    if "--lr-drop" in extra:  # the rate of the first epoch, logged by the scheduler
        assert metrics["lr_drop_epoch"] == 1 and metrics["history"]["lr"] == [1e-4]


def test_cifar10_deep_resumes_after_its_last_saved_epoch(tmp_path):
    if not FILES["cifar10"].is_file():
        pytest.skip(
            "needs real cifar10: set TINYNET_DATA to a folder with cifar10/cifar-10-batches-bin"
        )
    out, common = tmp_path / "deep", ["--limit", "40", "--batch-size", "20", "--verbose", "0"]
    script = example("cifar10_deep")
    script.main([*common, "--epochs", "1", "--out", str(out)])
    script.main([*common, "--epochs", "2", "--out", str(out), "--resume"])
    metrics = json.loads((out / "metrics.json").read_text())
    assert (
        metrics["epochs"] == 2 and metrics["sessions"] == 2 and len(metrics["epoch_seconds"]) == 2
    )
    assert json.loads((out / "checkpoint.json").read_text())["epochs"] == 2

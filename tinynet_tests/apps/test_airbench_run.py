"""``tinynet train cifar10-airbench`` / examples/cifar10_airbench.py on 64 real CIFAR-10 images
with a narrow net: the files a run leaves, and a session stopped and resumed ending where an
uninterrupted run ends (skipped without TINYNET_DATA)."""

import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest

from tinynet.apps import cli
from tinynet.models import load_model

ROOT = Path(__file__).resolve().parents[2]
CIFAR = Path(os.environ.get("TINYNET_DATA") or "/nonexistent") / "cifar10"
needs_cifar = pytest.mark.skipif(
    not (CIFAR / "cifar-10-batches-bin" / "test_batch.bin").is_file(),
    reason="needs real CIFAR-10: set TINYNET_DATA",
)
TINY = ["--limit", "64", "--batch-size", "16", "--widths", "4,8,8", "--verbose", "0"]
TINY += ["--whitening-images", "64", "--tta-level", "1"]


def example():
    spec = importlib.util.spec_from_file_location("ab", ROOT / "examples" / "cifar10_airbench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@needs_cifar
def test_the_example_writes_the_runs_files(tmp_path):
    out = tmp_path / "run"
    assert example().main([*TINY, "--epochs", "1.5", "--out", str(out)]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["steps_done"] == m["total_steps"] == 6 and m["partial"] is False
    assert m["epochs"] == 2 and 0 <= m["tta_test_accuracy"] <= 1
    assert m["train_flops"] > 0 and m["label_smoothing"] == 0.2
    for name in ("curves.png", "train.log", "checkpoint.tnz", "model.tnz"):
        assert (out / name).is_file()


@needs_cifar
def test_a_stopped_and_resumed_run_ends_as_an_uninterrupted_one(tmp_path):
    whole, part = tmp_path / "whole", tmp_path / "part"
    args = [*TINY, "--epochs", "5"]
    assert cli.main(["train", "cifar10-airbench", *args, "--out", str(whole)]) == 0
    assert (
        cli.main(["train", "cifar10-airbench", *args, "--out", str(part), "--stop-after", "4"]) == 0
    )
    stopped = json.loads((part / "metrics.json").read_text())
    assert stopped["partial"] is True and stopped["steps_done"] == 16
    assert cli.main(["train", "cifar10-airbench", *args, "--out", str(part), "--resume"]) == 0
    a, b = (json.loads((d / "metrics.json").read_text()) for d in (whole, part))
    assert b["sessions"] == 2 and b["partial"] is False
    assert a["history"] == b["history"] and a["tta_test_accuracy"] == b["tta_test_accuracy"]
    for wa, wb in zip(*(load_model(d / "model.tnz").get_weights() for d in (whole, part))):
        np.testing.assert_array_equal(wa, wb)
    assert len((part / "train.log").read_text().splitlines()) > 5


@needs_cifar
def test_a_run_folder_is_never_overwritten_by_default(tmp_path, capsys):
    out = tmp_path / "kept"
    out.mkdir()
    (out / "metrics.json").write_text("{}")
    with pytest.raises(SystemExit, match="already holds another run's files"):
        cli.main(["train", "cifar10-airbench", *TINY, "--out", str(out)])
    assert (out / "metrics.json").read_text() == "{}"

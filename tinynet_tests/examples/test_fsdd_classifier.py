"""examples/fsdd_classifier.py run for one short epoch on a few real clips (skipped without
TINYNET_DATA holding fsdd/recordings)."""

import importlib.util
import json
import os
from pathlib import Path

import pytest

from tinynet.datasets import fsdd
from tinynet.models import load_model
from tinynet.zoo import speech

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DATA = Path(os.environ.get("TINYNET_DATA") or "/nonexistent")


@pytest.mark.data
def test_fast_mode_writes_its_results(tmp_path):
    if not (DATA / "fsdd" / "recordings").is_dir():
        pytest.skip("needs FSDD: set TINYNET_DATA to a folder with fsdd/recordings/")
    spec = importlib.util.spec_from_file_location(
        "example_fsdd_classifier", EXAMPLES / "fsdd_classifier.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "fsdd"
    args = ["--limit", "30", "--epochs", "1", "--batch-size", "15", "--verbose", "0"]
    module.main(args + ["--out", str(out)])
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["train_clips"] == metrics["test_clips"] == 30
    assert metrics["epochs"] == 1 and len(metrics["history"]["val_acc"]) == 1
    assert 0 <= metrics["test_accuracy_mu_law_256"] <= 1
    assert set(metrics["test_accuracy_by_speaker"]) <= set(fsdd.SPEAKERS)
    for name in ("model.tnz", "curves.png", "confusion.png", "train_log.csv"):
        assert (out / name).stat().st_size > 0
    model = load_model(out / "model.tnz")
    assert model.input_shape == (1, speech.N_MELS, speech.FRAMES)

    module.main(args + ["--out", str(out), "--epochs", "2", "--resume"])  # one more epoch
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == 2 and metrics["sessions"] == 2

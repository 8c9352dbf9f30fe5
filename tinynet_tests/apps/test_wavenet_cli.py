"""tinynet wavenet: train a tiny model on a few real clips, resume it, evaluate it (bits, a
generation read back by a classifier when one is committed), generate WAV files; bad input."""

import json
import os
from pathlib import Path

import pytest

from tinynet.apps import cli

DATA = os.environ.get("TINYNET_DATA")
FSDD = Path(DATA or "/nonexistent") / "fsdd" / "recordings" / "0_george_0.wav"
CLASSIFIER = Path(__file__).parents[2] / "results" / "fsdd_classifier" / "classifier.tnz"
pytestmark = [
    pytest.mark.data,
    pytest.mark.skipif(not FSDD.is_file(), reason="needs FSDD: TINYNET_DATA with fsdd/recordings"),
]
TINY = ["--stacks", "1", "--layers-per-stack", "3", "--channels", "8", "--skip-channels", "8"]


def _train(out, mode, *extra):
    args = ["wavenet", "train", "--mode", mode, "--limit", "18", "--epoch-share", "0.5"]
    return cli.main(args + TINY + ["--out", str(out), *extra])


@pytest.mark.parametrize("mode", ["digits", "vocoder"])
def test_train_resume_evaluate(tmp_path, mode, capsys):
    out = tmp_path / mode
    assert _train(out, mode, "--epochs", "1") == 0
    assert json.loads((out / "checkpoint.json").read_text())["epochs"] == 1
    with pytest.raises(SystemExit, match="already holds files"):
        _train(out, mode, "--epochs", "2")
    assert _train(out, mode, "--epochs", "2", "--resume") == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == 2 and 4 < metrics["test_bits_per_sample"] < 8.5
    args = ["wavenet", "evaluate", str(out / "model.tnz"), "--limit", "10", "--per-digit", "1"]
    if CLASSIFIER.is_file():
        args += ["--classifier", str(CLASSIFIER)]
    assert cli.main(args + ["--out", str(out / "eval")]) == 0
    result = json.loads((out / "eval" / "evaluation.json").read_text())
    assert result["mode"] == mode and result["generated_samples"] > 0
    if CLASSIFIER.is_file():
        assert 0 <= result["read_back"]["share"] <= 1
    assert (out / "eval" / "spectrograms.png").stat().st_size > 1000
    assert list((out / "eval" / "wav").glob("*.wav"))


def test_generate_writes_wav_files_and_names_bad_arguments(tmp_path):
    out = tmp_path / "digits"
    assert _train(out, "digits", "--epochs", "1") == 0
    gen = tmp_path / "gen"
    args = ["wavenet", "generate", str(out / "model.tnz"), "--digit", "3", "--n", "2"]
    assert cli.main(args + ["--speaker", "theo", "--out", str(gen)]) == 0
    assert sorted(p.name for p in gen.glob("*.wav")) == ["digit3_theo_0.wav", "digit3_theo_1.wav"]
    with pytest.raises(SystemExit, match="unknown speaker 'bob'"):
        cli.main(args + ["--speaker", "bob", "--out", str(gen)])

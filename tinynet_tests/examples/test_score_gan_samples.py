"""examples/score_gan_samples.py on tiny models made here: a classifier sure of one digit, one
that knows nothing, generators of different latent sizes; the command line, its JSON and its
refusals."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tinynet.layers import Dense, Flatten, Reshape
from tinynet.models import Sequential

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "score_gan_samples.py"


def _load():
    spec = importlib.util.spec_from_file_location("example_score_gan_samples", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sgs = _load()


def _generator(path, latent_dim=8, scale=1.0):
    g = Sequential([Dense(784, activation="tanh", input_shape=(latent_dim,)), Reshape((1, 28, 28))])
    g.build()
    g.weights[0].data *= scale
    g.save(path)
    return path


def _classifier(path, sure_of=None):
    """Softmax over a zero kernel: uniform probabilities, or a bias of 20 on digit ``sure_of``."""
    clf = Sequential([Flatten(input_shape=(1, 28, 28)), Dense(10, activation="softmax")])
    clf.build()
    kernel, bias = clf.weights
    kernel.data[...] = 0
    bias.data[...] = 0
    if sure_of is not None:
        bias.data[sure_of] = 20
    clf.save(path)
    return path


@pytest.fixture
def models(tmp_path):
    return {
        "g1": _generator(tmp_path / "g1.tnz"),
        "g2": _generator(tmp_path / "g2.tnz", scale=3),
        "sure": _classifier(tmp_path / "sure.tnz", sure_of=3),
        "blank": _classifier(tmp_path / "blank.tnz"),
    }


def test_every_pair_is_scored(models):
    scores = sgs.score(
        [models["g1"], models["g2"]], [models["sure"], models["blank"]], samples=40, batch_size=16
    )
    assert len(scores) == 4
    for g in ("g1", "g2"):
        sure = scores[f"{models[g]} / {models['sure']}"]
        assert sure["confident_share"] == 1.0 and sure["min_class_share"] == 0.0
        assert sure["class_shares"] == [0.0, 0.0, 0.0, 1.0] + [0.0] * 6
        blank = scores[f"{models[g]} / {models['blank']}"]
        assert blank["confident_share"] == 0.0 and sum(blank["class_shares"]) == pytest.approx(1)


def test_same_seed_same_scores_and_latent_size_from_the_generator(tmp_path, models):
    g16 = _generator(tmp_path / "g16.tnz", latent_dim=16)
    a = sgs.score([g16], [models["sure"]], samples=10, seed=5)
    assert a == sgs.score([g16], [models["sure"]], samples=10, seed=5)


def test_command_line_prints_and_writes_json(tmp_path, models):
    out = tmp_path / "scores.json"
    run = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--generators",
            str(models["g1"]),
            "--classifiers",
            str(models["sure"]),
            str(models["blank"]),
            "--samples",
            "20",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    printed = json.loads(run.stdout)
    assert printed == json.loads(out.read_text())
    assert printed["settings"] == {"samples": 20, "seed": 2, "threshold": 0.9}
    assert set(printed["scores"]) == {f"{models['g1']} / {models[c]}" for c in ("sure", "blank")}


def test_refuses_to_replace_a_file_or_read_a_missing_model(tmp_path, models, capsys):
    out = tmp_path / "kept.json"
    out.write_text("{}")
    argv = [
        "--generators",
        str(models["g1"]),
        "--classifiers",
        str(models["sure"]),
        "--samples",
        "4",
    ]
    with pytest.raises(SystemExit):
        sgs.main(argv + ["--out", str(out)])
    assert "--overwrite" in capsys.readouterr().err and out.read_text() == "{}"
    assert sgs.main(argv + ["--out", str(out), "--overwrite"]) == 0
    assert json.loads(out.read_text())["settings"]["samples"] == 4
    with pytest.raises(SystemExit):
        sgs.main(
            ["--generators", str(tmp_path / "missing.tnz"), "--classifiers", str(models["sure"])]
        )
    assert "no model file" in capsys.readouterr().err

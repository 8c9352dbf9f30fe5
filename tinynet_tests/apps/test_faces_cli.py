"""``tinynet gan faces``: each action end to end on tiny models and synthetic faces (the
mechanics and the files written, not the quality), and its refusals."""

import json
from pathlib import Path

import numpy as np
import pytest

import tinynet as tn
from tinynet.apps import faces_cli
from tinynet.apps import faces_runs as runs
from tinynet.apps.runs import RunFolderError
from tinynet.models.saving import ModelFileError
from tinynet.zoo import face_attributes as fa
from tinynet_tests.gan.face_models import channel_reader, painting_generator


def synthetic(n, seed=0):
    """Faces in [-1, 1] whose Eyeglasses / Smiling / Male labels are the signs of the three
    channel means (so a classifier can learn them), (N, 3, 64, 64) and (N, 3)."""
    rng = np.random.default_rng(seed)
    m = rng.uniform(-0.6, 0.6, (n, 3)).astype(np.float32)
    x = np.clip(m[:, :, None, None] + rng.normal(0, 0.1, (n, 3, 64, 64)), -1, 1)
    return x.astype(np.float32), (m > 0).astype(np.float32)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("faces") / "dcgan"
    x, _ = synthetic(48)
    r = runs.run_train(str(out), width=1, epochs=2, batch_size=8, steps_per_epoch=2, verbose=0, x=x)
    return out, r


def test_train_writes_grids_losses_interpolation_and_models(trained):
    out, r = trained
    names = {p.name for p in out.iterdir()}
    assert {
        "samples-epoch001.png",
        "samples-epoch002.png",
        "samples-final.png",
        "losses.png",
        "interpolation.png",
        "train.log",
        "results.json",
        "generator.tnz",
        "discriminator.tnz",
        "generator_ema.tnz",
    } <= names
    saved = json.loads((out / "results.json").read_text())
    assert saved["epochs"] == 2 and saved["width"] == 1 and saved["latent"] == "uniform"
    assert len(saved["history"]["d_loss"]) == 2 and len(saved["seconds_per_epoch"]) == 2
    assert len((out / "train.log").read_text().splitlines()) == 2
    g = runs.load_generator(out / "generator_ema.tnz")
    assert g.predict(np.zeros((2, 100), np.float32)).shape == (2, 3, 64, 64)


def test_train_resumes_from_its_checkpoint_up_to_the_epochs_in_all(tmp_path, capsys):
    x, _ = synthetic(32)
    out = tmp_path / "dcgan"
    args = dict(width=1, batch_size=8, steps_per_epoch=2, verbose=0, x=x)
    runs.run_train(str(out), epochs=1, **args)
    first = json.loads((out / "checkpoint.json").read_text())
    r = runs.run_train(str(out), epochs=2, resume=True, **args)
    assert r["epochs"] == 2 and r["sessions"] == 2 and len(r["seconds_per_epoch"]) == 2
    assert r["history"]["d_loss"][0] == first["history"]["d_loss"][0]
    assert len((out / "train.log").read_text().splitlines()) == 2
    assert (out / "samples-epoch002.png").is_file()
    state = json.loads((out / "checkpoint.json").read_text())
    assert state["epochs"] == 2 and len(state["batch_losses"]["g_loss"]) == 4
    assert state["batch_losses"]["g_loss"][:2] == first["batch_losses"]["g_loss"]
    log = r["session_log"]  # one record per session: its settings and its machine
    assert [e["from_epoch"] for e in log] == [0, 1] and all("machine" in e for e in log)
    assert log[1]["ema_decay"] == runs.EMA_DECAY and log[1]["batch_size"] == 8
    with pytest.raises(ModelFileError, match="generator weight"):
        runs.run_train(str(out), epochs=3, resume=True, **{**args, "width": 2})
    with pytest.raises(RunFolderError, match=f"--ema-decay 0.9 \\(the run has {runs.EMA_DECAY}\\)"):
        runs.run_train(str(out), epochs=3, resume=True, ema_decay=0.9, **args)
    with pytest.raises(RunFolderError, match="--batch-size 4 \\(the run has 8\\)"):
        runs.run_train(str(out), epochs=3, resume=True, **{**args, "batch_size": 4})
    # a fresh run in the folder (after --overwrite) leaves nothing of the old one to resume
    runs.run_train(str(out), epochs=1, **args)
    assert not (out / "samples-epoch002.png").exists()
    assert json.loads((out / "checkpoint.json").read_text())["epochs"] == 1
    with pytest.raises(FileNotFoundError, match="no checkpoint.tnz"):
        runs.run_train(str(tmp_path / "empty"), epochs=1, resume=True, **args)
    assert faces_cli.main(["train", "--resume", "--out", str(tmp_path / "c")]) == 1
    assert "no checkpoint.tnz" in capsys.readouterr().err


def test_interpolation_strips_run_between_two_z():
    g = painting_generator(latent_dim=6)
    strips = runs.interpolation_strips(lambda z: g.predict(z), 6, rows=2, steps=5)
    assert strips.shape == (2, 5, 3, 64, 64)
    # painted channels move monotonically along each straight line
    c = strips[:, :, 0, 0, 0]
    d = np.diff(c, axis=1)
    assert all((row >= -1e-6).all() or (row <= 1e-6).all() for row in d)


def test_classifiers_learn_separable_synthetic_attributes_and_report_them(tmp_path):
    tn.seed(0)
    train, test = synthetic(256, 0), synthetic(64, 1)
    m = runs.run_classifiers(
        str(tmp_path),
        epochs=3,
        batch_size=32,
        lr=1e-2,
        widths=(4, 4, 4, 4),
        features=8,
        verbose=0,
        data=(train, test),
    )
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["attributes"] == ["Eyeglasses", "Smiling", "Male"]
    assert saved["train_faces"] == 256 and saved["test_faces"] == 64 and saved["epochs"] == 3
    model = runs.load_classifier(tmp_path / "classifier.tnz")
    bal = fa.balanced_accuracy(test[1], fa.predict_attributes(model, test[0]) > 0.5)
    np.testing.assert_allclose(list(m["balanced_accuracy"].values()), bal.round(4))
    assert min(bal) > 0.75  # the signs of the channel means are easy
    assert saved["target_met"] == bool((bal >= 0.9).all())


@pytest.fixture
def stand_ins(tmp_path):
    g, c = painting_generator(latent_dim=6), channel_reader()
    g.save(tmp_path / "g.tnz", include_optimizer=False)
    c.save(tmp_path / "c.tnz", include_optimizer=False)
    return tmp_path / "g.tnz", tmp_path / "c.tnz"


def test_arithmetic_action_measures_both_equations_and_draws_the_slide(tmp_path, stand_ins, capsys):
    g, c = stand_ins
    out = tmp_path / "arith"
    argv = [
        "arithmetic",
        "--generator",
        str(g),
        "--classifier",
        str(c),
        "--out",
        str(out),
        "--cases",
        "30",
        "--pool",
        "600",
    ]
    assert faces_cli.main(argv) == 0
    printed = capsys.readouterr().out
    assert "= woman with glasses" in printed and "= smiling man" in printed
    r = json.loads((out / "results.json").read_text())
    for name in ("glasses", "smiling"):
        assert r[name]["cases"] == 30 and r[name]["success_rate"] >= 0.8
        assert r[name]["control_success_rate"] < r[name]["success_rate"]
        assert r[name]["figure_case_succeeded"]
    assert (out / "arithmetic.png").stat().st_size > 1000
    assert faces_cli.main(argv) == 1  # another run's files: refused
    assert "already holds" in capsys.readouterr().err
    assert faces_cli.main(argv + ["--overwrite"]) == 0


def test_sample_measures_a_tiny_random_generator_against_real_stand_ins(tmp_path, trained):
    out, _ = trained
    tn.seed(0)
    clf = fa.attribute_classifier(widths=(2, 2, 2, 2), features=4)
    clf.save(tmp_path / "c.tnz", include_optimizer=False)
    real = synthetic(40, 2)
    q = runs.run_sample(
        str(tmp_path / "s"),
        str(out / "generator_ema.tnz"),
        str(tmp_path / "c.tnz"),
        n=30,
        real=real,
    )
    assert q["samples"] == 30 and q["real"] == 40 and q["features"] == 4
    assert q["fid"] > 0 and q["fid_real_halves"] > 0  # clipped at 0: positive, so measured
    assert q["fid_sizes"] == {"fid": [30, 40], "same_size": [20, 20]}
    assert set(q["shares"]) == {"Eyeglasses", "Smiling", "Male"}
    assert q["shares"]["Male"]["real_labelled"] == pytest.approx(real[1][:, 2].mean(), abs=1e-4)
    assert (tmp_path / "s" / "samples.png").is_file()
    assert json.loads((tmp_path / "s" / "quality.json").read_text())["fid"] == q["fid"]


def test_actions_without_celeba_say_where_to_get_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TINYNET_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert faces_cli.main(["classifiers", "--out", str(tmp_path / "c")]) == 1
    assert "mmlab.ie.cuhk.edu.hk" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--epochs", "0"], "--epochs must be a positive integer, got 0"),
        (["train", "--width", "-1"], "--width must be a positive integer, got -1"),
        (["arithmetic", "--generator", "g.tnz", "--cases", "0"], "--cases must be a positive"),
        (["arithmetic", "--generator", "g.tnz", "--confidence", "1"], "--confidence must be in"),
        (["arithmetic", "--generator", "g.tnz", "--confidence", "0.5"], "got 0.5"),
        (["train", "--ema-decay", "1.5"], "--ema-decay must be in [0, 1)"),
        (["train", "--max-minutes", "0"], "--max-minutes must be above 0"),
        (["classifiers", "--lr", "-0.1"], "--lr must be above 0, got -0.1"),
        (["sample", "--generator", "g.tnz", "--n", "1"], "--n must be at least 2"),
    ],
)
def test_bad_numbers_are_refused_before_anything_runs(argv, message, tmp_path, capsys):
    assert faces_cli.main(argv + ["--out", str(tmp_path / "o")]) == 1
    assert message in capsys.readouterr().err


def test_the_tinynet_command_reaches_the_faces_actions(tmp_path, monkeypatch, capsys):
    from tinynet.apps.cli import main

    monkeypatch.setenv("TINYNET_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert main(["gan", "faces", "classifiers", "--out", str(tmp_path / "c")]) == 1
    assert "official site" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["gan", "faces", "arithmetic", "--help"])
    assert "--cases" in capsys.readouterr().out


def test_device_gpu_without_a_gpu_is_refused(tmp_path, capsys):
    from tinynet.backend import gpu_available

    if gpu_available():
        pytest.skip("a GPU is present")
    assert faces_cli.main(["train", "--device", "gpu", "--out", str(tmp_path / "o")]) == 1
    assert "no CUDA GPU" in capsys.readouterr().err


def test_concepts_too_rare_in_the_pool_are_reported_not_hidden(tmp_path, stand_ins, capsys):
    g, c = stand_ins
    out = tmp_path / "rare"
    argv = [
        "arithmetic",
        "--generator",
        str(g),
        "--classifier",
        str(c),
        "--out",
        str(out),
        "--cases",
        "5",
        "--pool",
        "30",
        "--confidence",
        "0.99",
    ]
    out.mkdir()
    (out / "arithmetic.png").write_bytes(b"an earlier run's figure")
    assert faces_cli.main(argv + ["--overwrite"]) == 1
    assert "not measured" in capsys.readouterr().err
    r = json.loads((out / "results.json").read_text())
    for name in ("glasses", "smiling"):
        assert "fewer than the 3 a case averages" in r[name]["error"]
        assert len(r[name]["group_sizes"]) == 4 and r[name]["cases"] == 0
    assert not (out / "arithmetic.png").exists()


def test_oversampled_repeats_the_matching_faces_by_the_largest_factor():
    # columns Eyeglasses, Smiling, Male
    labels = np.array([[1, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=bool)
    got = runs.oversampled(labels, ["Eyeglasses=2", "Eyeglasses&~Male=3"])
    np.testing.assert_array_equal(got, [0, 0, 1, 1, 1, 2, 3])
    np.testing.assert_array_equal(runs.oversampled(labels, []), [0, 1, 2, 3])
    np.testing.assert_array_equal(runs.oversampled(labels, ["~Smiling&Male=2"]), [0, 0, 1, 2, 3, 3])


@pytest.mark.parametrize(
    "spec, message",
    [
        ("Glasses=2", "unknown attribute 'Glasses'"),
        ("~~Male=2", "unknown attribute '~Male'"),
        ("Eyeglasses", "ATTR"),
        ("Male=0", "K >= 1"),
    ],
)
def test_bad_oversample_specs_are_refused_by_name(spec, message, tmp_path, capsys):
    with pytest.raises(ValueError, match=message):
        runs.check_oversample([spec])
    assert faces_cli.main(["train", "--oversample", spec, "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert repr(spec) in err and message in err
    assert not (tmp_path / "o").exists()


def test_the_default_classifier_is_found_from_any_folder_or_named(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    found = faces_cli.default_classifier()
    committed = Path(faces_cli.__file__).resolve().parents[2] / faces_cli.DEFAULT_CLASSIFIER
    assert found == (str(committed) if committed.is_file() else None)
    monkeypatch.setattr(faces_cli, "default_classifier", lambda: None)
    assert faces_cli.main(["sample", "--generator", "g.tnz", "--out", str(tmp_path / "o")]) == 1
    assert "--classifier: the default, results/faces/classifiers" in capsys.readouterr().err

"""The tinynet command: help, train (one short epoch on real data), evaluate, bench, errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tinynet.apps import cli

DATA = os.environ.get("TINYNET_DATA")
MNIST = Path(DATA or "/nonexistent") / "mnist" / "t10k-images-idx3-ubyte.gz"
CIFAR = Path(DATA or "/nonexistent") / "cifar10" / "cifar-10-batches-bin" / "test_batch.bin"
needs_mnist = pytest.mark.skipif(
    not MNIST.is_file(), reason="needs real MNIST: set TINYNET_DATA to a folder with mnist/*.gz"
)


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main(["--help"])
    assert exit.value.code == 0
    out = capsys.readouterr().out
    for name in ("train", "evaluate", "bench"):
        assert name in out


def test_help_from_a_fresh_interpreter():
    done = subprocess.run(
        [sys.executable, "-m", "tinynet.apps.cli", "train", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    for option in (
        "lenet",
        "cifar10-cnn",
        "cifar10-deep",
        "--augment",
        "--epochs",
        "--batch-size",
        "--device",
        "--out",
        "--seed",
    ):
        assert option in done.stdout
    assert "--limit" in done.stdout and "--overwrite" in done.stdout


def test_no_command_prints_help(capsys):
    assert cli.main([]) == 2
    assert "usage: tinynet" in capsys.readouterr().out


def test_unknown_model_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main(["train", "resnet"])
    assert exit.value.code == 2
    assert "invalid choice: 'resnet'" in capsys.readouterr().err


def test_augment_is_for_cifar_only(capsys):
    assert cli.main(["train", "lenet", "--augment"]) == 1
    assert "--augment is for the CIFAR-10 models, not lenet" in capsys.readouterr().err


def test_evaluate_missing_and_corrupt_files(tmp_path, capsys):
    assert cli.main(["evaluate", str(tmp_path / "none.tnz")]) == 1
    assert "none.tnz: no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.tnz"
    bad.write_bytes(b"not a zip file at all")
    assert cli.main(["evaluate", str(bad)]) == 1
    assert str(bad) in capsys.readouterr().err


@needs_mnist
def test_train_one_epoch_then_evaluate(tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        cli.main(
            [
                "train",
                "lenet",
                "--epochs",
                "1",
                "--limit",
                "256",
                "--batch-size",
                "64",
                "--out",
                str(out),
                "--verbose",
                "0",
                "--seed",
                "3",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    for name in ("model.tnz", "metrics.json", "curves.png", "misclassified.png", "confusion.png"):
        assert (out / name).is_file(), name
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == 1 and metrics["test_samples"] == 256 and metrics["seed"] == 3
    assert metrics["batch_size"] == 64 and metrics["optimizer"] == "adam"
    assert len(metrics["history"]["val_acc"]) == 1 and len(metrics["epoch_seconds"]) == 1
    assert f"test accuracy {metrics['test_accuracy']:.4f}" in printed

    assert cli.main(["evaluate", str(out / "model.tnz"), "--limit", "256"]) == 0
    line = capsys.readouterr().out
    assert f"accuracy {metrics['test_accuracy']:.4f} on 256 mnist test images" in line
    assert cli.main(["evaluate", str(out / "model.tnz"), "--dataset", "cifar10"]) == 1
    assert "(1, 28, 28)" in capsys.readouterr().err


@needs_mnist
def test_train_resume_goes_on_from_the_checkpoint(tmp_path, capsys):
    out = tmp_path / "run"
    common = [
        "train",
        "lenet",
        "--limit",
        "128",
        "--batch-size",
        "64",
        "--out",
        str(out),
        "--verbose",
        "0",
    ]
    assert cli.main([*common, "--epochs", "1"]) == 0
    first = json.loads((out / "checkpoint.json").read_text())
    assert cli.main([*common, "--epochs", "2", "--resume"]) == 0
    assert "resuming after epoch 1" in capsys.readouterr().out
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == 2 and metrics["sessions"] == 2
    assert metrics["history"]["loss"][0] == first["history"]["loss"][0]
    # a checkpoint of another model is refused, not trained on
    assert (
        cli.main(
            [
                "train",
                "cifar10-cnn",
                "--limit",
                "8",
                "--out",
                str(out),
                "--resume",
                "--verbose",
                "0",
            ]
        )
        == 1
    )
    assert "holds a model for input (1, 28, 28), not cifar10-cnn" in capsys.readouterr().err


@pytest.mark.skipif(
    not CIFAR.is_file(),
    reason="needs real CIFAR-10: set TINYNET_DATA to a folder with cifar10/cifar-10-batches-bin",
)
def test_train_augment_uses_the_examples_recipe(tmp_path):
    from tinynet.apps import runs

    out = tmp_path / "aug"
    assert (
        cli.main(
            [
                "train",
                "cifar10-deep",
                "--augment",
                "--epochs",
                "1",
                "--limit",
                "32",
                "--batch-size",
                "16",
                "--out",
                str(out),
                "--verbose",
                "0",
            ]
        )
        == 0
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["augmentation"] == runs.CIFAR10_AUGMENTATION
    assert metrics["history"]["lr"] == [pytest.approx(runs.augment_learning_rate(0))]
    assert metrics["validation"] == "test set" and metrics["epochs"] == 1


def test_bench_runs_the_checkouts_suite_with_its_arguments(monkeypatch, tmp_path):
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "__main__.py").write_text(
        "import sys, pathlib; pathlib.Path('argv.txt').write_text(' '.join(sys.argv[1:]))"
    )
    monkeypatch.chdir(tmp_path)
    assert cli.main(["bench", "--smoke", "--device", "cpu"]) == 0
    assert (tmp_path / "argv.txt").read_text() == "--smoke --device cpu"


def test_bench_outside_a_checkout_says_so(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["bench", "--smoke"]) == 1
    assert "no benchmarks/ folder in" in capsys.readouterr().err


def test_subcommand_registry(monkeypatch, capsys):
    monkeypatch.setattr(cli, "SUBCOMMANDS", dict(cli.SUBCOMMANDS))

    @cli.subcommand("hello", "say hello", lambda p: p.add_argument("--name", default="x"))
    def hello(args):
        print(f"hello {args.name}")
        return 0

    assert cli.main(["hello", "--name", "tinynet"]) == 0
    assert capsys.readouterr().out == "hello tinynet\n"


# ----- issue 18 / 19: arguments checked before anything is trained, runs never overwritten ------
@pytest.mark.parametrize(
    "argv, message",
    [
        (["--epochs", "0"], "--epochs must be a positive integer, got 0"),
        (["--batch-size", "0"], "--batch-size must be a positive integer, got 0"),
        (["--epochs", "-3"], "--epochs must be a positive integer, got -3"),
        (["--limit", "0"], "--limit must be a positive integer, got 0"),
    ],
)
def test_train_refuses_non_positive_sizes(tmp_path, capsys, argv, message):
    assert cli.main(["train", "lenet", "--out", str(tmp_path / "r"), *argv]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_train_refuses_an_out_that_is_a_file_or_holds_another_run(tmp_path, capsys):
    f = tmp_path / "results.txt"
    f.write_text("keep me")
    assert cli.main(["train", "lenet", "--out", str(f)]) == 1
    assert f"--out {f} is a file" in capsys.readouterr().err
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.json").write_text("{}")
    assert cli.main(["train", "lenet", "--out", str(run)]) == 1
    err = capsys.readouterr().err
    assert "already holds another run's files (metrics.json); pass --overwrite" in err
    assert cli.main(["train", "lenet", "--out", str(run), "--resume"]) == 1
    assert "has no checkpoint.tnz to go on from" in capsys.readouterr().err
    assert f.read_text() == "keep me" and (run / "metrics.json").read_text() == "{}"


def test_verbose_defaults_to_one_line_per_epoch_off_a_terminal(monkeypatch):
    from tinynet.apps import runs

    monkeypatch.setattr(sys.stdout, "isatty", lambda: False, raising=False)
    assert runs.default_verbose(None) == 2 and runs.default_verbose(1) == 1
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    assert runs.default_verbose(None) == 1


def test_gan_subcommands_have_their_own_options(capsys):
    for experiment, has_dense in (("dcgan", True), ("lecture", False), ("arithmetic", True)):
        with pytest.raises(SystemExit):
            cli.main(["gan", experiment, "--help"])
        out = capsys.readouterr().out
        assert f"usage: tinynet gan {experiment}" in out
        assert ("--dense" in out) == has_dense and ("--generator" in out) == (
            experiment == "arithmetic"
        )
    with pytest.raises(SystemExit):
        cli.main(["gan", "dcgan", "--generator", "x.tnz"])  # not a DCGAN option
    assert "unrecognized arguments: --generator" in capsys.readouterr().err


def test_gan_refuses_an_out_holding_another_run(tmp_path, capsys):
    (tmp_path / "samples.png").write_bytes(b"png")
    assert cli.main(["gan", "dcgan", "--out", str(tmp_path), "--epochs", "1"]) == 1
    assert "already holds another run's files (samples.png)" in capsys.readouterr().err


def test_evaluate_names_a_file_that_is_not_a_model(tmp_path, capsys):
    bad = tmp_path / "bad.tnz"
    bad.write_bytes(b"\x80\x04 pickled garbage" * 20)
    assert cli.main(["evaluate", str(bad)]) == 1
    err = capsys.readouterr().err.replace(str(tmp_path), "")
    assert "bad.tnz: not a readable tinynet model file" in err and "pickle" not in err


@needs_mnist
@pytest.mark.parametrize("loss", ["sparse_categorical_crossentropy", "categorical_crossentropy"])
def test_evaluate_a_model_trained_on_integer_or_one_hot_labels(tmp_path, capsys, loss):
    from tinynet.layers import Dense, Flatten
    from tinynet.models import Sequential

    model = Sequential([Flatten(input_shape=(1, 28, 28)), Dense(10, activation="softmax")])
    model.compile("adam", loss, metrics=["accuracy"])
    model.save(tmp_path / "m.tnz")
    assert cli.main(["evaluate", str(tmp_path / "m.tnz"), "--limit", "64"]) == 0
    assert "on 64 mnist test images" in capsys.readouterr().out

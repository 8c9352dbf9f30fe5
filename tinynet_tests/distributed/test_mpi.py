"""Data-parallel training on two MPI ranks equals one process's (mpiexec -n 2 on mpi_worker.py).

Each case launches ``mpiexec -n 2`` with a timeout, then trains the same scenario here in one
process and compares: both ranks end bit-identical, and within ATOL of one process (the sums
over ranks round differently). Skipped, saying why, without the ``distributed`` extra.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from . import mpi_worker

ATOL = 1e-5
TIMEOUT = 180
WORKER = Path(__file__).with_name("mpi_worker.py")
MPIEXEC = shutil.which("mpiexec") or shutil.which("mpirun")

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("mpi4py") is None or MPIEXEC is None,
    reason="needs mpi4py and mpiexec: pip install 'tinynet[distributed]'",
)


def launch(scenario, out, ranks=2):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [MPIEXEC, "-n", str(ranks), sys.executable, str(WORKER), scenario, str(out)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=TIMEOUT)


def check_equal(scenario, tmp_path):
    done = launch(scenario, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    ranks = [np.load(tmp_path / f"rank{r}.npz") for r in range(2)]
    for key in ranks[0].files:
        assert np.array_equal(ranks[0][key], ranks[1][key]), f"{key} differs between the ranks"
    model, history = mpi_worker.train(scenario, tmp_path / "single", None)
    single = mpi_worker.weights(model)
    worst = max(float(np.abs(ranks[0][f"w{i}"] - w.data).max()) for i, w in enumerate(single))
    assert worst <= ATOL, f"{scenario}: weights differ from one process's by up to {worst:.3g}"
    loss = history.history.get("loss", history.history.get("d_loss"))
    np.testing.assert_allclose(ranks[0]["loss"], loss, rtol=1e-5)
    val = history.history.get("val_loss", [])
    np.testing.assert_allclose(ranks[0]["val_loss"], val, rtol=1e-5)
    return worst


def test_lenet_two_ranks_equal_one_process(tmp_path):
    check_equal("lenet", tmp_path)


def test_dropout_and_batchnorm_two_ranks_equal_one_process(tmp_path):
    check_equal("dropout_bn", tmp_path)


def test_gan_two_ranks_equal_one_process(tmp_path):
    check_equal("gan", tmp_path)


def test_conditional_gan_two_ranks_equal_one_process(tmp_path):
    check_equal("cgan", tmp_path)


def test_wavenet_on_clip_batches_two_ranks_equal_one_process(tmp_path):
    # clips of different lengths: each rank's share is its part of the weight sum, and the
    # batch of one clip leaves rank 1 without one
    check_equal("wavenet", tmp_path)


def test_an_iterator_with_a_one_row_batch_two_ranks_equal_one_process(tmp_path):
    check_equal("iterator", tmp_path)


def test_an_iterator_with_batchnorm_and_an_uneven_batch_equals_one_process(tmp_path):
    check_equal("iterator_bn", tmp_path)


def test_resume_on_rank_0_carries_on_everywhere(tmp_path):
    (tmp_path / "single").mkdir()
    check_equal("resume", tmp_path)


def test_a_stop_on_one_rank_stops_every_rank_at_the_same_step(tmp_path):
    check_equal("stop", tmp_path)
    assert len(np.load(tmp_path / "rank0.npz")["loss"]) == 1  # the first epoch, cut short


def test_a_rank_that_raises_fails_the_job_with_its_error(tmp_path):
    done = launch("raise", tmp_path)
    assert done.returncode != 0
    assert "rank 1 fails on purpose" in done.stderr + done.stdout
    assert "[tinynet rank 1/2]" in done.stderr + done.stdout


MNIST = (
    Path(os.environ.get("TINYNET_DATA") or "/nonexistent") / "mnist" / "train-images-idx3-ubyte.gz"
)


@pytest.mark.skipif(not MNIST.is_file(), reason="needs real MNIST: set TINYNET_DATA")
def test_the_command_trains_on_two_ranks_like_one_process(tmp_path):
    def run(ranks, out):
        cmd = [sys.executable, "-m", "tinynet.apps.cli", "train", "lenet", "--epochs", "1"]
        cmd += ["--limit", "300", "--batch-size", "64", "--out", str(out), "--verbose", "0"]
        if ranks:
            cmd = [MPIEXEC, "-n", str(ranks)] + cmd + ["--distributed"]
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=TIMEOUT)
        assert done.returncode == 0, done.stdout + done.stderr
        return json.loads((out / "metrics.json").read_text())

    two, one = run(2, tmp_path / "two"), run(0, tmp_path / "one")
    assert two["ranks"] == 2
    np.testing.assert_allclose(two["history"]["loss"], one["history"]["loss"], rtol=1e-5)
    assert abs(two["test_loss"] - one["test_loss"]) < 1e-4


def run_command(args, ranks, tmp_path):
    """``tinynet ARGS`` in one process (ranks 0) or under mpiexec -n RANKS with --distributed."""
    cmd = [sys.executable, "-m", "tinynet.apps.cli"] + args
    if ranks:
        cmd = [MPIEXEC, "-n", str(ranks)] + cmd + ["--distributed"]
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MPLBACKEND="Agg")
    done = subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=TIMEOUT, cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def weight_differences(a, b):
    """[(weight name, |a - b|)] for every weight of two saved models."""
    from tinynet.models import load_model

    one, two = load_model(a, compile=False), load_model(b, compile=False)
    return [(x.name, np.abs(x.data - y.data)) for x, y in zip(one.weights, two.weights)]


def max_weight_difference(a, b):
    return max(float(d.max()) for _, d in weight_differences(a, b))


@pytest.mark.skipif(not MNIST.is_file(), reason="needs real MNIST: set TINYNET_DATA")
def test_the_gan_command_trains_on_two_ranks_like_one_process(tmp_path):
    import tinynet as tn

    clf = tn.zoo.lenet()  # untrained: the measures run, their values do not matter here
    clf.compile(optimizer="adam", loss="categorical_crossentropy")
    clf.save(tmp_path / "clf.tnz")
    args = ["gan", "dcgan", "--limit", "64", "--batch-size", "32", "--epochs", "1"]
    args += ["--n-eval", "50", "--dense", "0", "--ema-decay", "0", "--classifier", "clf.tnz"]
    args += ["--verbose", "0"]
    run_command(args + ["--out", "one"], 0, tmp_path)
    done = run_command(args + ["--out", "two"], 2, tmp_path)
    assert done.stdout.count("dcgan: 1 epoch") == 1  # rank 0 alone reports and writes
    # Adam moves a weight by about lr a step whatever the size of its gradient, so a gradient
    # that is zero but for rounding (which the BLAS kernels decide: on the AVX-512 ones 0.3% of
    # the generator's first kernel ends up apart) may move it either way; ranks out of step, or
    # a tensor left out of the allreduce, would move most of that tensor apart
    for name in ("generator.tnz", "discriminator.tnz"):
        for weight, diff in weight_differences(tmp_path / "one" / name, tmp_path / "two" / name):
            apart = int((diff > ATOL).sum())
            assert apart <= max(1, diff.size // 100), (
                f"{name} {weight}: {apart} of {diff.size} weights differ from 1 process by more "
                f"than {ATOL} (up to {diff.max():.3g})"
            )
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == sorted(
        p.name for p in (tmp_path / "one").iterdir()
    )


CIFAR10 = Path(os.environ.get("TINYNET_DATA") or "/nonexistent") / "cifar10"


@pytest.mark.skipif(not CIFAR10.is_dir(), reason="needs CIFAR-10: set TINYNET_DATA")
def test_the_augmented_cifar_command_trains_on_two_ranks_like_one_process(tmp_path):
    # 32 rows a rank and 32 channels: dropout's masks must be cut along the batch axis
    args = ["train", "cifar10-cnn", "--augment", "--limit", "150", "--epochs", "1"]
    args += ["--batch-size", "64", "--verbose", "0"]
    run_command(args + ["--out", "one"], 0, tmp_path)
    run_command(args + ["--out", "two"], 2, tmp_path)
    worst = max_weight_difference(tmp_path / "one" / "model.tnz", tmp_path / "two" / "model.tnz")
    assert worst <= ATOL, f"2 ranks differ from 1 process by {worst:.3g}"
    one, two = (json.loads((tmp_path / d / "metrics.json").read_text()) for d in ("one", "two"))
    assert two["ranks"] == 2
    np.testing.assert_allclose(two["history"]["loss"], one["history"]["loss"], rtol=1e-5)


FSDD = Path(os.environ.get("TINYNET_DATA") or "/nonexistent") / "fsdd" / "recordings"


@pytest.mark.skipif(not (FSDD / "0_george_0.wav").is_file(), reason="needs FSDD: TINYNET_DATA")
def test_the_wavenet_command_trains_and_resumes_on_two_ranks_like_one_process(tmp_path):
    import tinynet.wavenet  # noqa: F401 (registers the class for load_model)

    args = ["wavenet", "train", "--limit", "8", "--stacks", "1", "--layers-per-stack", "3"]
    args += ["--channels", "4", "--skip-channels", "8", "--local-hidden", "4"]
    args += ["--epoch-share", "0.5"]
    for epochs, more in (("1", []), ("2", ["--resume"])):  # the second resumes on rank 0
        for ranks, out in ((0, "one"), (2, "two")):
            run_command(args + ["--epochs", epochs, "--out", out] + more, ranks, tmp_path)
    worst = max_weight_difference(tmp_path / "one" / "model.tnz", tmp_path / "two" / "model.tnz")
    assert worst <= ATOL, f"2 ranks differ from 1 process by {worst:.3g}"
    one, two = (json.loads((tmp_path / d / "metrics.json").read_text()) for d in ("one", "two"))
    assert two["ranks"] == 2 and two["epochs"] == one["epochs"] == 2
    np.testing.assert_allclose(two["history"]["loss"], one["history"]["loss"], rtol=1e-5)
    # --distributed under plain python: a one-process communicator, the same run
    run_command(args + ["--epochs", "1", "--out", "plain", "--distributed"], 0, tmp_path)
    assert json.loads((tmp_path / "plain" / "metrics.json").read_text())["ranks"] == 1


def test_per_rank_noise_is_reproducible_and_not_one_process_masks(tmp_path):
    runs = []
    for k in range(2):
        out = tmp_path / str(k)
        out.mkdir()
        done = launch("dropout_rank", out)
        assert done.returncode == 0, done.stdout + done.stderr
        runs.append([np.load(out / f"rank{r}.npz") for r in range(2)])
    for key in runs[0][0].files:
        assert np.array_equal(runs[0][0][key], runs[0][1][key])  # the ranks agree
        assert np.array_equal(runs[0][0][key], runs[1][0][key])  # and so do two runs
    model, _ = mpi_worker.train("dropout_rank", tmp_path, None)
    worst = max(
        float(np.abs(runs[0][0][f"w{i}"] - w.data).max()) for i, w in enumerate(model.weights)
    )
    assert worst > 1e-4  # other masks than one process's


def gpus():
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount()
    except Exception:
        return 0


@pytest.mark.gpu
@pytest.mark.skipif(
    gpus() < 2, reason="NCCL needs a GPU per rank: 2 GPUs (NCCL refuses two ranks on one)"
)
def test_nccl_allreduce_of_cupy_arrays_on_two_gpus(tmp_path):
    done = launch("nccl", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    for r in range(2):
        got = np.load(tmp_path / f"rank{r}.npz")
        assert bool(got["nccl"]), "the CuPy arrays went through host memory, not NCCL"
        np.testing.assert_array_equal(got["sum"], 3.0)

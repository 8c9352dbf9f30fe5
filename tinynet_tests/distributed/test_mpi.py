"""Data-parallel training on two MPI ranks equals one process's (mpiexec -n 2 on mpi_worker.py).

Each case launches ``mpiexec -n 2`` with a timeout, then trains the same scenario here in one
process and compares: both ranks end bit-identical, and within ATOL of one process (the sums
over ranks round differently). Skipped, saying why, without the ``distributed`` extra.
"""

import importlib.util
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
    worst = max(
        float(np.abs(ranks[0][f"w{i}"] - w.data).max()) for i, w in enumerate(model.weights)
    )
    assert worst <= ATOL, f"{scenario}: weights differ from one process's by up to {worst:.3g}"
    np.testing.assert_allclose(ranks[0]["loss"], history.history["loss"], rtol=1e-5)
    return worst


def test_lenet_two_ranks_equal_one_process(tmp_path):
    check_equal("lenet", tmp_path)


def test_dropout_and_batchnorm_two_ranks_equal_one_process(tmp_path):
    check_equal("dropout_bn", tmp_path)


def test_resume_on_rank_0_carries_on_everywhere(tmp_path):
    (tmp_path / "single").mkdir()
    check_equal("resume", tmp_path)


def test_a_rank_that_raises_fails_the_job_with_its_error(tmp_path):
    done = launch("raise", tmp_path)
    assert done.returncode != 0
    assert "rank 1 fails on purpose" in done.stderr + done.stdout
    assert "[tinynet rank 1/2]" in done.stderr + done.stdout

"""tinynet.backend.blas_kernels: which OpenBLAS kernels the process runs, as benchmarks record."""

import os
import subprocess
import sys

import pytest

from tinynet import backend

ASK = "from tinynet.backend import blas_kernels; print(blas_kernels())"


def _kernels_with(coretype):
    env = dict(os.environ, OPENBLAS_CORETYPE=coretype)
    out = subprocess.run(
        [sys.executable, "-c", ASK], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_blas_kernels_names_the_kernels_forced_by_openblas_coretype():
    if backend.blas_kernels() is None:
        pytest.skip("NumPy's BLAS here is not an OpenBLAS that names its kernels")
    haswell, sandybridge = _kernels_with("Haswell"), _kernels_with("Sandybridge")
    if haswell == sandybridge:
        pytest.skip(f"this OpenBLAS is built for one CPU ({haswell}): OPENBLAS_CORETYPE is ignored")
    assert (haswell, sandybridge) == ("Haswell", "Sandybridge")

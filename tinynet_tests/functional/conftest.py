"""The ``backend`` and ``dtype`` fixtures that the op tests run under.

backend: "cpu" (NumPy, batch-last windows), "cpu-generic" (NumPy through the (C, N, H, W) generic
column loops that CuPy's layout takes, so they are checked without a GPU), "gpu" (CuPy; skipped
without CuPy and a CUDA device). dtype: float64 (gradient-checked) or float32 (compared with the
float64 results).
"""

from contextlib import contextmanager
from unittest.mock import patch

import numpy as np
import pytest

from tinynet import backend as tn_backend
from tinynet.functional import shape, windows

_needs_gpu = pytest.mark.skipif(
    not tn_backend.gpu_available(), reason="needs CuPy and a CUDA GPU (pip install -e '.[gpu]')"
)


class Backend:
    """Where an op case runs: ``device`` for the arrays, ``context()`` for the layout choice."""

    def __init__(self, name):
        self.name = name
        self.device = "gpu" if name == "gpu" else "cpu"

    @contextmanager
    def context(self):
        if self.name != "cpu-generic":
            yield
            return
        never = lambda a: False  # noqa: E731
        with (
            patch.object(windows, "prefers_batch_last", never),
            patch.object(shape, "prefers_batch_last", never),
        ):
            yield

    def __repr__(self):
        return self.name


@pytest.fixture(
    params=["cpu", "cpu-generic", pytest.param("gpu", marks=[pytest.mark.gpu, _needs_gpu])]
)
def backend(request):
    return Backend(request.param)


@pytest.fixture(params=[np.float64, np.float32], ids=["float64", "float32"])
def dtype(request):
    return request.param

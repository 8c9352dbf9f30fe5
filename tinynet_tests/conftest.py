import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "tinynet",
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "tinynet"))

os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_configure(config):
    config.addinivalue_line("markers", "gpu: needs CuPy and a CUDA GPU (skipped without them)")
    config.addinivalue_line("markers", "data: reads a downloaded data set (TINYNET_DATA)")
    config.addinivalue_line("markers", "slow: takes more than a few seconds")


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _threads_off_after_each_test():
    """The tinynet command turns tinynet.threads on for its process; a test that runs the
    command in the test process must not leave it on for the tests after it."""
    yield
    from tinynet import threads

    threads.disable()

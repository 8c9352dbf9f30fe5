"""examples/custom_op.py runs as a student would run it, and check_grad catches a wrong backward."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import tinynet as tn
from tinynet.gradcheck import GradcheckError, check_grad

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "custom_op.py"


def _load():
    spec = importlib.util.spec_from_file_location("example_custom_op", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ex = _load()


def test_the_example_runs(capsys):
    assert ex.main([]) == 0
    assert "agree with finite differences" in capsys.readouterr().out


def test_hypot_broadcasts_and_sums_gradients_back():
    a = tn.Tensor(np.full((4, 3), 3.0), requires_grad=True)
    b = tn.Tensor(np.full(3, 4.0), requires_grad=True)
    ex.hypot(a, b).sum().backward()
    assert b.grad.shape == (3,)
    np.testing.assert_allclose(b.grad, 4 * 0.8)


def test_a_wrong_backward_is_caught():
    class BadSwish(ex.Swish):
        def backward(self, gy):
            return gy * self.s  # forgets the second term

    with pytest.raises(GradcheckError, match="input 0"):
        check_grad(lambda t: BadSwish(1.0)(t), [np.linspace(-1, 1, 5)])


@pytest.mark.gpu
def test_the_example_on_the_gpu():
    if not tn.gpu_available():
        pytest.skip("no CUDA GPU")
    assert ex.main(["--device", "gpu"]) == 0

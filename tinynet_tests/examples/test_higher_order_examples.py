"""The higher-order gradient examples run fast and show what they claim: Newton's iterates
(DeZero's numbers), a Hessian-vector product equal to finite differences of the gradient, and a
short WGAN-GP run on MNIST (skipped without the data) whose outputs are written."""

import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MNIST = Path(os.environ.get("TINYNET_DATA") or "/nonexistent") / "mnist"


def example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_newton_reaches_the_minimum_in_seven_steps(capsys):
    ex = example("newton")
    path = ex.newton(2.0, 10)
    # DeZero's step 33 prints 2.0, 1.4545..., 1.1510..., 1.0253..., 1.0009..., 1.0000012, 1.0
    np.testing.assert_allclose(path[:4], [2.0, 16 / 11, 1.151046789377547, 1.025325928976698])
    assert len(path) == 8 and path[-1] == pytest.approx(1.0, abs=1e-15)
    assert ex.newton_by_grad(2.0, 10) == pytest.approx(path, abs=1e-15)
    assert ex.main([]) == 0
    out = capsys.readouterr().out
    assert "tinynet.grad gives the same iterates: True" in out
    assert ex.gradient_descent(2.0) > 10 * len(path)


def test_hessian_vector_product_matches_finite_differences(capsys):
    ex = example("hessian_vector")
    assert ex.main(["--hidden", "6", "--batch", "8"]) == 0
    assert "largest difference relative to max |H v|" in capsys.readouterr().out
    # the product is linear in v, and H is symmetric: <H u, v> = <u, H v>
    import tinynet as tn

    rng = np.random.default_rng(3)
    shapes = [(3, 4), (4,), (4, 1), (1,)]
    params = [tn.Tensor(rng.normal(size=s), requires_grad=True) for s in shapes]
    x, t = rng.normal(size=(5, 3)), rng.normal(size=(5, 1))
    u, v = ([rng.normal(size=s) for s in shapes] for _ in range(2))
    hu, hv = (ex.hessian_vector_product(params, w, x, t) for w in (u, v))
    dot = lambda a, b: sum(float((p * q).sum()) for p, q in zip(a, b))  # noqa: E731
    assert dot(hu, v) == pytest.approx(dot(u, hv), rel=1e-10)


@pytest.mark.skipif(not (MNIST / "t10k-images-idx3-ubyte.gz").is_file(), reason="needs MNIST")
def test_wgan_gp_mnist_fast_run(tmp_path):
    ex = example("wgan_gp_mnist")
    out = tmp_path / "wgan_gp"
    args = (
        "--limit 40 --epochs 2 --batch-size 8 --n-eval 0 --ema-decay 0 --width 8 --dense 0".split()
    )
    assert ex.main(args + ["--out", str(out), "--verbose", "0"]) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["epochs"] == 2 and results["critic_iterations"] == 10
    assert results["generator_iterations"] == 2  # every 5th critic step of an epoch
    assert all(np.isfinite(results["history"]["gp"]))
    for name in ("losses.png", "samples-final.png", "samples-epoch002.png", "generator.tnz"):
        assert (out / name).is_file()
    assert ex.main(args + ["--out", str(out)]) == 2  # results there: refused, not overwritten

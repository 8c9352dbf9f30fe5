"""Every case of the op table (cases.py) on every backend and dtype: float64 gradient-checked
against central differences (random upstream gradient) and its forward result against the
plain-loop reference; float32 forward and backward against the float64 results; off the plain
CPU backend, float64 results against the CPU's too."""

import numpy as np
import pytest

import tinynet as tn
from tinynet import backend as tn_backend
from tinynet import functional as F
from tinynet.gradcheck import check_grad

from .cases import CASES, TOLERANCES


def _tolerances(case, dtype):
    return {**TOLERANCES[dtype], **case.tol.get(dtype, {})}


def _data(case):
    rng = np.random.default_rng(0)
    inputs = case.inputs(rng)
    constants = case.constants(rng) if case.constants else []
    return inputs, constants


def _on(a, device, dtype):
    if a.dtype.kind == "f":
        a = a.astype(dtype)
    return tn_backend.to_device(a, device)


def _run(case, inputs, constants, device, dtype):
    """The forward result and the input gradients for a fixed random upstream gradient."""
    tensors = [tn.Tensor(_on(a, device, dtype), requires_grad=True) for a in inputs]
    consts = [_on(c, device, dtype) for c in constants]
    y = case.fn(*tensors, *consts)
    gy = np.random.default_rng(1).normal(size=y.shape).astype(dtype)
    y.backward(tn_backend.to_device(gy, device))
    assert y.dtype == dtype and all(t.grad.dtype == dtype for t in tensors)
    return tn_backend.asnumpy(y.data), [tn_backend.asnumpy(t.grad) for t in tensors], gy


def _assert_close(actual, desired, tol, msg):
    scale = max(1.0, float(np.abs(desired).max()) if desired.size else 1.0)
    np.testing.assert_allclose(
        actual, desired, rtol=tol["rtol"], atol=tol["atol"] * scale, err_msg=msg
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_op(name, backend, dtype):
    case = CASES[name]
    inputs, constants = _data(case)
    with backend.context():
        if dtype == np.float64:
            consts = [_on(c, backend.device, dtype) for c in constants]
            check_grad(
                lambda *ts: case.fn(*ts, *consts),
                [_on(a, backend.device, dtype) for a in inputs],
                **_tolerances(case, dtype),
            )
            y, grads, _ = _run(case, inputs, constants, backend.device, dtype)
            if case.reference is not None:
                np.testing.assert_allclose(
                    y,
                    case.reference(*inputs, *constants),
                    rtol=1e-10,
                    atol=1e-12,
                    err_msg=f"{name} forward vs reference",
                )
            if backend.name != "cpu" and case.same_draws:
                y_cpu, g_cpu, _ = _run(case, inputs, constants, "cpu", dtype)
                np.testing.assert_allclose(y, y_cpu, rtol=1e-10, atol=1e-12)
                for i, (g, g_ref) in enumerate(zip(grads, g_cpu)):
                    np.testing.assert_allclose(
                        g, g_ref, rtol=1e-10, atol=1e-12, err_msg=f"{name} grad of input {i} vs cpu"
                    )
            return
        y32, g32, gy = _run(case, inputs, constants, backend.device, np.float32)
        if not case.same_draws:  # other random numbers: check the float32 run against itself
            x = inputs[0].astype(np.float32)
            np.testing.assert_allclose(g32[0], gy * y32 / x, rtol=1e-5, atol=1e-6)
            return
        y64, g64, _ = _run(case, inputs, constants, backend.device, np.float64)
    tol = _tolerances(case, np.float32)
    _assert_close(y32, y64, tol, f"{name} float32 forward")
    for i, (a, b) in enumerate(zip(g32, g64)):
        _assert_close(a, b, tol, f"{name} float32 grad of input {i}")


def test_the_cpu_generic_backend_takes_the_generic_columns():
    from tinynet.functional import windows

    from .conftest import Backend

    x = np.zeros((2, 3, 5, 5))
    with Backend("cpu-generic").context():
        assert type(windows.make_windows(x.shape, 3, 3, 1, 1, x)) is windows.GenericColumns
        assert not F.pad2d(tn.Tensor(x), ((1, 1), (1, 1))).data.strides[0] == 8  # not batch-last
    assert type(windows.make_windows(x.shape, 3, 3, 1, 1, x)) is windows.BatchLastRows

"""Every case of the op table (cases.py), one order up: the double backward (each op's
backward_graph, through tinynet.grad(create_graph=True)) against central differences of the
first-order gradient, in float64 on every backend (tn.gradcheck.check_gradgrad)."""

import pytest

from tinynet import backend as tn_backend
from tinynet.gradcheck import check_gradgrad

from .cases import CASES, TOLERANCES


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_gradgrad(name, backend):
    import numpy as np

    case = CASES[name]
    rng = np.random.default_rng(0)
    inputs = case.inputs(rng)
    constants = case.constants(rng) if case.constants else []
    tol = {**TOLERANCES[np.float64], **case.tol.get(np.float64, {})}
    with backend.context():
        consts = [tn_backend.to_device(c, backend.device) for c in constants]
        check_gradgrad(
            lambda *ts: case.fn(*ts, *consts),
            [tn_backend.to_device(a, backend.device) for a in inputs],
            **tol,
        )

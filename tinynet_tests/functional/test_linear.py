"""linear: gradients over drawn sizes, with and without bias."""

from hypothesis import given
from hypothesis import strategies as st

from tinynet import functional as F
from tinynet.gradcheck import check_grad

from ..arrays import normal


@given(st.integers(1, 4), st.integers(1, 5), st.integers(1, 5), st.booleans())
def test_linear_grad(N, n_in, n_out, bias):
    b = [normal(n_out, 3)] if bias else []
    check_grad(
        lambda x, w, *b: F.linear(x, w, b[0] if b else None),
        [normal((N, n_in), 1), normal((n_in, n_out), 2)] + b,
    )

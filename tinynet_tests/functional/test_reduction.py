"""sum, mean, max over drawn axes, with and without keepdims."""

from hypothesis import given
from hypothesis import strategies as st

from tinynet.gradcheck import check_grad

from ..arrays import distinct
from ..strategies import shapes


@given(shapes(max_dims=3), st.data())
def test_reductions_grad(shape, data):
    axis = data.draw(st.one_of(st.none(), st.integers(0, len(shape) - 1)))
    keepdims = data.draw(st.booleans())
    x = distinct(shape)
    check_grad(lambda x: x.sum(axis=axis, keepdims=keepdims), [x])
    check_grad(lambda x: x.mean(axis=axis, keepdims=keepdims), [x])
    check_grad(lambda x: x.max(axis=axis, keepdims=keepdims), [x])

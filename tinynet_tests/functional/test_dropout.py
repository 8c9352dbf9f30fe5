"""dropout: inverted scaling, identity at inference, the gradient through a fixed mask."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinynet as tn
from tinynet import functional as F
from tinynet.gradcheck import check_grad

from ..arrays import normal
from ..strategies import shapes


def test_dropout_is_inverted_and_identity_at_inference():
    tn.seed(0)
    x = tn.Tensor(np.ones((200, 200), np.float32))
    y = F.dropout(x, 0.25, training=True).data
    assert y.dtype == np.float32
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.01
    assert F.dropout(x, 0.25, training=False) is x


@given(shape=shapes(max_dims=3, max_side=6), rate=st.sampled_from([0.1, 0.5, 0.8]))
def test_dropout_grad(shape, rate):
    def fn(x):
        tn.seed(7)  # the same mask at every evaluation
        return F.dropout(x, rate, training=True)

    check_grad(fn, [normal(shape)])


@pytest.mark.gpu
@pytest.mark.skipif(not tn.gpu_available(), reason="needs CuPy and a CUDA GPU")
def test_dropout_on_gpu_is_inverted_and_seeded():
    from tinynet import backend

    x = tn.Tensor(backend.to_device(np.ones((100, 100), np.float32), "gpu"))
    tn.seed(0)
    a = backend.asnumpy(F.dropout(x, 0.3).data)
    tn.seed(0)
    b = backend.asnumpy(F.dropout(x, 0.3).data)
    np.testing.assert_array_equal(a, b)
    assert abs((a == 0).mean() - 0.3) < 0.02
    np.testing.assert_allclose(a[a != 0], 1 / 0.7, rtol=1e-6)

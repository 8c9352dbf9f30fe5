"""conv2d, conv2d_transpose, upsample2d, im2col/col2im: forward results against plain-loop
references, adjoint identities, and float64 gradients over hypothesis-drawn shapes, strides and
paddings, in every way the windows can run (strategies.conv_setups)."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import tinynet as tn
from tinynet import functional as F
from tinynet.gradcheck import check_grad

from .. import reference
from ..arrays import normal
from ..strategies import conv_geometry, conv_setups, transpose_geometry, windows_setup


@given(conv_geometry(), conv_setups)
def test_conv2d_matches_loop_reference(g, setup):
    N, ci, co, H, W, kh, kw, stride, padding = g
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=(N, ci, H, W)), rng.normal(size=(co, ci, kh, kw)), rng.normal(size=co)
    with windows_setup(setup):
        y = F.conv2d(tn.Tensor(x), tn.Tensor(w), tn.Tensor(b), stride, padding)
    np.testing.assert_allclose(
        y.data, reference.conv2d(x, w, b, stride, padding), rtol=1e-10, atol=1e-12
    )


@given(transpose_geometry(), conv_setups)
def test_conv2d_transpose_matches_loop_reference(g, setup):
    N, ci, co, H, W, kh, kw, stride, padding, out_pad = g
    rng = np.random.default_rng(2)
    x, w, b = rng.normal(size=(N, ci, H, W)), rng.normal(size=(ci, co, kh, kw)), rng.normal(size=co)
    with windows_setup(setup):
        y = F.conv2d_transpose(tn.Tensor(x), tn.Tensor(w), tn.Tensor(b), stride, padding, out_pad)
    ref = reference.conv2d_transpose(x, w, b, stride, padding, out_pad)
    assert y.shape == ref.shape
    np.testing.assert_allclose(y.data, ref, rtol=1e-10, atol=1e-12)


@given(conv_geometry())
def test_conv2d_transpose_is_the_adjoint_of_conv2d(g):
    """<conv2d(x, w), y> == <x, conv2d_transpose(y, w)> for the same weight array."""
    N, ci, co, H, W, kh, kw, stride, padding = g
    rng = np.random.default_rng(3)
    x, w = rng.normal(size=(N, ci, H, W)), rng.normal(size=(co, ci, kh, kw))
    cx = F.conv2d(tn.Tensor(x), tn.Tensor(w), None, stride, padding).data
    y = rng.normal(size=cx.shape)
    out_pad = tuple((n + 2 * p - k) % s for n, p, k, s in zip((H, W), padding, (kh, kw), stride))
    ty = F.conv2d_transpose(tn.Tensor(y), tn.Tensor(w), None, stride, padding, out_pad).data
    assert ty.shape == x.shape
    np.testing.assert_allclose((cx * y).sum(), (x * ty).sum(), rtol=1e-10)


def test_upsample2d_nearest():
    x = np.arange(6.0).reshape(1, 1, 2, 3)
    y = F.upsample2d(tn.Tensor(x), 2).data
    np.testing.assert_array_equal(y[0, 0], np.repeat(np.repeat(x[0, 0], 2, axis=0), 2, axis=1))


def test_conv_output_keeps_channels_first_api_and_float32():
    x = tn.Tensor(np.zeros((2, 3, 9, 9), np.float32))
    w = tn.Tensor(np.zeros((5, 3, 3, 2), np.float32))
    y = F.conv2d(x, w, None, stride=(2, 1), padding=(1, 0))
    assert y.shape == (2, 5, 5, 8) and y.dtype == np.float32


@given(conv_geometry())
def test_col2im_is_the_adjoint_of_im2col(g):
    """<im2col(x), c> == <x, col2im(c)>: col2im sums exactly the windows im2col copies."""
    N, ci, _, H, W, kh, kw, stride, padding = g
    rng = np.random.default_rng(5)
    x = rng.normal(size=(N, ci, H, W))
    col = F.im2col(x, kh, kw, stride, padding)
    c = rng.normal(size=col.shape)
    back = F.col2im(c, x.shape, kh, kw, stride, padding)
    assert back.shape == x.shape
    np.testing.assert_allclose((col * c).sum(), (x * back).sum(), rtol=1e-10)


@given(conv_geometry(max_size=6), st.booleans(), conv_setups)
def test_conv2d_grad(g, bias, setup):
    N, ci, co, H, W, kh, kw, stride, padding = g
    b = [normal(co, 3)] if bias else []
    with windows_setup(setup):
        check_grad(
            lambda x, w, *b: F.conv2d(x, w, b[0] if b else None, stride, padding),
            [normal((N, ci, H, W), 1), normal((co, ci, kh, kw), 2)] + b,
        )


@given(transpose_geometry(max_size=4), st.booleans(), conv_setups)
def test_conv2d_transpose_grad(g, bias, setup):
    N, ci, co, H, W, kh, kw, stride, padding, out_pad = g
    b = [normal(co, 3)] if bias else []
    with windows_setup(setup):
        check_grad(
            lambda x, w, *b: F.conv2d_transpose(
                x, w, b[0] if b else None, stride, padding, out_pad
            ),
            [normal((N, ci, H, W), 1), normal((ci, co, kh, kw), 2)] + b,
        )


@given(
    st.integers(1, 2), st.integers(1, 3), st.integers(1, 4), st.integers(1, 4), st.integers(1, 3)
)
def test_upsample2d_grad(N, C, H, W, s):
    check_grad(lambda x: F.upsample2d(x, s), [normal((N, C, H, W))])


@given(conv_geometry(max_size=6), st.booleans(), conv_setups)
def test_conv2d_reference_equals_conv2d_forward_and_gradients(g, bias, setup):
    """The readable im2col + matmul version and the fast one agree in values and in gradients."""
    N, ci, co, H, W, kh, kw, stride, padding = g
    arrays = [normal((N, ci, H, W), 1), normal((co, ci, kh, kw), 2)] + (
        [normal(co, 3)] if bias else []
    )
    gy = None
    results = []
    for fn in (F.conv2d, F.conv2d_reference):
        tensors = [tn.Tensor(a, requires_grad=True) for a in arrays]
        with windows_setup(setup):
            y = fn(tensors[0], tensors[1], tensors[2] if bias else None, stride, padding)
        gy = np.random.default_rng(4).normal(size=y.shape) if gy is None else gy
        y.backward(gy)
        results.append([y.data] + [t.grad for t in tensors])
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)


def test_conv2d_reference_is_short_and_takes_arrays():
    import inspect

    lines = inspect.getsource(F.conv2d_reference).splitlines()
    assert len(lines) <= 30  # signature, docstring and about 15 lines of code
    x, w = np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2))
    np.testing.assert_array_equal(F.conv2d_reference(x, w).data, np.full((1, 1, 2, 2), 4.0))

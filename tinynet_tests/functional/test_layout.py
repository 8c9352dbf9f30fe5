"""Memory layouts behind the (N, C, H, W) API: batch-last columns and images on NumPy, the same
numbers as the batch-major layout, and ops that keep (and follow) their input's layout."""

from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinynet as tn
from tinynet import functional as F
from tinynet.functional import pool
from tinynet.functional.layout import from_columns, is_batch_last, to_columns, uniform_like

from .. import reference
from ..strategies import conv_geometry, pool_geometry


def batch_last_copy(x):
    """The same (N, C, H, W) values, in (C, H, W, N) memory."""
    return np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)


@given(conv_geometry(), st.integers(2, 3))
def test_batch_last_columns_are_the_batch_major_columns_reordered(g, N):
    _, ci, _, H, W, kh, kw, stride, padding = g
    x = np.random.default_rng(0).normal(size=(N, ci, H, W))
    major = F.im2col(x, kh, kw, stride, padding, batch_last=False)
    last = F.im2col(x, kh, kw, stride, padding, batch_last=True)
    oh, ow = (H + 2 * padding[0] - kh) // stride[0] + 1, (W + 2 * padding[1] - kw) // stride[1] + 1
    expected = major.reshape(-1, N, oh, ow).transpose(0, 2, 3, 1).reshape(major.shape)
    np.testing.assert_array_equal(last, expected)
    np.testing.assert_array_equal(F.im2col(batch_last_copy(x), kh, kw, stride, padding), last)


@given(conv_geometry(), st.booleans())
def test_col2im_is_the_adjoint_of_im2col_in_either_layout(g, batch_last):
    N, ci, _, H, W, kh, kw, stride, padding = g
    rng = np.random.default_rng(1)
    x = rng.normal(size=(N, ci, H, W))
    col = F.im2col(x, kh, kw, stride, padding, batch_last=batch_last)
    c = rng.normal(size=col.shape)
    back = F.col2im(c, x.shape, kh, kw, stride, padding, batch_last=batch_last)
    np.testing.assert_allclose((col * c).sum(), (x * back).sum(), rtol=1e-10)


def test_columns_round_trip_and_are_views_of_matching_memory():
    x = batch_last_copy(np.random.default_rng(2).normal(size=(3, 4, 5, 6)))
    m = to_columns(x, batch_last=True)
    assert np.shares_memory(m, x) and m.shape == (4, 3 * 5 * 6)
    np.testing.assert_array_equal(from_columns(m, 3, 5, 6, batch_last=True), x)
    m2 = to_columns(x, batch_last=False)  # a copy, same numbers in (n, h, w) order
    np.testing.assert_array_equal(from_columns(m2, 3, 5, 6, batch_last=False), x)


def test_a_conv_relu_pool_conv_chain_stays_batch_last_and_is_right():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 3, 8, 8))  # plain (N, C, H, W) memory
    w1, w2 = rng.normal(size=(5, 3, 3, 3)), rng.normal(size=(2, 5, 3, 3))
    b1, b2 = rng.normal(size=5), rng.normal(size=2)
    h1 = F.conv2d(tn.Tensor(x), tn.Tensor(w1), tn.Tensor(b1), padding=1)
    h2 = F.max_pool2d(F.relu(h1), 2)
    y = F.conv2d(h2, tn.Tensor(w2), tn.Tensor(b2))
    assert all(is_batch_last(t.data) for t in (h1, h2, y))
    r = reference.conv2d(x, w1, b1, (1, 1), (1, 1))
    r = reference.pool2d(np.maximum(r, 0), (2, 2), (2, 2), (0, 0), "max")
    np.testing.assert_allclose(y.data, reference.conv2d(r, w2, b2, (1, 1), (0, 0)), rtol=1e-10)


@given(pool_geometry(), st.integers(2, 3), st.sampled_from([1, pool.GROUP_BYTES]))
def test_pools_on_batch_last_input_match_the_reference_and_plain_memory(g, N, group_bytes):
    """group_bytes 1: max_pool2d's backward takes the channels of batch-last input one by one."""
    _, C, H, W, kernel, stride, padding = g
    x = np.random.default_rng(4).integers(0, 3, size=(N, C, H, W)).astype(float)  # many ties
    gy = None
    with patch.object(pool, "GROUP_BYTES", group_bytes):
        for mode, fn in (("max", F.max_pool2d), ("avg", F.avg_pool2d)):
            grads = []
            for data in (x, batch_last_copy(x)):
                t = tn.Tensor(data, requires_grad=True)
                y = fn(t, kernel, stride, padding)
                np.testing.assert_allclose(
                    y.data,
                    reference.pool2d(x, kernel, stride, padding, mode),
                    rtol=1e-12,
                    err_msg=mode,
                )
                if gy is None or gy.shape != y.shape:
                    gy = np.random.default_rng(5).normal(size=y.shape)
                y.backward(gy)
                grads.append(t.grad)
            np.testing.assert_array_equal(grads[0], grads[1], err_msg=mode)


def test_uniform_like_and_dropout_follow_the_memory_order():
    tn.seed(0)
    x = batch_last_copy(np.ones((6, 2, 3, 4), np.float32))
    u = uniform_like(x)
    assert u.shape == x.shape and u.dtype == np.float32 and is_batch_last(u)
    assert 0 <= u.min() and u.max() < 1
    y = F.dropout(tn.Tensor(x), 0.5).data
    assert is_batch_last(y) and set(np.unique(y)) <= {0.0, 2.0}


@given(st.booleans(), st.integers(2, 4))
def test_batch_norm_on_batch_last_input_matches_plain_memory(training, N):
    rng = np.random.default_rng(6)
    x = rng.normal(2.0, 3.0, size=(N, 3, 4, 5))
    gamma, beta, gy = rng.normal(size=3), rng.normal(size=3), rng.normal(size=x.shape)
    results = []
    for data in (x, batch_last_copy(x)):
        rm, rv = np.full(3, 0.5), np.full(3, 2.0)
        t, g, b = (
            tn.Tensor(data, requires_grad=True),
            tn.Tensor(gamma, requires_grad=True),
            tn.Tensor(beta, requires_grad=True),
        )
        y = F.batch_norm(t, g, b, rm, rv, training=training, momentum=0.9)
        y.backward(gy)
        results.append((y.data, t.grad, g.grad, b.grad, rm, rv))
        if data is not x:
            assert is_batch_last(y.data)
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_batch_norm_after_a_cropping_transposed_conv_stays_batch_last():
    rng = np.random.default_rng(7)
    x = tn.Tensor(rng.normal(size=(3, 4, 5, 5)))
    h = F.conv2d_transpose(x, tn.Tensor(rng.normal(size=(4, 2, 4, 4))), stride=2, padding=1)
    assert is_batch_last(h.data) and not h.data.transpose(1, 2, 3, 0).flags.c_contiguous  # a crop
    y = F.batch_norm(h, tn.Tensor(np.ones(2)), tn.Tensor(np.zeros(2)), np.zeros(2), np.ones(2))
    assert is_batch_last(y.data)
    np.testing.assert_allclose(y.data.mean(axis=(0, 2, 3)), 0, atol=1e-12)


@given(
    st.permutations(range(3)),
    st.lists(st.integers(0, 2), min_size=1, max_size=3, unique=True),
    st.sampled_from([np.float32, np.float64]),
)
def test_sum_axes_equals_numpy_sum_in_every_layout(perm, axes, dtype):
    from tinynet.functional.layout import sum_axes

    a = np.random.default_rng(0).normal(size=(3, 4, 5)).astype(dtype)
    a = np.ascontiguousarray(a.transpose(perm)).transpose(np.argsort(perm))
    s = sum_axes(a, tuple(axes))
    assert s.dtype == dtype
    np.testing.assert_allclose(s, a.sum(axis=tuple(axes), keepdims=True), rtol=1e-5, atol=1e-5)


def test_row_sums_by_sum_axes_equal_numpy_sums_for_strided_and_integer_rows():
    """The row sums of batch norm and conv biases (sum_axes over axis 1) in every layout."""
    from tinynet.functional.layout import sum_axes

    a = np.random.default_rng(0).normal(size=(6, 40)).astype(np.float32)
    for m in (a, a[:, 3:31], a.T.copy().T, a[::2], a.T.copy().T[1:4]):
        s = sum_axes(m, (1,))[:, 0]
        assert s.dtype == np.float32 and s.shape == (m.shape[0],)
        np.testing.assert_allclose(s, m.sum(axis=1), rtol=1e-5, atol=1e-5)
    ints = np.arange(12).reshape(3, 4)
    np.testing.assert_array_equal(sum_axes(ints, (1,))[:, 0], ints.sum(axis=1))


def test_dense_order_ignores_length_one_axes_and_refuses_gaps():
    from tinynet.functional.layout import dense_order, in_dense_order

    x = batch_last_copy(np.zeros((4, 3, 2, 5)))
    assert dense_order(x) == (1, 2, 3, 0)
    assert dense_order(np.zeros((1, 3, 1, 5))) == (1, 3)
    assert dense_order(np.zeros((1, 3, 1, 5)).transpose(2, 1, 0, 3)) == (1, 3)
    assert dense_order(np.zeros((4, 6))[:, :3]) is None
    g = np.arange(120.0).reshape(4, 3, 2, 5)
    same = in_dense_order(g, dense_order(x))
    assert dense_order(same) == dense_order(x) and same is not g
    np.testing.assert_array_equal(same, g)
    assert in_dense_order(g, dense_order(g)) is g and in_dense_order(g, None) is g


@pytest.mark.parametrize("through", ["reshape", "linear"])
def test_gradients_come_back_in_the_layout_of_their_inputs(through):
    """A flatten of a batch-last image batch, and the un-flatten of a C-ordered matrix into a
    conv: each gradient is laid out like the array it is the gradient of (so the elementwise
    backward passes before it read both operands in one memory order)."""
    rng = np.random.default_rng(0)
    leaf = tn.Tensor(rng.normal(size=(4, 3, 2, 5)).astype(np.float32), requires_grad=True)
    seen = []
    img = F.conv2d(leaf, tn.Tensor(np.eye(3, dtype=np.float32).reshape(3, 3, 1, 1)))
    assert is_batch_last(img.data)
    img.register_hook(seen.append)
    flat = img.reshape(4, -1)
    w = rng.normal(size=(30, 2)).astype(np.float32)
    m = rng.normal(size=(4, 30)).astype(np.float32)
    out = F.linear(flat, tn.Tensor(w)) if through == "linear" else flat * tn.Tensor(m)
    gy = rng.normal(size=out.shape).astype(np.float32)
    out.backward(gy)
    assert is_batch_last(seen[0])
    expected = gy @ w.T if through == "linear" else gy * m
    np.testing.assert_allclose(seen[0].reshape(4, -1), expected, rtol=1e-5, atol=1e-5)

    rows = tn.Tensor(rng.normal(size=(4, 12)).astype(np.float32), requires_grad=True)
    h = rows * 1.0
    h.register_hook(seen.append)
    y = F.conv2d(
        h.reshape(4, 3, 2, 2),
        tn.Tensor(rng.normal(size=(3, 3, 2, 2)).astype(np.float32)),
        padding=1,
    )
    y.backward(rng.normal(size=y.shape).astype(np.float32))
    assert seen[1].flags.c_contiguous


def test_a_leaf_owns_a_gradient_laid_out_like_its_data():
    """A leaf's gradient that arrives as a view is copied into the leaf's own memory layout:
    batch-last for a batch-last input image, C order for a kernel (whose gradient comes out of
    the row GEMMs transposed)."""
    rng = np.random.default_rng(0)
    x = tn.Tensor(batch_last_copy(rng.normal(size=(4, 3, 6, 6))), requires_grad=True)
    w = tn.Tensor(rng.normal(size=(2, 3, 3, 3)), requires_grad=True)
    y = F.conv2d(x, w, stride=2, padding=1)
    gy = rng.normal(size=y.shape)
    y.backward(gy)
    assert is_batch_last(x.grad) and w.grad.flags.c_contiguous
    gx, gw = (g.data for g in tn.grad(F.conv2d(x, w, stride=2, padding=1), [x, w], gy))
    assert is_batch_last(gx) and gw.flags.c_contiguous
    np.testing.assert_allclose(gx, x.grad)
    np.testing.assert_allclose(gw, w.grad)
    expected = reference.conv2d_transpose(gy, w.data, None, (2, 2), (1, 1), (1, 1))
    np.testing.assert_allclose(x.grad, expected, rtol=1e-10, atol=1e-10)


def test_a_leaf_made_from_a_memmap_gets_a_plain_array_gradient(tmp_path):
    data = np.lib.format.open_memmap(tmp_path / "x.npy", mode="w+", dtype=np.float64, shape=(3, 4))
    data[...] = np.arange(12.0).reshape(3, 4)
    x = tn.Tensor(data, requires_grad=True)
    (x.T * 2.0).backward(np.ones((4, 3)))
    assert type(x.grad) is np.ndarray
    np.testing.assert_array_equal(x.grad, 2.0)

"""Convolution windows in blocks of output rows: the blocks tile the rows within the byte budget,
block by block im2col / col2im give the whole-matrix results, and the expanded rows hold every
output row's columns."""

from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinynet import backend
from tinynet import functional as F
from tinynet.functional import windows
from tinynet.functional.windows import (
    BatchLastRows,
    CudaKernels,
    GenericColumns,
    ShiftedRows,
    make_windows,
)
from tinynet.gradcheck import check_grad

from .. import reference
from ..strategies import conv_geometry, dilated_conv_geometry


@given(conv_geometry(), st.integers(1, 3), st.integers(1, 5000), st.booleans())
def test_blocks_tile_the_output_rows_within_the_budget(g, N, budget, batch_last):
    _, ci, _, H, W, kh, kw, stride, padding = g
    x = np.zeros((N, ci, H, W), np.float32)
    with patch.object(windows, "BLOCK_BYTES", budget):
        win = make_windows(x.shape, kh, kw, stride, padding, x, batch_last)
    starts, ends = [b[0] for b in win.blocks], [b[1] for b in win.blocks]
    assert starts[0] == 0 and ends[-1] == win.oh and starts[1:] == ends[:-1]
    row_bytes = win.k * win.ow * N * 4
    if batch_last:
        assert all(y1 - y0 == 1 or (y1 - y0) * row_bytes <= budget for y0, y1 in win.blocks)
        spans = [win.column_range(y0, y1) for y0, y1 in win.blocks]
        assert spans[0].start == 0 and spans[-1].stop == N * win.oh * win.ow
        assert all(a.stop == b.start for a, b in zip(spans, spans[1:]))
    else:
        assert win.blocks == [(0, win.oh)]


@given(conv_geometry(), st.integers(2, 3))
def test_block_columns_and_their_sums_are_the_whole_matrix_ones(g, N):
    _, ci, _, H, W, kh, kw, stride, padding = g
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, ci, H, W))
    full = F.im2col(x, kh, kw, stride, padding)
    c = rng.normal(size=full.shape)
    with patch.object(windows, "BLOCK_BYTES", 1):  # one output row per block
        win = make_windows(x.shape, kh, kw, stride, padding, x)
        src, total = win.source(x), win.col2im_zeros()
        for y0, y1 in win.blocks:
            cols = win.column_range(y0, y1)
            np.testing.assert_array_equal(win.im2col(src, y0, y1), full[:, cols])
            total = win.col2im_add(total, c[:, cols], y0, y1)
    whole = F.col2im(c, x.shape, kh, kw, stride, padding)
    np.testing.assert_allclose(win.col2im_image(total), whole, rtol=1e-12, atol=1e-12)


@given(conv_geometry(), st.integers(1, 3))
def test_expanded_rows_hold_each_output_rows_columns_in_gemm_order(g, N):
    _, ci, co, H, W, kh, kw, stride, padding = g
    rng = np.random.default_rng(1)
    x = rng.normal(size=(N, ci, H, W))
    full = F.im2col(x, kh, kw, stride, padding)  # rows (c, i, j)
    win = make_windows(x.shape, kh, kw, stride, padding, x)
    E = win.gemm_source(x)
    assert E.shape == (H + 2 * win.ph, ci, kw, win.ow, N)
    by_icj = full.reshape(ci, kh, kw, -1).transpose(1, 0, 2, 3).reshape(full.shape)
    for y0, y1 in win.gemm_blocks(0, win.oh):
        assert y1 == y0 + 1
        view = win.gemm_columns(E, y0, y1)
        assert np.shares_memory(view, E)  # a view: nothing rebuilt
        np.testing.assert_array_equal(view, by_icj[:, win.column_range(y0, y1)])
    w = rng.normal(size=(co, ci, kh, kw))
    np.testing.assert_allclose(
        win.gemm_weights(w) @ by_icj, w.reshape(co, -1) @ full, rtol=1e-12, atol=1e-12
    )
    np.testing.assert_array_equal(win.gemm_kernel(win.gemm_weights(w)), w)


@given(conv_geometry(), st.integers(1, 3))
def test_folded_rows_are_col2im_of_the_kernel_times_the_output_gradient(g, N):
    _, ci, co, H, W, kh, kw, (_, sw), padding = g
    rng = np.random.default_rng(2)
    x = rng.normal(size=(N, ci, H, W))
    win = make_windows(x.shape, kh, kw, (1, sw), padding, x)
    assert win.folds_rows()
    w, gy = rng.normal(size=(co, ci, kh, kw)), rng.normal(size=(N, co, win.oh, win.ow))
    gy_mat = gy.transpose(1, 2, 3, 0).reshape(co, -1)  # columns ordered (y, x, n)
    expected = F.col2im(w.reshape(co, -1).T @ gy_mat, x.shape, kh, kw, (1, sw), padding)
    np.testing.assert_allclose(win.fold_rows(gy, w), expected, rtol=1e-12, atol=1e-12)


def test_im2col_and_col2im_name_themselves_in_a_bad_geometry_error():
    x = np.ones((1, 1, 4, 4), np.float32)
    with pytest.raises(ValueError, match="im2col: stride must be >= 1, got 0"):
        F.im2col(x, 2, 2, stride=0)
    with pytest.raises(ValueError, match="col2im: padding must be >= 0, got -1"):
        F.col2im(np.ones((4, 9), np.float32), (1, 1, 4, 4), 2, 2, padding=-1)


def test_the_strategy_is_chosen_once_by_the_backend_and_layout(monkeypatch):
    x = np.zeros((2, 3, 6, 6), np.float32)
    assert type(make_windows(x.shape, 3, 3, 1, 1, x)) is BatchLastRows  # NumPy's default
    deep = np.zeros((128, 32, 32, 32), np.float32)
    assert type(make_windows(deep.shape, 3, 3, 1, 1, deep, c_out=32)) is ShiftedRows
    assert type(make_windows(deep.shape, 3, 3, 1, 1, deep, c_out=96)) is BatchLastRows
    assert type(make_windows((128, 32, 16, 16), 3, 3, 1, 1, deep, c_out=32)) is BatchLastRows
    assert type(make_windows(deep.shape, 3, 3, 2, 1, deep, c_out=32)) is BatchLastRows
    assert type(make_windows(deep.shape, 3, 3, 1, 1, deep, c_out=32, dilation=(2, 1))) is (
        BatchLastRows
    )
    monkeypatch.setattr(windows, "USE_SHIFTED_ROWS", False)
    assert type(make_windows(deep.shape, 3, 3, 1, 1, deep, c_out=32)) is BatchLastRows
    monkeypatch.setattr(windows, "USE_SHIFTED_ROWS", True)
    assert type(make_windows(x.shape, 3, 3, 1, 1, x, batch_last=False)) is GenericColumns
    monkeypatch.setattr(windows, "is_gpu_array", lambda a: True)
    assert type(make_windows(x.shape, 3, 3, 1, 1, x, batch_last=False)) is CudaKernels
    monkeypatch.setattr(windows, "USE_CUDA_KERNELS", False)
    assert type(make_windows(x.shape, 3, 3, 1, 1, x, batch_last=False)) is GenericColumns


@pytest.mark.gpu
@pytest.mark.skipif(not backend.gpu_available(), reason="needs CuPy and a CUDA GPU")
@pytest.mark.parametrize(
    "geometry",
    [
        ((4, 3, 9, 9), 3, 3, 2, 1),
        ((2, 5, 8, 7), 5, 2, 1, 2),
        ((3, 2, 6, 6), 4, 4, 2, 1),
        ((2, 4, 5, 5), 1, 1, 3, 0),
    ],
)
def test_cuda_im2col_col2im_kernels_match_the_slice_loops(geometry, monkeypatch):
    shape, kh, kw, stride, padding = geometry
    x_np = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    x = backend.to_device(x_np, "gpu").transpose(1, 0, 2, 3).copy().transpose(1, 0, 2, 3)
    results = {}
    for fused in (True, False):
        monkeypatch.setattr(windows, "USE_CUDA_KERNELS", fused)
        col = F.im2col(x, kh, kw, stride, padding)
        img = F.col2im(col, shape, kh, kw, stride, padding)
        results[fused] = backend.asnumpy(col), backend.asnumpy(img)
    np.testing.assert_array_equal(results[True][0], results[False][0])
    np.testing.assert_allclose(results[True][1], results[False][1], rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(
        results[False][0], F.im2col(x_np, kh, kw, stride, padding, batch_last=False)
    )


def _always_shifted(win, c_out):
    """shifts_rows without its size thresholds: every stride-1 geometry it can take."""
    return (win.sh, win.sw, win.dh) == (1, 1, 1)


@given(dilated_conv_geometry(), st.booleans())
def test_shifted_rows_convolve_as_the_loop_reference_with_right_gradients(g, threads_on):
    """ShiftedRows on every stride-1 geometry (its choice forced): forward against the plain
    loops, input, kernel and bias gradients against central differences (float64), the same
    numbers on one thread or two."""
    N, ci, co, H, W, kh, kw, _, padding, (_, dw) = g
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, ci, H, W))
    w, b = rng.normal(size=(co, ci, kh, kw)), rng.normal(size=co)
    from tinynet import threads

    with patch.object(windows, "shifts_rows", _always_shifted):
        win = make_windows(x.shape, kh, kw, 1, padding, x, dilation=(1, dw), c_out=co)
        assert type(win) is ShiftedRows
        try:
            if threads_on:
                threads.enable()
            with patch.object(threads, "MIN_BYTES", 0), patch.object(threads, "MIN_FLOPS", 0):
                y = F.conv2d(tn_tensor(x), tn_tensor(w), tn_tensor(b), 1, padding, (1, dw))
                expected = reference.conv2d(x, w, b, (1, 1), padding, (1, dw))
                np.testing.assert_allclose(y.data, expected, rtol=1e-10, atol=1e-10)
                check_grad(lambda x, w, b: F.conv2d(x, w, b, 1, padding, (1, dw)), [x, w, b])
        finally:
            threads.disable()


def tn_tensor(a):
    import tinynet as tn

    return tn.Tensor(a)

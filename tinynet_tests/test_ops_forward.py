"""Forward results of conv2d, conv2d_transpose and the pools against plain-loop references."""

import numpy as np
from hypothesis import given, strategies as st

import tinynet as tn
from tinynet import functional as F

from . import reference
from .strategies import (conv_geometry, conv_setups, pool_geometry, transpose_geometry,
                         windows_setup)


@given(conv_geometry(), conv_setups)
def test_conv2d_matches_loop_reference(g, setup):
    N, ci, co, H, W, kh, kw, stride, padding = g
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=(N, ci, H, W)), rng.normal(size=(co, ci, kh, kw)), rng.normal(size=co)
    with windows_setup(setup):
        y = F.conv2d(tn.Tensor(x), tn.Tensor(w), tn.Tensor(b), stride, padding)
    np.testing.assert_allclose(y.data, reference.conv2d(x, w, b, stride, padding), rtol=1e-10, atol=1e-12)


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


@given(pool_geometry())
def test_pools_match_loop_reference(g):
    N, C, H, W, kernel, stride, padding = g
    x = np.random.default_rng(4).normal(size=(N, C, H, W))
    for mode, fn in (("max", F.max_pool2d), ("avg", F.avg_pool2d)):
        y = fn(tn.Tensor(x), kernel, stride, padding)
        np.testing.assert_allclose(y.data, reference.pool2d(x, kernel, stride, padding, mode),
                                   rtol=1e-12, err_msg=mode)


def test_upsample2d_nearest():
    x = np.arange(6.0).reshape(1, 1, 2, 3)
    y = F.upsample2d(tn.Tensor(x), 2).data
    np.testing.assert_array_equal(y[0, 0], np.repeat(np.repeat(x[0, 0], 2, axis=0), 2, axis=1))


def test_max_pool_sends_gradient_to_exactly_one_input_per_window():
    x = tn.Tensor(np.ones((1, 1, 4, 4)), requires_grad=True)  # all tied
    y = F.max_pool2d(x, 2)
    y.backward(np.ones(y.shape))
    assert x.grad.sum() == 4
    assert np.array_equal(x.grad[0, 0, ::2, ::2], np.ones((2, 2)))


def test_conv_output_keeps_channels_first_api_and_float32():
    x = tn.Tensor(np.zeros((2, 3, 9, 9), np.float32))
    w = tn.Tensor(np.zeros((5, 3, 3, 2), np.float32))
    y = F.conv2d(x, w, None, stride=(2, 1), padding=(1, 0))
    assert y.shape == (2, 5, 5, 8) and y.dtype == np.float32


def test_softmax_and_log_softmax_are_stable_for_huge_logits():
    z = tn.Tensor(np.array([[1000.0, 0.0, -1000.0], [5.0, 5.0, 5.0]]))
    p = F.softmax(z).data
    lp = F.log_softmax(z).data
    assert np.all(np.isfinite(p)) and np.all(np.isfinite(lp))
    np.testing.assert_allclose(p.sum(axis=1), 1)
    np.testing.assert_allclose(lp[1], np.log(1 / 3))
    assert lp[0, 0] == 0 and lp[0, 2] == -2000
    loss = F.softmax_cross_entropy(z, np.array([2, 0])).item()
    np.testing.assert_allclose(loss, (2000 + np.log(3)) / 2)


def test_binary_cross_entropy_with_logits_is_stable():
    z = tn.Tensor(np.array([800.0, -800.0, 0.0]), requires_grad=True)
    t = np.array([0.0, 1.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(z, t)
    np.testing.assert_allclose(loss.item(), (800 + 800 + np.log(2)) / 3)
    loss.backward()
    np.testing.assert_allclose(z.grad, np.array([1.0, -1.0, -0.5]) / 3)


@given(st.sampled_from([np.float32, np.float64]))
def test_one_stable_sigmoid_serves_the_op_the_logits_loss_and_the_metrics(dtype):
    from tinynet.functional.activation import stable_sigmoid
    from tinynet.training.metrics import probabilities
    z = np.array([-800.0, -30.0, -1.5, 0.0, 2.0, 30.0, 800.0], dtype=dtype)
    with np.errstate(over="ignore"):
        plain = 1 / (1 + np.exp(-z.astype(np.float64)))
    s = stable_sigmoid(z)
    assert s.dtype == dtype and np.all(np.isfinite(s))
    np.testing.assert_allclose(s, plain, rtol=1e-6 if dtype == np.float32 else 1e-12, atol=1e-7)
    np.testing.assert_array_equal(F.sigmoid(tn.Tensor(z)).data, s)
    np.testing.assert_array_equal(probabilities(z, "sigmoid"), s)
    zt, t = tn.Tensor(z, requires_grad=True), np.ones_like(z)
    F.binary_cross_entropy_with_logits(zt, t).backward()
    np.testing.assert_allclose(zt.grad, (s - t) / z.size, rtol=1e-6)


def test_binary_cross_entropy_clips_like_keras():
    p = tn.Tensor(np.array([0.0, 1.0]))
    loss = F.binary_cross_entropy(p, np.array([1.0, 0.0])).item()
    np.testing.assert_allclose(loss, -np.log(1e-7), rtol=1e-6)


def test_batch_norm_updates_running_stats_with_keras_momentum():
    x = np.random.default_rng(0).normal(2.0, 3.0, size=(64, 4))
    rm, rv = np.zeros(4), np.ones(4)
    y = F.batch_norm(tn.Tensor(x), tn.Tensor(np.ones(4)), tn.Tensor(np.zeros(4)), rm, rv,
                     training=True, momentum=0.9, eps=1e-5).data
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(y.std(axis=0), 1, rtol=1e-4)
    np.testing.assert_allclose(rm, 0.1 * x.mean(axis=0))
    np.testing.assert_allclose(rv, 0.9 + 0.1 * x.var(axis=0, ddof=1))
    y_inf = F.batch_norm(tn.Tensor(x), tn.Tensor(np.ones(4)), tn.Tensor(np.zeros(4)), rm, rv,
                         training=False, eps=1e-5).data
    np.testing.assert_allclose(y_inf, (x - rm) / np.sqrt(rv + 1e-5))


def test_dropout_is_inverted_and_identity_at_inference():
    tn.seed(0)
    x = tn.Tensor(np.ones((200, 200), np.float32))
    y = F.dropout(x, 0.25, training=True).data
    assert y.dtype == np.float32
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.01
    assert F.dropout(x, 0.25, training=False) is x


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

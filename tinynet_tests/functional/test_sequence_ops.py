"""The sequence ops of WaveNet besides conv1d: the gated activation, embedding lookup and the
weighted sparse softmax cross-entropy; float64 gradients over hypothesis-drawn shapes, and the
errors they raise."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinynet import functional as F
from tinynet.gradcheck import check_grad

from ..arrays import normal


@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 9), st.integers(0, 2))
def test_gated_activation_grad_on_any_axis(n, c, L, axis):
    shape = [n, c, L]
    shape[axis] *= 2
    x = normal(tuple(shape), 1)
    a, b = np.split(x, 2, axis=axis)
    np.testing.assert_allclose(
        F.gated_activation(x, axis=axis).data, np.tanh(a) / (1 + np.exp(-b)), rtol=1e-12
    )
    check_grad(lambda x: F.gated_activation(x, axis=axis), [x])


def test_gated_activation_needs_an_even_axis():
    with pytest.raises(ValueError, match=r"gated_activation: axis 1 of x \(2, 5, 3\) must have"):
        F.gated_activation(normal((2, 5, 3)))


@given(st.integers(1, 6), st.integers(1, 4), st.lists(st.integers(0, 5), min_size=1, max_size=12))
def test_embedding_grad_sums_repeated_ids(num, dim, ids):
    ids = np.array(ids) % num
    table = normal((num, dim), 2)
    np.testing.assert_array_equal(F.embedding(ids, table).data, table[ids])
    check_grad(lambda t: F.embedding(ids.reshape(1, -1), t), [table])


def test_embedding_names_bad_ids():
    with pytest.raises(
        ValueError, match=r"embedding: ids must be in \[0, 4\) .* got range \[0, 4\]"
    ):
        F.embedding(np.array([0, 4]), normal((4, 2)))
    with pytest.raises(TypeError, match="embedding: ids must be integers, got dtype float64"):
        F.embedding(np.array([0.0]), normal((4, 2)))


@given(st.integers(1, 3), st.integers(2, 6), st.integers(1, 8), st.booleans())
def test_sparse_cross_entropy_is_the_weighted_mean_nll_and_its_grad(n, k, L, weighted):
    rng = np.random.default_rng(n * 100 + k * 10 + L)
    z, t = normal((n, k, L), 1), rng.integers(0, k, size=(n, L))
    w = rng.uniform(0, 1, size=(n, L)) if weighted else None
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    nll = -np.take_along_axis(logp, t[:, None], axis=1)[:, 0]
    expected = (nll * w).sum() / w.sum() if weighted else nll.mean()
    loss = F.sparse_softmax_cross_entropy(z, t, w, axis=1)
    np.testing.assert_allclose(loss.data, expected, rtol=1e-12)
    check_grad(lambda z: F.sparse_softmax_cross_entropy(z, t, w, axis=1), [z])


def test_zero_weights_mask_positions_out():
    z, t = normal((1, 4, 6), 1), np.array([[0, 1, 2, 3, 0, 1]])
    w = np.array([[1.0, 1, 1, 0, 0, 0]])
    z2 = z.copy()
    z2[:, :, 3:] = 100 * normal((1, 4, 3), 9)  # masked positions may hold anything
    a = F.sparse_softmax_cross_entropy(z, t, w, axis=1).data
    b = F.sparse_softmax_cross_entropy(z2, t, w, axis=1).data
    np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize(
    "t, w, message",
    [
        (np.zeros((2, 3)), None, "targets must be integers, got dtype float64"),
        (np.zeros((2, 4), int), None, r"targets of shape \(2, 4\) for logits \(2, 5, 3\)"),
        (np.full((2, 3), 5), None, r"targets must be in \[0, 5\), got range \[5, 5\]"),
        (np.zeros((2, 3), int), -np.ones((2, 3)), "weights must be >= 0"),
    ],
)
def test_sparse_cross_entropy_names_bad_targets(t, w, message):
    with pytest.raises((ValueError, TypeError), match="sparse_softmax_cross_entropy: " + message):
        F.sparse_softmax_cross_entropy(normal((2, 5, 3)), t, w, axis=1)


@given(st.permutations(range(3)), st.integers(1, 4), st.integers(1, 5))
def test_add_frames_keeps_the_layout_of_x_and_its_grad(perm, frames, hop):
    x = normal((2, 3, frames * hop), 1)
    x = np.ascontiguousarray(x.transpose(perm)).transpose(np.argsort(perm))
    f = normal((2, 3, frames), 2)
    y = F.add_frames(x, f, hop)
    np.testing.assert_array_equal(y.data, x + np.repeat(f, hop, axis=2))
    assert y.data.strides == x.strides
    check_grad(lambda x, f: F.add_frames(x, f, hop), [x, f])


def test_add_frames_names_a_misfit():
    with pytest.raises(ValueError, match="add_frames: 3 frames of hop 4 cover 12 samples"):
        F.add_frames(normal((1, 2, 10)), normal((1, 2, 3)), 4)

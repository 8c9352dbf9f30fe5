"""Model-level losses (tinynet/losses.py): the sample-weight normalisation its docstring states."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinynet as tn
from tinynet.callbacks import LambdaCallback
from tinynet.layers import Dense
from tinynet.models import Sequential
from tinynet.optimizers import SGD
from tinynet.training import losses


def batch_losses_of_a_fit(x, y, weights, batch_size):
    """The loss of every batch of one epoch of fit, with lr=0 so the weights never move, and the
    per-sample squared errors of that fixed model."""
    tn.seed(0)
    model = Sequential([Dense(1, input_shape=(x.shape[1],))])
    model.compile(SGD(lr=0.0), "mse")
    seen = []
    model.fit(
        x,
        y,
        batch_size=batch_size,
        epochs=1,
        shuffle=False,
        verbose=0,
        sample_weight=weights,
        callbacks=[LambdaCallback(on_batch_end=lambda b, logs: seen.append(logs["loss"]))],
    )
    per_sample = ((model.predict(x, verbose=0)[:, 0] - y) ** 2).astype(np.float64)
    return np.array(seen), per_sample


def test_multi_batch_fit_with_a_zero_weight_normalises_once_over_the_data_set():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(6, 2)).astype(np.float32)
    y = rng.normal(size=6).astype(np.float32)
    w = np.array([1.0, 0.0, 1.0, 1.0, 2.0, 0.0])
    seen, per_sample = batch_losses_of_a_fit(x, y, w, batch_size=2)
    scaled = w * len(w) / np.count_nonzero(w)  # w'_i = w_i * M / nonzero
    documented = (scaled * per_sample).reshape(3, 2).mean(axis=1)  # mean(w'_i loss_i) per batch
    np.testing.assert_allclose(seen, documented, rtol=1e-5)
    # Keras 2's per-batch form, sum(w_i loss_i) / (non-zero w_i in the batch), differs here
    wb, lb = w.reshape(3, 2), per_sample.reshape(3, 2)
    keras = (wb * lb).sum(axis=1) / np.count_nonzero(wb, axis=1)
    assert not np.allclose(seen, keras, rtol=1e-3)


@given(st.lists(st.sampled_from([0.0, 0.5, 1.0, 3.0]), min_size=1, max_size=12))
def test_sample_weights_formula(weights):
    w = np.array(weights)
    prepared = np.zeros((len(w), 1), np.float32)
    got = losses.sample_weights(None, prepared, sample_weight=w)
    expected = w * len(w) / max(np.count_nonzero(w), 1)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_sample_weights_multiply_class_weights_and_reject_negatives():
    prepared = np.eye(3, dtype=np.float32)[[0, 1, 2, 1]]
    got = losses.sample_weights(
        None, prepared, class_weight={1: 0.0, 2: 2.0}, sample_weight=[1.0, 1.0, 1.0, 3.0]
    )
    np.testing.assert_allclose(got, np.array([1.0, 0.0, 2.0, 0.0]) * 4 / 2)
    with pytest.raises(ValueError, match="non-negative"):
        losses.sample_weights(None, prepared, sample_weight=[1.0, -1.0, 1.0, 1.0])

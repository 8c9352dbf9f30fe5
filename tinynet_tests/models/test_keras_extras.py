"""Keras arguments that tinynet cannot honour are refused, not silently ignored."""

import numpy as np
import pytest

from tinynet.layers import Dense
from tinynet.models import Sequential


def _model():
    m = Sequential([Dense(2, input_shape=(3,))])
    m.compile(optimizer="sgd", loss="mse")
    return m


def _batches():
    while True:
        yield np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32)


def test_compile_refuses_loss_weights_and_other_multi_output_settings():
    m = Sequential([Dense(2, input_shape=(3,))])
    with pytest.raises(ValueError, match=r"loss_weights=\[5.0\] is not supported"):
        m.compile(optimizer="sgd", loss="mse", loss_weights=[5.0])
    with pytest.raises(ValueError, match="sample_weight_mode='temporal' is not supported"):
        m.compile(optimizer="sgd", loss="mse", sample_weight_mode="temporal")
    m.compile(optimizer="sgd", loss="mse", loss_weights=None, weighted_metrics=[])


def test_generator_methods_take_keras_loading_arguments_and_refuse_typos():
    m = _model()
    assert np.isfinite(m.evaluate_generator(_batches(), steps=2, workers=2))
    assert m.predict_generator(_batches(), steps=1, max_queue_size=4).shape == (4, 2)
    with pytest.raises(TypeError, match=r"evaluate_generator: unexpected keyword argument\(s\)"):
        m.evaluate_generator(_batches(), steps=1, stesp=2)
    with pytest.raises(TypeError, match=r"predict_generator: unexpected keyword argument\(s\)"):
        m.predict_generator(_batches(), steps=1, verbos=1)

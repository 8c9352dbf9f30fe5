"""Conv1D and Embedding layers, and Conv2D's dilation_rate: shapes, any-length sequences,
gradients through the layer's weights, errors, and a save/load round trip."""

import numpy as np
import pytest

import tinynet as tn
from tinynet.gradcheck import check_grad
from tinynet.layers import Conv1D, Conv2D, Dense, Embedding, Flatten, functional_call
from tinynet.models import Sequential, load_model

from ..arrays import normal


@pytest.mark.parametrize(
    "padding, L, expected", [("causal", 10, 10), ("same", 10, 10), ("valid", 10, 4), (1, 10, 6)]
)
def test_conv1d_output_lengths(padding, L, expected):
    layer = Conv1D(4, 3, padding=padding, dilation_rate=3)
    assert layer(normal((2, 3, L)).astype(np.float32)).shape == (2, 4, expected)


def test_conv1d_takes_any_length_once_built_and_names_wrong_channels():
    layer = Conv1D(2, 2, dilation_rate=4)
    layer(np.zeros((1, 3, 20), np.float32))
    assert layer(np.zeros((1, 3, 7), np.float32)).shape == (1, 2, 7)
    with pytest.raises(ValueError, match="conv1d"):
        layer(np.zeros((1, 5, 7), np.float32))


def test_conv1d_gradients_through_its_weights():
    layer = Conv1D(3, 2, dilation_rate=2, dtype="float64")
    x = normal((2, 2, 9), 1)
    layer(x)
    check_grad(lambda x, *w: functional_call(layer, w, x), [x] + [w.data for w in layer.weights])


def test_embedding_gathers_rows_and_trains():
    layer = Embedding(6, 3)
    ids = np.array([[0, 5, 5], [2, 0, 1]])
    out = layer(ids)
    np.testing.assert_array_equal(out.data, layer.embeddings.data[ids])
    out.sum().backward()
    counts = np.bincount(ids.ravel(), minlength=6)[:, None] * np.ones((1, 3))
    np.testing.assert_array_equal(layer.embeddings.grad, counts)


def test_layers_name_bad_arguments():
    with pytest.raises(ValueError, match="Conv1D: dilation_rate must be >= 1, got 0"):
        Conv1D(2, 2, dilation_rate=0)
    with pytest.raises(ValueError, match="Conv1D: padding must be 'causal', 'same', 'valid'"):
        Conv1D(2, 2, padding="full")
    with pytest.raises(ValueError, match="Embedding: output_dim must be >= 1, got 0"):
        Embedding(3, 0)


def test_dilated_conv2d_layer_same_padding_keeps_size_and_round_trips(tmp_path):
    tn.seed(0)
    model = Sequential(
        [
            Conv2D(3, 3, padding="same", dilation_rate=2, input_shape=(1, 9, 9)),
            Flatten(),
            Dense(2),
        ]
    )
    x = normal((2, 1, 9, 9)).astype(np.float32)
    assert model.layers[0](x).shape == (2, 3, 9, 9)
    model.compile(optimizer="sgd", loss="mse")
    path = tmp_path / "dilated.tnz"
    model.save(path)
    again = load_model(path)
    assert again.layers[0].dilation_rate == (2, 2)
    np.testing.assert_array_equal(again.predict(x), model.predict(x))


def test_sequential_conv1d_model_round_trips(tmp_path):
    tn.seed(1)
    model = Sequential(
        [
            Conv1D(4, 2, dilation_rate=1, input_shape=(2, 16)),
            Conv1D(4, 2, dilation_rate=2, activation="tanh"),
            Flatten(),
            Dense(3),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    x = normal((5, 2, 16)).astype(np.float32)
    model.fit(x, normal((5, 3)).astype(np.float32), epochs=1, verbose=0)
    model.save(tmp_path / "c1.tnz")
    np.testing.assert_array_equal(load_model(tmp_path / "c1.tnz").predict(x), model.predict(x))

"""tinynet.keras: today's Keras spellings, channels-last images converted once at the door,
GlobalAveragePooling2D, and keras.io's "Simple MNIST convnet" written out as a test."""

import os
from pathlib import Path

import numpy as np
import pytest

import tinynet as tn
from tinynet import keras
from tinynet import layers as tl
from tinynet.keras import layers
from tinynet.models import Sequential, load_model

DATA = Path(os.environ.get("TINYNET_DATA") or "/nonexistent")


def rng():
    return np.random.default_rng(0)


def first_and_last(first_layers, last_layers, x_nchw):
    """Copy the weights of a channels-first model into a channels-last one; both outputs."""
    a, b = Sequential(first_layers), Sequential(last_layers)
    for la, lb in zip([la for la in a.layers if la.weights], [lb for lb in b.layers if lb.weights]):
        lb.set_weights(la.get_weights())
    return a.predict(x_nchw, verbose=0), b.predict(x_nchw.transpose(0, 2, 3, 1), verbose=0)


def test_channels_last_model_equals_the_channels_first_one():
    x = rng().normal(size=(4, 3, 12, 10)).astype("float32")

    def stack(fmt, shape):
        return [
            tl.Conv2D(5, 3, padding="same", activation="relu", input_shape=shape, data_format=fmt),
            tl.MaxPooling2D(2, data_format=fmt),
            tl.Conv2DTranspose(4, 3, strides=2, data_format=fmt),
            tl.UpSampling2D(2, data_format=fmt),
            tl.ZeroPadding2D(1, data_format=fmt),
            tl.AveragePooling2D(2, padding="same", data_format=fmt),
            tl.GlobalAveragePooling2D(data_format=fmt),
            tl.Dense(3),
        ]

    p_first, p_last = first_and_last(
        stack("channels_first", (3, 12, 10)), stack("channels_last", (12, 10, 3)), x
    )
    np.testing.assert_allclose(p_last, p_first, rtol=1e-5, atol=1e-6)


def test_channels_last_flatten_uses_keras_order():
    x = rng().normal(size=(2, 2, 3, 4)).astype("float32")  # (N, C, H, W)
    model = Sequential([keras.Input(shape=(3, 4, 2)), layers.Flatten()])
    out = model.predict(x.transpose(0, 2, 3, 1), verbose=0)
    np.testing.assert_array_equal(out, x.transpose(0, 2, 3, 1).reshape(2, -1))  # (H, W, C) order
    first = Sequential([tl.Flatten(input_shape=(2, 3, 4))]).predict(x, verbose=0)
    np.testing.assert_array_equal(first, x.reshape(2, -1))


def test_the_door_transposes_once_not_per_layer(monkeypatch):
    calls = []
    original = tn.Tensor.transpose

    def counting(self, *axes):
        calls.append(axes)
        return original(self, *axes)

    monkeypatch.setattr(tn.Tensor, "transpose", counting)
    model = keras.Sequential(
        [
            keras.Input(shape=(8, 8, 3)),
            layers.Conv2D(4, 3, padding="same"),
            layers.BatchNormalization(),
            layers.Conv2D(4, 3),
            layers.MaxPooling2D(),
            layers.GlobalAveragePooling2D(),
            layers.Dense(2, activation="softmax"),
        ]
    )
    calls.clear()
    model.predict(np.zeros((2, 8, 8, 3), "float32"), verbose=0)
    assert calls == [(0, 3, 1, 2)]
    assert model.layers[1].kernel.shape == (4, 3, 3, 3)  # tinynet's own layout inside


def test_defaults_keras_channels_last_tinynet_channels_first():
    assert keras.config.image_data_format() == "channels_last"
    assert tl.image_data_format() == "channels_first"
    assert layers.Conv2D(2, 3).data_format == "channels_last"
    assert tl.Conv2D(2, 3).data_format == "channels_first"
    assert isinstance(layers.Conv2D(2, 3), tl.Conv2D) and layers.Dense is tl.Dense
    tl.set_image_data_format("channels_last")
    try:
        assert tl.MaxPooling2D().data_format == "channels_last"
    finally:
        tl.set_image_data_format("channels_first")
    keras.config.set_image_data_format("channels_first")
    try:
        assert layers.Conv2D(2, 3).data_format == "channels_first"
        assert keras.Input(shape=(1, 28, 28)).is_door is False
    finally:
        keras.config.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match="data_format must be 'channels_first'"):
        tl.Conv2D(2, 3, data_format="NHWC")
    with pytest.raises(ValueError, match="set_image_data_format: expected"):
        tl.set_image_data_format("nhwc")
    assert tl.Conv2D(2, 3, dim_ordering="tf").data_format == "channels_last"  # Keras 1


def test_input_shapes_and_errors():
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(8, 3)])
    assert model.input_shape == (28, 28, 1) and model.output_shape == (8, 26, 26)
    with pytest.raises(ValueError, match=r"expected input shape \(None, 28, 28, 1\)"):
        model.predict(np.zeros((2, 1, 28, 28), "float32"))
    flat = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(3)])
    assert flat.predict(np.zeros((2, 784), "float32"), verbose=0).shape == (2, 3)
    with pytest.raises(ValueError, match="shape is required"):
        keras.Input()
    assert keras.Input(batch_shape=(None, 28, 28, 1)).input_shape is None  # built on use
    assert keras.Input(batch_shape=(None, 28, 28, 1)).declared_input_shape == (28, 28, 1)
    with pytest.raises(ValueError, match="channels_last' expects images"):
        Sequential([tl.Conv2D(2, 3, input_shape=(28, 28), data_format="channels_last")])


def test_channels_last_model_file_round_trip(tmp_path):
    model = keras.Sequential(
        [keras.Input(shape=(6, 6, 2)), layers.Conv2D(3, 3), layers.Flatten(), layers.Dense(2)]
    )
    x = rng().normal(size=(3, 6, 6, 2)).astype("float32")
    model.save(tmp_path / "m.tnz")
    again = load_model(tmp_path / "m.tnz")
    assert [getattr(la, "data_format", None) for la in again.layers][:3] == ["channels_last"] * 3
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0))


def test_global_pooling_values():
    x = rng().normal(size=(2, 3, 4, 5)).astype("float32")
    np.testing.assert_allclose(tl.GlobalAveragePooling2D()(x).data, x.mean(axis=(2, 3)), rtol=1e-6)
    np.testing.assert_allclose(tl.GlobalMaxPooling2D()(x).data, x.max(axis=(2, 3)))
    keep = tl.GlobalAveragePooling2D(keepdims=True)
    assert keep(x).shape == (2, 3, 1, 1)
    last = Sequential([keras.Input(shape=(4, 5, 3)), layers.GlobalAveragePooling2D(keepdims=True)])
    assert last.output_shape == (1, 1, 3)
    with pytest.raises(ValueError, match="expects images"):
        tl.GlobalAveragePooling2D()(np.zeros((2, 3), "float32"))
    tn.gradcheck.check_grad(
        lambda t: tl.GlobalAveragePooling2D()(t), [rng().normal(size=(2, 3, 4, 4))]
    )


def test_keras_names_are_there():
    for name in ("Sequential", "Model", "Input", "layers", "datasets", "utils", "optimizers"):
        assert hasattr(keras, name), name
    assert keras.optimizers.Adam(learning_rate=1e-3).lr == pytest.approx(1e-3)
    assert keras.callbacks.EarlyStopping and keras.losses.CategoricalCrossentropy
    np.testing.assert_array_equal(keras.utils.to_categorical([1, 0], 2), [[0, 1], [1, 0]])
    assert keras.backend.image_data_format() == "channels_last"


@pytest.mark.data
def test_keras_cifar10_is_channels_last():
    if not (DATA / "cifar10").is_dir():
        pytest.skip("needs TINYNET_DATA with cifar10/")
    (x, y), (xt, yt) = keras.datasets.cifar10.load_data()
    assert (
        x.shape == (50000, 32, 32, 3) and xt.shape == (10000, 32, 32, 3) and y.shape == (50000, 1)
    )


@pytest.mark.data
def test_keras_io_simple_mnist_convnet(capsys):
    """https://keras.io/examples/vision/mnist_convnet/ as written, but for its imports (the two
    lines marked) and the subset and one epoch (marked) that keep the test short."""
    if not (DATA / "mnist").is_dir():
        pytest.skip("needs TINYNET_DATA with mnist/")
    tn.seed(0)
    # --- keras.io, "Simple MNIST convnet" (fchollet) ---
    import numpy as np

    from tinynet import keras  # was: import keras
    from tinynet.keras import layers  # was: from keras import layers

    # Model / data parameters
    num_classes = 10
    input_shape = (28, 28, 1)

    # Load the data and split it between train and test sets
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train, y_train, x_test, y_test = (
        x_train[:600],
        y_train[:600],
        x_test[:200],
        y_test[:200],
    )  # subset

    # Scale images to the [0, 1] range
    x_train = x_train.astype("float32") / 255
    x_test = x_test.astype("float32") / 255
    # Make sure images have shape (28, 28, 1)
    x_train = np.expand_dims(x_train, -1)
    x_test = np.expand_dims(x_test, -1)
    print("x_train shape:", x_train.shape)
    print(x_train.shape[0], "train samples")
    print(x_test.shape[0], "test samples")

    # convert class vectors to binary class matrices
    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)

    model = keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(num_classes, activation="softmax"),
        ]
    )

    model.summary()

    batch_size = 128
    epochs = 1  # was 15

    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])

    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1)

    score = model.evaluate(x_test, y_test, verbose=0)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])
    # --- end of the example ---
    out = capsys.readouterr().out
    assert "x_train shape: (600, 28, 28, 1)" in out and "Total params: 34,826" in out
    assert np.isfinite(score[0]) and score[1] > 0.2  # 540 images, one epoch: well above chance

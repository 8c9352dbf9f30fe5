"""The zoo's models: layer output shapes, parameter counts, an uncompiled model that trains,
save/load."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinynet as tn
from tinynet import zoo
from tinynet.layers import BatchNormalization, Conv2D, Dense
from tinynet.models import load_model


def conv_params(c_in, filters, k, bias=True):
    return filters * c_in * k * k + (filters if bias else 0)


def dense_params(n_in, units):
    return n_in * units + units


def shapes(model):
    return [tuple(layer.output_shape) for layer in model.layers]


def test_lenet_has_the_lectures_parameter_count_and_shapes():
    model = zoo.lenet()
    assert model.count_params() == 1_256_080
    assert [
        s for s, layer in zip(shapes(model), model.layers) if isinstance(layer, (Conv2D, Dense))
    ] == [(20, 28, 28), (50, 14, 14), (500,), (10,)]
    assert shapes(model)[6] == (50 * 7 * 7,)  # the flatten after two 2x2 pools


@given(
    classes=st.integers(2, 30), side=st.sampled_from([8, 12, 28, 32]), channels=st.integers(1, 3)
)
def test_lenet_counts_follow_the_input_and_classes(classes, side, channels):
    model = zoo.lenet(input_shape=(channels, side, side), classes=classes)
    flat = 50 * (side // 4) ** 2
    expected = (
        conv_params(channels, 20, 5)
        + conv_params(20, 50, 5)
        + dense_params(flat, 500)
        + dense_params(500, classes)
    )
    assert model.count_params() == expected
    assert model.output_shape == (classes,)


def test_cifar10_cnn_layers():
    model = zoo.cifar10_cnn()
    assert shapes(model)[:5] == [
        (32, 32, 32),
        (32, 32, 32),
        (32, 16, 16),
        (32, 16, 16),
        (32 * 16 * 16,),
    ]
    assert model.count_params() == conv_params(3, 32, 3) + dense_params(8192, 512) + dense_params(
        512, 10
    )


def test_cifar10_deep_layers():
    model = zoo.cifar10_deep()
    convs = [s for s, layer in zip(shapes(model), model.layers) if isinstance(layer, Conv2D)]
    assert convs == [
        (32, 32, 32),
        (32, 32, 32),
        (64, 16, 16),
        (64, 14, 14),
    ]  # the last conv is 'valid'
    flat = 64 * 7 * 7
    assert model.count_params() == (
        conv_params(3, 32, 3)
        + conv_params(32, 32, 3)
        + conv_params(32, 64, 3)
        + conv_params(64, 64, 3)
        + dense_params(flat, 512)
        + dense_params(512, 10)
    )


@given(a=st.integers(2, 16), b=st.integers(2, 16), c=st.integers(2, 16))
def test_cifar10_fast_counts(a, b, c):
    model = zoo.cifar10_fast(widths=(a, b, c))
    convs = (
        conv_params(3, a, 3, False)
        + conv_params(a, b, 3, False)
        + conv_params(b, b, 3, False)
        + conv_params(b, c, 3, False)
        + conv_params(c, c, 3, False)
    )
    bn = 4 * (a + 2 * b + 2 * c)  # gamma, beta, moving mean, moving variance
    assert model.count_params() == convs + bn + dense_params(c, 10)
    assert sum(isinstance(layer, BatchNormalization) for layer in model.layers) == 5
    assert shapes(model)[-4] == (c, 1, 1)  # global max pool


@pytest.mark.parametrize(
    "name, shape",
    [
        ("lenet", (1, 28, 28)),
        ("cifar10-cnn", (3, 32, 32)),
        ("cifar10-deep", (3, 32, 32)),
        ("cifar10-fast", (3, 32, 32)),
    ],
)
def test_models_are_uncompiled_and_predict_probabilities(name, shape, rng):
    model = zoo.get(name)
    assert model.loss is None and model.optimizer is None
    assert model.input_shape == shape
    p = model.predict(rng.random((3,) + shape, dtype=np.float32))
    assert p.shape == (3, 10) and p.dtype == np.float32
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-5)


def test_each_call_builds_new_weights():
    a, b = zoo.lenet(), zoo.lenet()
    assert a.weights[0] is not b.weights[0]


def test_get_names_the_unknown_model():
    with pytest.raises(ValueError, match="'resnet'.*lenet"):
        zoo.get("resnet")


def test_fast_net_learns_a_small_batch_and_survives_save_load(tmp_path, rng):
    tn.seed(0)
    x = rng.random((16, 3, 32, 32), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[np.arange(16) % 10]
    model = zoo.cifar10_fast(widths=(8, 8, 16))
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    first = model.train_on_batch(x, y)[0]
    for _ in range(15):
        last = model.train_on_batch(x, y)[0]
    assert last < 0.5 * first
    model.save(tmp_path / "fast.tnz")
    again = load_model(tmp_path / "fast.tnz")
    np.testing.assert_allclose(again.predict(x), model.predict(x), rtol=1e-5, atol=1e-6)

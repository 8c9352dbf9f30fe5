"""Layers: output shapes (against Keras's formulas and plain-loop references), gradients of every
layer in float64 through check_grad, shape errors naming the layer, Keras 1 spellings."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinynet as tn
from tinynet.gradcheck import check_grad
from tinynet.layers import (
    Activation,
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    Conv2DTranspose,
    Convolution2D,
    Dense,
    Dropout,
    Flatten,
    LeakyReLU,
    MaxPooling2D,
    Reshape,
    UpSampling2D,
    ZeroPadding2D,
    functional_call,
    reset_names,
)

from .. import reference
from ..arrays import away_from_zero, distinct, normal


def check_layer(layer, x, training=True, reseed=False):
    """Gradient check of ``layer`` in float64 w.r.t. its input and every weight."""
    layer.build(x.shape[1:], dtype="float64")
    weights = [w.data for w in layer.weights]

    def fn(x, *ws):
        if reseed:
            tn.seed(0)
        return functional_call(layer, list(ws), x, training)

    return check_grad(fn, [x] + weights)


# ----- shapes -----
@given(
    st.integers(1, 3),
    st.integers(1, 9),
    st.integers(1, 9),
    st.integers(1, 4),
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(1, 3),
    st.sampled_from(["valid", "same"]),
)
def test_conv2d_shape_and_values_match_keras_and_reference(c, H, W, kh, kw, sh, sw, padding):
    if padding == "valid" and (kh > H or kw > W):
        with pytest.raises(ValueError, match="does not fit"):
            Conv2D(2, (kh, kw), strides=(sh, sw), padding=padding).build((c, H, W))
        return
    tn.seed(1)
    layer = Conv2D(2, (kh, kw), strides=(sh, sw), padding=padding)
    x = normal((2, c, H, W))
    y = layer(x.astype("float32"))
    if padding == "same":
        expect = (2, 2, math.ceil(H / sh), math.ceil(W / sw))
        th = max((expect[2] - 1) * sh + kh - H, 0)
        tw = max((expect[3] - 1) * sw + kw - W, 0)
        xp = np.pad(x, ((0, 0), (0, 0), (th // 2, th - th // 2), (tw // 2, tw - tw // 2)))
    else:
        expect = (2, 2, (H - kh) // sh + 1, (W - kw) // sw + 1)
        xp = x
    assert y.shape == expect == (2,) + layer.output_shape
    ref = reference.conv2d(
        xp, layer.kernel.data.astype(float), layer.bias.data.astype(float), (sh, sw), (0, 0)
    )
    np.testing.assert_allclose(y.data, ref, rtol=1e-4, atol=1e-5)


@given(
    st.integers(1, 5),
    st.integers(1, 5),
    st.integers(1, 4),
    st.integers(1, 3),
    st.sampled_from(["valid", "same"]),
)
def test_conv2d_transpose_is_the_adjoint_of_conv2d(H, W, k, s, padding):
    """With the same kernel, <conv(z), u> = <z, conv_transpose(u)>: the transposed layer's shapes
    and (asymmetric 'same') alignment are TensorFlow's."""
    if padding == "valid" and k < s:
        return  # the transposed output is then larger than the conv's input
    tn.seed(2)
    up = Conv2DTranspose(3, k, strides=s, padding=padding, use_bias=False)
    u = normal((2, 2, H, W))
    out = up(u.astype("float64"))
    Ho, Wo = (H * s, W * s) if padding == "same" else ((H - 1) * s + k, (W - 1) * s + k)
    assert out.shape == (2, 3, Ho, Wo) == (2,) + up.output_shape
    down = Conv2D(2, k, strides=s, padding=padding, use_bias=False, dtype="float64")
    down.build((3, Ho, Wo))
    down.kernel.data[...] = up.kernel.data  # (C_out=2, C_in=3) == transposed layer's (C_in, C_out)
    z = normal((2, 3, Ho, Wo), 5)
    cz = down(z).data
    assert cz.shape == u.shape
    np.testing.assert_allclose((cz * u).sum(), (z * out.data).sum(), rtol=1e-10)


def test_conv2d_transpose_output_padding_and_keras_valid_length():
    layer = Conv2DTranspose(4, 3, strides=2, padding="same", output_padding=1)
    assert layer.build((2, 5, 5)).output_shape == (4, (5 - 1) * 2 + 3 - 2 * 1 + 1, 10)
    assert Conv2DTranspose(4, 1, strides=3).build((2, 5, 5)).output_shape == (4, 15, 15)
    assert Conv2DTranspose(4, 5, strides=2).build((2, 7, 7)).output_shape == (4, 17, 17)
    with pytest.raises(ValueError, match="output_padding"):
        Conv2DTranspose(4, 3, strides=2, output_padding=2)


@given(
    st.integers(1, 7),
    st.integers(1, 7),
    st.integers(1, 3),
    st.integers(1, 3),
    st.sampled_from(["valid", "same"]),
)
def test_pooling_shapes_and_values(H, W, k, s, padding):
    if padding == "valid" and k > min(H, W):
        with pytest.raises(ValueError, match="larger than the input"):
            MaxPooling2D(k, strides=s, padding=padding).build((1, H, W))
        return
    x = distinct((2, 2, H, W))
    mp = MaxPooling2D(k, strides=s, padding=padding)
    ap = AveragePooling2D(k, strides=s, padding=padding)
    ymax, yavg = mp(x).data, ap(x).data
    if padding == "same":
        oh, ow = math.ceil(H / s), math.ceil(W / s)
        th, tw = max((oh - 1) * s + k - H, 0), max((ow - 1) * s + k - W, 0)
        pads = ((0, 0), (0, 0), (th // 2, th - th // 2), (tw // 2, tw - tw // 2))
        ref_max = reference.pool2d(
            np.pad(x, pads, constant_values=-np.inf), (k, k), (s, s), (0, 0), "max"
        )
        sums = reference.pool2d(np.pad(x, pads), (k, k), (s, s), (0, 0), "avg")
        counts = reference.pool2d(np.pad(np.ones_like(x), pads), (k, k), (s, s), (0, 0), "avg")
        ref_avg = sums / counts  # TensorFlow's 'same' average counts only real cells
    else:
        ref_max = reference.pool2d(x, (k, k), (s, s), (0, 0), "max")
        ref_avg = reference.pool2d(x, (k, k), (s, s), (0, 0), "avg")
    assert ymax.shape == (2,) + mp.output_shape == ref_max.shape
    np.testing.assert_allclose(ymax, ref_max)
    np.testing.assert_allclose(yavg, ref_avg, rtol=1e-12)


def test_simple_layer_shapes():
    x = np.zeros((3, 4, 5, 6), "float32")
    assert Flatten()(x).shape == (3, 120)
    assert Reshape((20, -1))(x).shape == (3, 20, 6)
    assert UpSampling2D((2, 3))(x).shape == (3, 4, 10, 18)
    assert ZeroPadding2D(((1, 2), (0, 3)))(x).shape == (3, 4, 8, 9)
    assert Dense(7)(x).shape == (3, 4, 5, 7)  # Keras: Dense acts on the last axis
    assert BatchNormalization()(x).shape == x.shape
    assert Dropout(0.5)(x, training=True).shape == x.shape
    assert LeakyReLU()(x).shape == x.shape
    for act in ("relu", "tanh", "sigmoid", "softmax", "linear", "leaky_relu"):
        assert Activation(act)(x).shape == x.shape


# ----- gradients (float64) -----
@pytest.mark.parametrize("activation", [None, "tanh", "sigmoid", "softmax"])
def test_dense_grad(activation):
    check_layer(Dense(3, activation=activation), normal((4, 5)))


def test_dense_on_3d_input_grad():
    check_layer(Dense(2), normal((2, 3, 4)))


@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid", "softmax", "linear", "leaky_relu"])
def test_activation_grad(name):
    check_layer(Activation(name), away_from_zero((3, 4)))


def test_leaky_relu_grad():
    check_layer(LeakyReLU(0.1), away_from_zero((2, 3, 4)))


@pytest.mark.parametrize(
    "kernel,strides,padding",
    [(3, 1, "valid"), (3, 1, "same"), (2, 1, "same"), (3, 2, "same"), ((2, 3), (2, 1), "valid")],
)
def test_conv2d_grad(kernel, strides, padding):
    check_layer(
        Conv2D(2, kernel, strides=strides, padding=padding, activation="tanh"), normal((2, 2, 5, 5))
    )


@pytest.mark.parametrize(
    "kernel,strides,padding,output_padding",
    [
        (3, 1, "valid", None),
        (3, 2, "same", None),
        (4, 2, "same", None),
        (2, 3, "valid", None),
        (3, 2, "same", 1),
    ],
)
def test_conv2d_transpose_grad(kernel, strides, padding, output_padding):
    check_layer(
        Conv2DTranspose(2, kernel, strides=strides, padding=padding, output_padding=output_padding),
        normal((2, 3, 3, 3)),
    )


@pytest.mark.parametrize(
    "layer",
    [
        lambda: MaxPooling2D(2),
        lambda: MaxPooling2D(3, strides=2, padding="same"),
        lambda: AveragePooling2D(2),
        lambda: AveragePooling2D(2, padding="same"),
    ],
)
def test_pooling_grad(layer):
    check_layer(layer(), distinct((2, 2, 5, 5)))


def test_reshaping_layers_grad():
    x = normal((2, 3, 2, 2))
    for layer in (Flatten(), Reshape((4, 3)), UpSampling2D(2), ZeroPadding2D(1)):
        check_layer(layer, x)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 2, 2)])
def test_batch_normalization_grad_training(shape):
    layer = BatchNormalization()
    check_layer(layer, normal(shape))


def test_batch_normalization_inference_uses_moving_statistics():
    layer = BatchNormalization(epsilon=1e-3, dtype="float64")
    layer.build((3,))
    layer.moving_mean.data[...] = [1.0, -2.0, 0.5]
    layer.moving_variance.data[...] = [4.0, 1.0, 0.25]
    x = normal((5, 3))
    y = layer(x, training=False).data
    np.testing.assert_allclose(
        y, (x - [1.0, -2.0, 0.5]) / np.sqrt(np.array([4.0, 1.0, 0.25]) + 1e-3)
    )
    mm, mv = layer.moving_mean, layer.moving_variance
    check_grad(
        lambda x, g, b: functional_call(layer, [g, b, mm, mv], x, False),
        [x, layer.gamma.data, layer.beta.data],
    )


def test_batch_normalization_updates_moving_statistics_only_when_trainable():
    x = normal((8, 2, 3, 3)).astype("float32") * 3 + 5
    layer = BatchNormalization(momentum=0.9)
    layer(x, training=True)
    np.testing.assert_allclose(layer.moving_mean.data, 0.1 * x.mean(axis=(0, 2, 3)), rtol=1e-5)
    before = layer.get_weights()
    layer.trainable = False
    layer(x, training=True)
    for a, b in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_dropout_grad_and_inference_identity():
    check_layer(Dropout(0.4), normal((3, 5)), training=True, reseed=True)
    x = normal((3, 5)).astype("float32")
    np.testing.assert_array_equal(Dropout(0.4)(x, training=False).data, x)
    tn.seed(0)
    y = Dropout(0.5)(np.ones((200, 50), "float32"), training=True).data
    assert set(np.unique(y)) == {0.0, 2.0}
    assert 0.45 < (y == 0).mean() < 0.55


# ----- errors name the layer and the shapes -----
def test_wrong_input_shape_names_layer_expected_and_received():
    layer = Dense(4, name="hidden")
    layer.build((10,))
    with pytest.raises(ValueError, match=r"'hidden' \(Dense\).*\(None, 10\).*\(None, 12\)"):
        layer(np.zeros((2, 12), "float32"))


def test_build_time_shape_errors():
    with pytest.raises(ValueError, match=r"conv2d_9.*\(C, H, W\).*\(None, 784\)"):
        Conv2D(8, 3, name="conv2d_9").build((784,))
    with pytest.raises(ValueError, match=r"'pool'.*larger than the input 3x3"):
        MaxPooling2D(4, name="pool").build((2, 3, 3))
    with pytest.raises(
        ValueError, match=r"cannot reshape input of shape \(None, 10\).*\(None, 3, -1\)|target"
    ):
        Reshape((3, -1)).build((10,))
    with pytest.raises(ValueError, match="channel axis"):
        BatchNormalization(axis=-1).build((3, 4, 4))
    with pytest.raises(TypeError, match="Dense: unexpected keyword"):
        Dense(3, kernel_regulariser=None)
    with pytest.raises(ValueError, match="data_format must be 'channels_first'"):
        Conv2D(3, 3, data_format="NHWC")  # channels_last is taken (tinynet_tests/keras)
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        Dense(3, activation="swish")


def test_dtype_mismatch_is_a_type_error():
    layer = Dense(3)
    layer.build((4,))
    with pytest.raises(TypeError, match="float64.*float32"):
        layer(tn.Tensor(np.zeros((2, 4))))


def test_unbuilt_layer_builds_from_float64_input():
    layer = Conv2D(2, 3)
    y = layer(normal((1, 1, 4, 4)))
    assert layer.kernel.dtype == np.float64 and y.dtype == np.float64


# ----- Keras 1 spellings -----
def test_keras1_spellings_warn_and_mean_the_same():
    with pytest.warns(DeprecationWarning, match="output_dim"):
        old = Dense(input_dim=100, output_dim=1024)
    assert old.units == 1024 and old.declared_input_shape == (100,)
    with pytest.warns(
        DeprecationWarning, match="Convolution2D -> Conv2D.*kernel_size.*border_mode"
    ):
        conv = Convolution2D(64, 5, 5, border_mode="same", subsample=(2, 2), init="he_normal")
    assert isinstance(conv, Conv2D)
    assert (conv.filters, conv.kernel_size, conv.padding, conv.strides) == (
        64,
        (5, 5),
        "same",
        (2, 2),
    )
    with pytest.warns(DeprecationWarning, match="nb_filter"):
        c2 = Conv2D(nb_filter=8, nb_row=3, nb_col=2)
    assert (c2.filters, c2.kernel_size) == (8, (3, 2))
    with pytest.warns(DeprecationWarning):
        assert Dropout(p=0.3).rate == 0.3
    with pytest.warns(DeprecationWarning):
        assert MaxPooling2D(border_mode="same").padding == "same"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Conv2D(64, (5, 5), padding="same")  # the Keras 2 form does not warn


def test_keras1_conv_positional_form_requires_ints():
    with pytest.raises(TypeError, match="nb_row, nb_col"):
        Conv2D(64, 5, (2, 2))


# ----- names, weights, trainable -----
def test_keras_style_names():
    reset_names()
    assert [
        Dense(2).name,
        Dense(2).name,
        Conv2D(1, 1).name,
        MaxPooling2D().name,
        BatchNormalization().name,
        Conv2DTranspose(1, 1).name,
    ] == [
        "dense_1",
        "dense_2",
        "conv2d_1",
        "max_pooling2d_1",
        "batch_normalization_1",
        "conv2d_transpose_1",
    ]


def test_get_set_weights_and_trainable():
    layer = BatchNormalization()
    layer.build((3,))
    assert [w.shape for w in layer.get_weights()] == [(3,)] * 4
    assert len(layer.trainable_weights) == 2 and len(layer.non_trainable_weights) == 2
    new = [np.full(3, v, "float32") for v in (2.0, 1.0, 0.5, 3.0)]
    layer.set_weights(new)
    got = layer.get_weights()
    got[0][:] = 99  # a copy, not the live array
    np.testing.assert_array_equal(layer.gamma.data, 2.0)
    with pytest.raises(ValueError, match=r"batch_normalization.*gamma has shape \(3,\).*\(4,\)"):
        layer.set_weights([np.zeros(4)] + new[1:])
    layer.trainable = False
    assert layer.trainable_weights == [] and not layer.gamma.requires_grad
    assert layer.count_params() == 12


def test_set_trainable_grads_makes_exactly_the_given_weights_take_gradients():
    from tinynet.layers.base import set_trainable_grads

    a, b = Dense(2), BatchNormalization()
    a.build((3,))
    b.build((2,))
    for w in a.weights + b.weights:
        w.grad = np.ones(w.shape, "float32")
    assert set_trainable_grads([a, b], [a.bias, b.gamma]) == [a.bias, b.gamma]
    assert [w.requires_grad for w in a.weights + b.weights] == [
        False,
        True,
        True,
        False,
        False,
        False,
    ]
    assert all(w.grad is None for w in a.weights + b.weights)
    b.trainable = False
    assert set_trainable_grads([a, b]) == a.weights  # default: each layer's own trainable weights
    assert [w.requires_grad for w in a.weights + b.weights] == [True, True] + [False] * 4


def test_initializers_are_seeded_and_scaled():
    tn.seed(3)
    a = Dense(300, input_shape=(200,))
    a.build((200,))
    tn.seed(3)
    b = Dense(300)
    b.build((200,))
    np.testing.assert_array_equal(a.kernel.data, b.kernel.data)
    limit = math.sqrt(6 / (200 + 300))
    assert a.kernel.dtype == np.float32 and np.abs(a.kernel.data).max() <= limit
    assert abs(a.kernel.data.std() - limit / math.sqrt(3)) < 0.01 * limit
    np.testing.assert_array_equal(a.bias.data, 0)
    c = Conv2D(64, 3, kernel_initializer="he_normal")
    c.build((32, 8, 8))
    assert abs(c.kernel.data.std() - math.sqrt(2 / (32 * 9))) < 0.05 * math.sqrt(2 / (32 * 9))


def test_fused_activation_interface():
    layer = Dense(3, activation="softmax", dtype="float64")
    x = normal((2, 4))
    z = layer.call_pre_activation(x)
    assert layer.output_activation == "softmax"
    e = np.exp(z.data - z.data.max(axis=1, keepdims=True))
    np.testing.assert_allclose(layer(x).data, e / e.sum(axis=1, keepdims=True))
    assert (
        Activation("sigmoid").output_activation == "sigmoid" and Flatten().output_activation is None
    )

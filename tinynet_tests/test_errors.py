"""Bad input gets a ValueError that names the op and the shapes at fault."""

import numpy as np
import pytest

import tinynet as tn
from tinynet import functional as F

T = tn.Tensor


def test_conv2d_channel_mismatch():
    with pytest.raises(
        ValueError,
        match=r"conv2d: x has 3 channels \(shape \(2, 3, 8, 8\)\) but w "
        r"expects 4 \(shape \(6, 4, 3, 3\)\)",
    ):
        F.conv2d(T(np.ones((2, 3, 8, 8))), T(np.ones((6, 4, 3, 3))))


def test_conv2d_kernel_larger_than_input():
    with pytest.raises(ValueError, match="conv2d: kernel 5x5 does not fit input 3x3"):
        F.conv2d(T(np.ones((1, 1, 3, 3))), T(np.ones((1, 1, 5, 5))))


def test_conv2d_transpose_channel_mismatch():
    with pytest.raises(ValueError, match=r"conv2d_transpose: x has 2 channels .* w expects 3"):
        F.conv2d_transpose(T(np.ones((1, 2, 4, 4))), T(np.ones((3, 5, 3, 3))))


def test_linear_feature_mismatch():
    with pytest.raises(ValueError, match=r"linear: .* x \(4, 784\) with w \(500, 10\)"):
        F.linear(T(np.ones((4, 784))), T(np.ones((500, 10))))


def test_pool_window_larger_than_input():
    with pytest.raises(
        ValueError, match=r"max_pool2d: window \(3, 3\) is larger than the input 2x2"
    ):
        F.max_pool2d(T(np.ones((1, 1, 2, 2))), 3)
    with pytest.raises(ValueError, match="avg_pool2d: window"):
        F.avg_pool2d(T(np.ones((1, 1, 2, 5))), 3)


@pytest.mark.parametrize(
    "loss",
    [
        F.mean_squared_error,
        F.binary_cross_entropy,
        F.binary_cross_entropy_with_logits,
        F.categorical_cross_entropy,
        F.softmax_cross_entropy,
    ],
)
def test_loss_target_shape(loss):
    name = loss.__name__
    with pytest.raises(
        ValueError,
        match=rf"{name}: target shape \(4, 3\) does not match "
        rf"(prediction|logits) shape \(4, 2\)",
    ):
        loss(T(np.full((4, 2), 0.5)), np.zeros((4, 3)))


def test_softmax_cross_entropy_label_range_and_count():
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
        F.softmax_cross_entropy(T(np.zeros((2, 3))), np.array([0, 3]))
    with pytest.raises(ValueError, match="3 labels for logits of shape"):
        F.softmax_cross_entropy(T(np.zeros((2, 3))), np.array([0, 1, 2]))


def test_broadcast_mismatch_names_the_op():
    with pytest.raises(ValueError, match=r"Add: shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        T(np.ones((2, 3))) + T(np.ones(4))


def test_batch_norm_parameter_shape():
    with pytest.raises(ValueError, match=r"batch_norm: gamma must have shape \(3,\)"):
        F.batch_norm(T(np.ones((2, 3))), T(np.ones(4)), T(np.zeros(3)), np.zeros(3), np.ones(3))


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda x: F.conv2d(x, T(np.ones((1, 1, 2, 2))), stride=0),
            "conv2d: stride must be >= 1, got 0",
        ),
        (
            lambda x: F.conv2d(x, T(np.ones((1, 1, 2, 2))), padding=-1),
            "conv2d: padding must be >= 0, got -1",
        ),
        (
            lambda x: F.conv2d(x, T(np.ones((1, 1, 2, 2))), stride=1.5),
            "conv2d: stride must be an int or a pair of ints, got 1.5",
        ),
        (
            lambda x: F.max_pool2d(x, 2, stride=(1, 0)),
            r"max_pool2d: stride must be >= 1, got \(1, 0\)",
        ),
        (lambda x: F.max_pool2d(x, 0), "max_pool2d: kernel_size must be >= 1, got 0"),
        (
            lambda x: F.avg_pool2d(x, (2, 2, 2)),
            r"avg_pool2d: kernel_size must be an int or a pair of ints, got \(2, 2, 2\)",
        ),
        (lambda x: F.upsample2d(x, 0), "upsample2d: scale must be >= 1, got 0"),
        (
            lambda x: F.conv2d_transpose(x, T(np.ones((1, 1, 2, 2))), stride=-2),
            "conv2d_transpose: stride must be >= 1, got -2",
        ),
        (
            lambda x: F.conv2d_transpose(x, T(np.ones((1, 1, 2, 2))), output_padding=-1),
            "conv2d_transpose: output_padding must be >= 0, got -1",
        ),
    ],
)
def test_strides_paddings_and_scales_are_validated(call, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        call(T(np.ones((1, 1, 4, 4))))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: tn.layers.Conv2D(4, 3, strides=0), r"Conv2D: strides must be >= 1, got 0"),
        (lambda: tn.layers.Conv2D(4, (3, 0)), r"Conv2D: kernel_size must be >= 1, got \(3, 0\)"),
        (
            lambda: tn.layers.Conv2DTranspose(4, 3, strides=2, output_padding=-1),
            r"Conv2DTranspose: output_padding must be >= 0, got -1",
        ),
        (lambda: tn.layers.MaxPooling2D(0), r"MaxPooling2D: pool_size must be >= 1, got 0"),
        (
            lambda: tn.layers.AveragePooling2D(2, strides=(2, -1)),
            r"AveragePooling2D: strides must be >= 1, got \(2, -1\)",
        ),
        (lambda: tn.layers.UpSampling2D((2, 0)), r"UpSampling2D: size must be >= 1, got \(2, 0\)"),
    ],
)
def test_layer_window_arguments_name_the_layer(make, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        make()


@pytest.mark.parametrize("op", [F.softmax, F.log_softmax])
@pytest.mark.parametrize("axis", [2, -3, 5])
def test_softmax_axis_out_of_range_names_op_axis_and_shape(op, axis):
    with pytest.raises(
        ValueError,
        match=rf"^{op.__name__}: axis {axis} is out of range for x of "
        rf"shape \(2, 3\) \(2 dimensions\)$",
    ):
        op(T(np.ones((2, 3))), axis=axis)


def test_softmax_accepts_every_axis_in_range():
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    for axis in (-3, -1, 0, 2):
        np.testing.assert_allclose(F.softmax(T(x), axis=axis).data.sum(axis=axis), 1.0)


def test_pad2d_on_a_non_image_names_pad2d_and_the_shape():
    from tinynet.layers.padding import pad2d

    with pytest.raises(ValueError, match=r"^pad2d: x must be \(N, C, H, W\), got shape \(2, 3\)$"):
        pad2d(T(np.ones((2, 3))), ((1, 1), (1, 1)))


def test_linear_dtype_mismatch():
    with pytest.raises(TypeError, match="linear: dtypes differ: x float32, w float64"):
        F.linear(T(np.ones((2, 3), np.float32)), T(np.ones((3, 4))))


def test_batch_norm_refuses_to_train_on_one_row_and_requires_gamma():
    rm, rv = np.zeros(3), np.ones(3)
    with pytest.raises(ValueError, match=r"batch_norm: expected more than 1 value per channel"):
        F.batch_norm(T(np.ones((1, 3))), T(np.ones(3)), T(np.zeros(3)), rm, rv, training=True)
    assert rv.tolist() == [1, 1, 1]  # refused before the moving statistics change
    y = F.batch_norm(T(np.ones((1, 3))), T(np.ones(3)), T(np.zeros(3)), rm, rv, training=False)
    assert y.shape == (1, 3)  # inference on one row is fine
    F.batch_norm(T(np.ones((1, 3, 2, 2))), T(np.ones(3)), T(np.zeros(3)), rm, rv, training=True)
    with pytest.raises(ValueError, match=r"batch_norm: gamma is required"):
        F.batch_norm(T(np.ones((2, 3))), None, T(np.zeros(3)), rm, rv)

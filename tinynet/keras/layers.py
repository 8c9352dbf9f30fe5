"""keras.layers: tinynet's layers; the image layers and Input default to keras.config's layout.

The image layers are functions returning tinynet layers (``layers.Conv2D(32, 3)`` is a
``tinynet.layers.Conv2D`` with data_format='channels_last'), so model files and
``isinstance(layer, tinynet.layers.Conv2D)`` see one class per layer.
"""

import functools

from .. import layers as _tn
from ..layers import (  # the layers without an image layout, as they are
    Activation,
    Conv1D,
    Dense,
    Dropout,
    Embedding,
    Layer,
    LeakyReLU,
    Reshape,
)
from . import config


def _with_keras_layout(cls):
    @functools.wraps(cls, assigned=("__module__", "__name__", "__qualname__"), updated=())
    def make(*args, data_format=None, **kwargs):
        return cls(*args, data_format=config.resolve(cls.__name__, data_format), **kwargs)

    make.__doc__ = (
        f"``tinynet.layers.{cls.__name__}`` with data_format defaulting to "
        f"keras.config.image_data_format() (channels-last unless set).\n\n{cls.__doc__ or ''}"
    )
    make.layer_class = cls
    return make


Conv2D = _with_keras_layout(_tn.Conv2D)
Conv2DTranspose = _with_keras_layout(_tn.Conv2DTranspose)
MaxPooling2D = _with_keras_layout(_tn.MaxPooling2D)
AveragePooling2D = _with_keras_layout(_tn.AveragePooling2D)
GlobalAveragePooling2D = _with_keras_layout(_tn.GlobalAveragePooling2D)
GlobalMaxPooling2D = _with_keras_layout(_tn.GlobalMaxPooling2D)
UpSampling2D = _with_keras_layout(_tn.UpSampling2D)
ZeroPadding2D = _with_keras_layout(_tn.ZeroPadding2D)
Flatten = _with_keras_layout(_tn.Flatten)
InputLayer = _with_keras_layout(_tn.InputLayer)
MaxPool2D, AvgPool2D, Convolution2D = MaxPooling2D, AveragePooling2D, Conv2D


def Input(shape=None, batch_size=None, name=None, dtype=None, data_format=None, **kwargs):
    """``keras.Input(shape=(28, 28, 1))`` (or ``batch_shape=(None, 28, 28, 1)``): the model's
    door (see tinynet.layers.Input)."""
    return _tn.Input(
        shape, batch_size, name, dtype, data_format=config.resolve("Input", data_format), **kwargs
    )


def BatchNormalization(axis=-1, **kwargs):
    """``tinynet.layers.BatchNormalization`` with Keras's axis=-1: the channel axis, which is
    axis 1 inside tinynet for channels-last images (they are channels-first after the door)."""
    if axis in (-1, 3) and config.image_data_format() == "channels_last":
        axis = 1
    return _tn.BatchNormalization(axis=axis, **kwargs)


BatchNormalization.layer_class = _tn.BatchNormalization

__all__ = [
    "Layer",
    "Input",
    "InputLayer",
    "Dense",
    "Activation",
    "Dropout",
    "Flatten",
    "Reshape",
    "LeakyReLU",
    "Conv1D",
    "Embedding",
    "Conv2D",
    "Convolution2D",
    "Conv2DTranspose",
    "MaxPooling2D",
    "MaxPool2D",
    "AveragePooling2D",
    "AvgPool2D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling2D",
    "UpSampling2D",
    "ZeroPadding2D",
    "BatchNormalization",
]

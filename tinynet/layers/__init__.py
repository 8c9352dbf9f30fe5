"""Keras-style layers on the tinynet engine; images are channels-first (N, C, H, W) inside
(``data_format="channels_last"`` takes (N, H, W, C) at a model's door, see layers/core.py).

from tinynet.layers import Dense, Conv2D, MaxPooling2D, Flatten, Activation
layer = Dense(10, activation="softmax", input_shape=(784,))
y = layer(x)                    # x (N, 784) Tensor or array -> Tensor (N, 10)
"""

from .base import Layer, functional_call, reset_names
from .conv import Conv2D, Conv2DTranspose, Convolution2D, UpSampling2D
from .core import (
    Activation,
    Dense,
    Dropout,
    Flatten,
    Input,
    InputLayer,
    LeakyReLU,
    Reshape,
    image_data_format,
    set_image_data_format,
)
from .norm import BatchNormalization
from .padding import ZeroPadding2D
from .pooling import AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D
from .sequence import Conv1D, Embedding

__all__ = [
    "Layer",
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
    "UpSampling2D",
    "ZeroPadding2D",
    "MaxPooling2D",
    "AveragePooling2D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling2D",
    "Input",
    "InputLayer",
    "image_data_format",
    "set_image_data_format",
    "BatchNormalization",
    "functional_call",
    "reset_names",
]

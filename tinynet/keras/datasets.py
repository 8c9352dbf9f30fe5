"""keras.datasets: mnist (images (n, 28, 28)) and cifar10, whose images come in keras.config's
layout: (n, 32, 32, 3) channels-last by default, as in Keras (tinynet's own loader gives
(n, 3, 32, 32))."""

import types

from ..datasets import cifar10 as _cifar10
from ..datasets import mnist
from . import config


def _cifar10_load_data(path=None, download=True):
    """``((x_train, y_train), (x_test, y_test))``: uint8 images in keras.config's layout
    ((n, 32, 32, 3) channels-last by default), labels (n, 1)."""
    (x, y), (xt, yt) = _cifar10.load_data(path, download)
    if config.image_data_format() == "channels_last":
        x, xt = x.transpose(0, 2, 3, 1), xt.transpose(0, 2, 3, 1)
    return (x, y), (xt, yt)


cifar10 = types.SimpleNamespace(load_data=_cifar10_load_data)

__all__ = ["mnist", "cifar10"]

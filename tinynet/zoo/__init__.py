"""Ready-made classifiers: ``from tinynet import zoo; model = zoo.lenet()``; the spoken-digit
classifier and its preprocessing in :mod:`.speech` (``zoo.digit_classifier()``); airbench's
CIFAR-10 recipe in :mod:`.airbench` (``zoo.airbench94()``)."""

from . import speech
from .airbench import airbench94
from .classifiers import cifar10_cnn, cifar10_deep, cifar10_fast, get, lenet
from .speech import digit_classifier

__all__ = [
    "lenet",
    "cifar10_cnn",
    "cifar10_deep",
    "cifar10_fast",
    "airbench94",
    "digit_classifier",
    "get",
    "speech",
]

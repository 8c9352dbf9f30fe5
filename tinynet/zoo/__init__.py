"""Ready-made classifiers: ``from tinynet import zoo; model = zoo.lenet()``."""

from .classifiers import cifar10_cnn, cifar10_deep, cifar10_fast, get, lenet

__all__ = ["lenet", "cifar10_cnn", "cifar10_deep", "cifar10_fast", "get"]

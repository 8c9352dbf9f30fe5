"""Datasets: MNIST, CIFAR-10 (found, downloaded, verified, parsed), tabular and categorical sets.

Files are searched in an explicit ``path``, then ``$TINYNET_DATA``, then ``~/.cache/tinynet/datasets``.
"""
from . import categorical, tabular  # noqa: F401

"""Datasets: MNIST, CIFAR-10, FSDD (found, downloaded, verified, parsed), CelebA faces (found,
never downloaded: its terms forbid redistribution), tabular and categorical sets.

Files are searched in an explicit ``path``, then ``$TINYNET_DATA``, then ``~/.cache/tinynet/datasets``
(see :mod:`._files`); a truncated or corrupt file raises :class:`DatasetFileError` naming it.
"""

from . import categorical, celeba, cifar10, fsdd, mnist, tabular  # noqa: F401
from ._files import DatasetFileError  # noqa: F401

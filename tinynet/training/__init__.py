"""Training: the data iterators, losses, metrics, optimizers and callbacks every model's fit uses."""

from . import callbacks, losses, metrics, optimizers

__all__ = ["callbacks", "losses", "metrics", "optimizers"]

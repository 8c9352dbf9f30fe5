"""The Keras 1 spellings the course's code uses, in one place: renamed keyword arguments of layers
and of ``fit``, each accepted with one DeprecationWarning."""

from .keras1 import legacy_fit_args, legacy_kwargs, warn_legacy

__all__ = ["legacy_kwargs", "warn_legacy", "legacy_fit_args"]

"""Keras 1 keyword arguments, renamed to their Keras 2 names with one DeprecationWarning each."""

import os
import sys
import warnings


def legacy_kwargs(kwargs, renames, notes):
    """Rename Keras 1 keyword arguments (``{"output_dim": "units"}``) in ``kwargs``, adding a
    note per rename to ``notes`` (for one DeprecationWarning per layer, see warn_legacy)."""
    for old, new in renames.items():
        if old in kwargs:
            value = kwargs.pop(old)
            if new in kwargs:
                raise TypeError(f"got both {old!r} (Keras 1) and {new!r} (Keras 2); give one")
            notes.append(f"{old}= -> {new}=")
            kwargs[new] = value
    return kwargs


def warn_legacy(kind, notes):
    """One DeprecationWarning listing a layer's Keras 1 spellings, attributed to the user's line."""
    if notes:
        warnings.warn(
            f"{kind}: Keras 1 spelling ({'; '.join(notes)}); it still works",
            DeprecationWarning,
            stacklevel=_outside_package_level(),
        )


def _outside_package_level():
    """The stacklevel of the first frame outside tinynet (for warnings.warn from here)."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # tinynet/
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(
        package + os.sep
    ):
        frame, level = frame.f_back, level + 1
    return level


def legacy_fit_args(legacy, epochs):
    """``epochs`` after Keras 1's fit arguments (nb_epoch, show_accuracy) are taken out of ``legacy``."""
    if "nb_epoch" in legacy:
        warnings.warn(
            "fit: nb_epoch is the Keras 1 spelling; use epochs",
            DeprecationWarning,
            stacklevel=_outside_package_level(),
        )
        epochs = legacy.pop("nb_epoch")
    legacy.pop("show_accuracy", None)
    return epochs

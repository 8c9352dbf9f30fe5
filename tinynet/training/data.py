"""Where Sequential.fit / evaluate / predict get their batches: arrays held on the host
(ArrayData) or an iterator of (x, y[, sample_weight]) tuples (IteratorData). Each yields
(x, t, w, n): device arrays in the model's dtype, prepared targets, sample weights or None, and
the batch size n."""
import math
import warnings

import numpy as np

from ..backend import rng, to_device


class ArrayData:
    """Batches of host arrays: (x, t, w, n) on the model's device; t already prepared."""

    def __init__(self, model, x, t, w, batch_size, shuffle):
        self.model, self.x, self.t, self.w = model, x, t, w
        self.batch_size, self.shuffle = batch_size, shuffle
        self.samples = len(x)
        self.steps = math.ceil(len(x) / batch_size)

    def batches(self):
        m, n, bs = self.model, self.samples, self.batch_size
        order = rng().permutation(n) if self.shuffle else None
        for start in range(0, n, bs):
            idx = slice(start, start + bs) if order is None else order[start:start + bs]
            xb, tb = self.x[idx], self.t[idx]
            wb = None if self.w is None else m._to_model(self.w[idx])
            yield m._to_model(xb), to_device(tb, m.device), wb, len(tb)


class IteratorData:
    """Batches from an iterator of (x, y) or (x, y, sample_weight) tuples."""

    def __init__(self, model, it, steps, samples_per_epoch, class_weight):
        if steps is None and samples_per_epoch is None:
            steps = len(it) if hasattr(it, "__len__") else None
            if steps is None:
                raise ValueError(f"{model.name}: steps_per_epoch (validation_steps) is required for an "
                                 f"iterator without len()")
        self.model, self.it, self.class_weight = model, it, class_weight
        self.steps, self.samples = steps, samples_per_epoch  # samples: Keras 1 counting

    def batches(self):
        done_steps = done_samples = 0
        while (done_steps < self.steps) if self.steps is not None else (done_samples < self.samples):
            try:
                item = next(self.it)
            except StopIteration:
                raise ValueError(f"{self.model.name}: the iterator ran out after {done_steps} batches; "
                                 f"it must yield at least steps_per_epoch batches per epoch "
                                 f"(an infinite iterator, or fewer steps)") from None
            if not isinstance(item, (tuple, list)) or len(item) not in (2, 3):
                raise ValueError(f"{self.model.name}: an iterator must yield (x, y) or (x, y, "
                                 f"sample_weight) tuples, got {type(item).__name__}")
            xb, yb = item[0], item[1]
            sw = item[2] if len(item) == 3 else None
            x, t, w = self.model._batch(xb, yb, sw, self.class_weight)
            done_steps += 1
            done_samples += len(t)
            yield x, t, w, len(t)


def is_iterator(x):
    return x is not None and hasattr(x, "__next__")


def as_array(x, what):
    if x is None:
        raise ValueError(f"{what} is required")
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return x
    return np.asarray(x)


def legacy_fit_args(legacy, epochs):
    """``epochs`` after Keras 1's fit arguments (nb_epoch, show_accuracy) are taken out of ``legacy``."""
    if "nb_epoch" in legacy:
        warnings.warn("fit: nb_epoch is the Keras 1 spelling; use epochs", DeprecationWarning, stacklevel=3)
        epochs = legacy.pop("nb_epoch")
    legacy.pop("show_accuracy", None)
    return epochs

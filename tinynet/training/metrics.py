"""Metrics for compile(metrics=[...]): each returns the batch *sum* as a 0-d array on the batch's
device (the epoch value is the total divided by the sample count), so no value leaves the device
until the model reads all of a batch's numbers at once.

'accuracy' (shown as 'acc', like the lecture's Keras) picks the variant the loss implies:
binary for binary_crossentropy or a single output, otherwise categorical (sparse labels are
one-hot by the time metrics see them).
"""

from ..backend import get_array_module
from ..functional.activation import stable_sigmoid


class Metric:
    """``metric(out, t, activation)``: out the model's raw output array, which holds logits when
    ``activation`` ('softmax' / 'sigmoid') is still to be applied, t the prepared targets."""

    name = "metric"

    def __init__(self, name=None):
        if name:
            self.name = name

    def __call__(self, out, t, activation=None):
        raise NotImplementedError

    def get_config(self):
        return self.name


def probabilities(out, activation):
    """Apply a fused-away output activation to the raw output array."""
    if activation is None:
        return out
    if activation == "sigmoid":
        return stable_sigmoid(out)
    xp = get_array_module(out)
    e = xp.exp(out - out.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class CategoricalAccuracy(Metric):
    name = "categorical_accuracy"

    def __call__(self, out, t, activation=None):  # argmax is the same on logits
        return (out.argmax(axis=-1) == t.argmax(axis=-1)).sum()


class BinaryAccuracy(Metric):
    """Share of output elements on the right side of 0.5 (of 0 for logits); summed per sample as
    the mean over its outputs."""

    name = "binary_accuracy"

    def __call__(self, out, t, activation=None):
        pred = out > (0 if activation == "sigmoid" else out.dtype.type(0.5))
        hits = pred == (t > 0.5)
        return hits.reshape(len(hits), -1).mean(axis=1).sum()


class MeanSquaredError(Metric):
    name = "mean_squared_error"

    def __call__(self, out, t, activation=None):
        d = probabilities(out, activation) - t
        return (d * d).reshape(len(d), -1).mean(axis=1).sum()


class MeanAbsoluteError(Metric):
    name = "mean_absolute_error"

    def __call__(self, out, t, activation=None):
        d = get_array_module(out).abs(probabilities(out, activation) - t)
        return d.reshape(len(d), -1).mean(axis=1).sum()


class FunctionMetric(Metric):
    """``fn(y_true, y_pred)`` on raw arrays returning the batch mean (Keras's order). Not saved."""

    def __init__(self, fn):
        self.fn, self.name = fn, getattr(fn, "__name__", "metric")

    def __call__(self, out, t, activation=None):
        return self.fn(t, probabilities(out, activation)) * len(t)

    def get_config(self):
        raise ValueError(f"the custom metric {self.name!r} cannot be saved")


_NAMED = {
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": CategoricalAccuracy,
    "binary_accuracy": BinaryAccuracy,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
}


def get(identifier, loss_name, output_shape):
    """A Metric from a name, a Metric, or a function; 'accuracy'/'acc' resolved from the loss."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in ("accuracy", "acc"):
            binary = loss_name == "binary_crossentropy" or tuple(output_shape)[-1:] == (1,)
            return (BinaryAccuracy if binary else CategoricalAccuracy)("acc")
        if key not in _NAMED:
            raise ValueError(
                f"unknown metric {identifier!r}; known: accuracy, " + ", ".join(sorted(_NAMED))
            )
        return _NAMED[key](identifier)
    if callable(identifier):
        return FunctionMetric(identifier)
    raise TypeError(f"metric must be a name or a function, got {type(identifier).__name__}")

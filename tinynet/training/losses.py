"""Model-level losses for compile(): target checking, the stable fused forms, per-sample weights.
They are built on the op-level loss Functions of :mod:`tinynet.functional.loss`.

A Loss turns the user's targets into the array the model trains on (``prepare``, on the host,
once per fit or batch), and computes the batch loss from the model's output Tensor. Losses that
follow a softmax or sigmoid (``fuses``) also take the logits (``from_logits``): the model then
trains on the logits with the fused, numerically stable op, as Keras does internally, while
predict() still returns probabilities.

Weights (class_weight / sample_weight, multiplied) scale each sample's loss. They are rescaled
once over the M samples handed over together (all of fit's x, before validation_split; one
batch of train_on_batch, test_on_batch or an iterator): w'_i = w_i * M / (number of non-zero w
among the M). A batch of B samples then has the loss mean(w'_i * loss_i) = sum(w'_i loss_i) / B,
so with 0/1 weights the epoch's mean loss over equal batches is the mean over the kept samples.
Keras 2 instead divides each batch by its own count of non-zero weights; here a sample's weight
does not depend on which batch it lands in.
"""

import re

import numpy as np

from .. import functional as F
from ..functional.loss import EPSILON
from .optimizers import check_number


class Loss:
    name = "loss"
    fuses = None  # the activation whose logits from_logits takes

    def prepare(self, y, output_shape, dtype):
        """Validated targets (NumPy), shaped (N, *output_shape), of the model's dtype."""
        y = np.asarray(y)
        if y.dtype.kind not in "biufc":
            raise TypeError(f"{self.name}: targets must be numbers, got dtype {y.dtype}")
        if y.dtype.kind in "fc" and not np.isfinite(y).all():
            row = int(np.argmax(~np.isfinite(y.reshape(len(y), -1)).all(axis=1))) if y.ndim else 0
            raise ValueError(f"{self.name}: targets hold NaN or inf (first in row {row})")
        y = _match_shape(self.name, y, output_shape)
        return y.astype(dtype, copy=False)

    def __call__(self, pred, t, w=None):
        raise NotImplementedError

    def from_logits(self, z, t, w=None):
        raise NotImplementedError(f"{self.name} has no logits form")

    def get_config(self):
        return self.name


def _match_shape(name, y, output_shape):
    want = tuple(output_shape)
    if y.ndim == 0:
        raise ValueError(f"{name}: targets must be an array with one row per sample, got a scalar")
    if y.shape[1:] == want:
        return y
    if want == (1,) and y.ndim == 1:
        return y.reshape(-1, 1)
    raise ValueError(
        f"{name}: targets of shape {y.shape} do not match the model's output shape "
        f"(None, {', '.join(map(str, want))})"
    )


def _clip(p):
    """p clipped to [EPSILON, 1 - EPSILON]; the gradient passes only inside (like Keras)."""
    return F.clip(p, EPSILON, 1 - EPSILON)


def _abs(x):
    return F.relu(x) + F.relu(-x)


def _softplus(z):
    """log(1 + exp(z)) without overflow: relu(z) + log(1 + exp(-|z|))."""
    return F.relu(z) + (F.exp(-_abs(z)) + 1.0).log()


def _per_sample_mean(x):
    return x.reshape(x.shape[0], -1).mean(axis=1)


def _weighted(per_sample, w):
    return (per_sample * w).mean()


class CategoricalCrossentropy(Loss):
    """Targets one-hot (or probability) rows (N, K): each row a distribution (values in [0, 1]
    summing to 1 within 1e-3; checked, since anything else gives a meaningless, even negative,
    loss); output probabilities (N, K).

    label_smoothing s in [0, 1): the loss is taken against t * (1 - s) + s / K (Keras's and
    PyTorch's rule); metrics still see the targets as given. Its config is the name with the
    argument, ``"categorical_crossentropy(label_smoothing=0.2)"``, which :func:`get` reads back."""

    name = "categorical_crossentropy"
    fuses = "softmax"

    def __init__(self, label_smoothing=0.0):
        self.label_smoothing = check_number(
            type(self).__name__, "label_smoothing", label_smoothing, 0, 1, high_open=True
        )

    def smoothed(self, t, k):
        """t (N, K) moved a fraction ``label_smoothing`` toward the uniform distribution."""
        s = self.label_smoothing
        if not s:
            return t
        return t * t.dtype.type(1 - s) + t.dtype.type(s / k)

    def get_config(self):
        if not self.label_smoothing:
            return self.name
        return f"{self.name}(label_smoothing={self.label_smoothing!r})"

    def prepare(self, y, output_shape, dtype):
        y = np.asarray(y)
        k = output_shape[-1]
        if y.dtype.kind in "iub" and (y.ndim == 1 or y.shape[1:] == (1,)) and k > 1:
            raise ValueError(
                f"categorical_crossentropy: targets are integer class labels of shape {y.shape}, but "
                f"this loss needs one-hot rows of shape ({len(y)}, {k}); one-hot encode them "
                f"(np.eye({k}, dtype='float32')[y.ravel()]) or compile with "
                f"loss='sparse_categorical_crossentropy'"
            )
        t = super().prepare(y, output_shape, dtype)
        _check_distributions(self.name, t)
        return t

    def __call__(self, p, t, w=None):
        t = self.smoothed(t, p.shape[-1])
        if w is None:
            return F.categorical_cross_entropy(p, t)
        return _weighted(-(_clip(p).log() * t).reshape(p.shape[0], -1).sum(axis=1), w)

    def from_logits(self, z, t, w=None):
        t = self.smoothed(t, z.shape[-1])
        if w is None:
            return F.softmax_cross_entropy(z, t)
        return _weighted(-(F.log_softmax(z, axis=-1) * t).sum(axis=1), w)


def _check_distributions(name, t):
    """Each row of t (N, K) in [0, 1] summing to 1 (within 1e-3), else ValueError naming a row."""
    if not t.size:
        return
    rows = t.reshape(len(t), -1).astype(np.float64)
    sums = rows.sum(axis=1)
    bad = (rows.min(axis=1) < 0) | (rows.max(axis=1) > 1) | (np.abs(sums - 1) > 1e-3)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"{name}: each target row must be a distribution (values in [0, 1] summing to 1); "
            f"row {i} is {np.array2string(rows[i], precision=4, threshold=8)} (sum "
            f"{sums[i]:.4g}); {int(bad.sum())} of {len(rows)} rows are not"
        )


class SparseCategoricalCrossentropy(CategoricalCrossentropy):
    """Targets integer labels (N,) or (N, 1) in [0, K); turned into one-hot rows by prepare."""

    name = "sparse_categorical_crossentropy"

    def prepare(self, y, output_shape, dtype):
        y = np.asarray(y)
        k = output_shape[-1]
        if len(output_shape) != 1:
            raise ValueError(
                f"{self.name}: needs an output of shape (None, K), the model gives "
                f"(None, {', '.join(map(str, output_shape))})"
            )
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise ValueError(
                f"{self.name}: targets must be integer labels of shape (N,) or (N, 1), "
                f"got shape {y.shape} (for one-hot rows use categorical_crossentropy)"
            )
        labels = y.astype(np.int64)
        if y.dtype.kind not in "iub" and not np.array_equal(labels, y):
            raise ValueError(
                f"{self.name}: targets must be integer labels, got non-integer values "
                f"of dtype {y.dtype}"
            )
        if labels.size and (labels.min() < 0 or labels.max() >= k):
            raise ValueError(
                f"{self.name}: labels must be in [0, {k}) for {k} outputs, got range "
                f"[{labels.min()}, {labels.max()}]"
            )
        onehot = np.zeros((len(labels), k), dtype=dtype)
        onehot[np.arange(len(labels)), labels] = 1
        return onehot


class BinaryCrossentropy(Loss):
    """Targets in [0, 1] of the output's shape ((N,) accepted for one output); output
    probabilities. The mean runs over every output element."""

    name = "binary_crossentropy"
    fuses = "sigmoid"

    def prepare(self, y, output_shape, dtype):
        y = np.asarray(y)
        if y.size and (y.min() < 0 or y.max() > 1):
            raise ValueError(
                f"{self.name}: targets must lie in [0, 1], got range [{y.min()}, {y.max()}]"
            )
        return super().prepare(y, output_shape, dtype)

    def __call__(self, p, t, w=None):
        if w is None:
            return F.binary_cross_entropy(p, t)
        pc = _clip(p)
        return _weighted(-_per_sample_mean(pc.log() * t + (1.0 - pc).log() * (1 - t)), w)

    def from_logits(self, z, t, w=None):
        if w is None:
            return F.binary_cross_entropy_with_logits(z, t)
        return _weighted(_per_sample_mean(_softplus(z) - z * t), w)


class MeanSquaredError(Loss):
    name = "mean_squared_error"

    def __call__(self, y, t, w=None):
        if w is None:
            return F.mean_squared_error(y, t)
        d = y - t
        return _weighted(_per_sample_mean(d * d), w)


class MeanAbsoluteError(Loss):
    name = "mean_absolute_error"

    def __call__(self, y, t, w=None):
        per_sample = _per_sample_mean(_abs(y - t))
        return per_sample.mean() if w is None else _weighted(per_sample, w)


class CustomLoss(Loss):
    """A function ``fn(y_true, y_pred) -> scalar Tensor`` (Keras's argument order); y_true is a
    raw array of the output's shape, y_pred the output Tensor. Not saved with the model."""

    def __init__(self, fn):
        self.fn, self.name = fn, getattr(fn, "__name__", "custom_loss")

    def __call__(self, pred, t, w=None):
        if w is not None:
            raise ValueError(
                f"{self.name}: a custom loss does not take class_weight / sample_weight"
            )
        value = self.fn(t, pred)
        return value if value.ndim == 0 else value.mean()  # per-sample values: the batch mean

    def get_config(self):
        raise ValueError(
            f"the custom loss {self.name!r} cannot be saved; load the model with "
            f"compile=False and compile it again"
        )


LOSSES = {
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
}


def get(identifier):
    """A Loss from a Keras name ('categorical_crossentropy', 'mse', ...), a Loss, or a function
    fn(y_true, y_pred)."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        name, kwargs = _parse_spec(identifier)
        cls = LOSSES.get(name.lower())
        if cls is None:
            raise ValueError(f"unknown loss {identifier!r}; known: {', '.join(sorted(LOSSES))}")
        try:
            return cls(**kwargs)
        except TypeError:
            raise ValueError(
                f"loss {identifier!r}: {cls.name} takes no argument(s) {', '.join(kwargs)}"
            ) from None
    if callable(identifier):
        return CustomLoss(identifier)
    raise TypeError(f"loss must be a name, a Loss or a function, got {type(identifier).__name__}")


_SPEC = re.compile(r"^\s*(\w+)\s*(?:\((.*)\))?\s*$")


def _parse_spec(spec):
    """'name' -> ('name', {}); 'name(a=0.2, b=1)' -> ('name', {'a': 0.2, 'b': 1.0}) (numbers only,
    the form a Loss's ``get_config`` writes)."""
    m = _SPEC.match(spec)
    if m is None:
        raise ValueError(f"unknown loss {spec!r}: expected a name or name(arg=number, ...)")
    kwargs = {}
    for part in filter(None, (p.strip() for p in (m.group(2) or "").split(","))):
        key, eq, value = part.partition("=")
        try:
            kwargs[key.strip()] = float(value)
        except ValueError:
            raise ValueError(
                f"loss {spec!r}: argument {part!r} is not of the form name=number"
            ) from None
        if not eq or not key.strip().isidentifier():
            raise ValueError(f"loss {spec!r}: argument {part!r} is not of the form name=number")
    return m.group(1), kwargs


def sample_weights(y, prepared, class_weight=None, sample_weight=None):
    """Per-sample weights (N,) (NumPy float32) w_i * N / (number of non-zero w_i), w the product
    of sample_weight and class_weight (see the module docstring), or None when neither is given.
    ``y`` the user's targets, ``prepared`` their prepared form (one-hot rows or binary columns)."""
    if class_weight is None and sample_weight is None:
        return None
    n = len(prepared)
    w = np.ones(n, dtype=np.float64)
    if sample_weight is not None:
        sw = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
        if sw.shape != (n,):
            raise ValueError(f"sample_weight has {sw.size} values for {n} samples")
        w *= sw
    if class_weight is not None:
        classes = class_indices(prepared)
        if not isinstance(class_weight, dict):
            raise TypeError(
                f"class_weight must be a dict {{class index: weight}}, got {class_weight!r}"
            )
        table = dict(class_weight)
        k = prepared.shape[1] if prepared.ndim == 2 and prepared.shape[1] > 1 else 2
        unknown = [
            c
            for c in table
            if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or not 0 <= c < k
        ]
        if unknown:
            raise ValueError(f"class_weight: keys must be class indices 0..{k - 1}, got {unknown}")
        w *= np.array([table.get(int(c), 1.0) for c in classes])
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("class_weight / sample_weight must be finite and non-negative")
    nonzero = np.count_nonzero(w)
    return (w * (n / max(nonzero, 1))).astype(np.float32)


def class_indices(prepared):
    """The class of each prepared target row: argmax of one-hot rows, rounding of binary ones."""
    if prepared.ndim == 2 and prepared.shape[1] > 1:
        return prepared.argmax(axis=1)
    return np.rint(prepared.reshape(len(prepared), -1)[:, 0]).astype(np.int64)

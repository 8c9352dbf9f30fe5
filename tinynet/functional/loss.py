"""Loss ops, one Function each. Each returns the mean over the batch; targets may be raw arrays
or Tensors and are treated as constants. Probability-form losses clip to [EPSILON, 1 - EPSILON]
like Keras; the logits forms are stable for any input.

These are the op-level losses; :mod:`tinynet.training.losses` builds the model-level losses of
``compile(loss=...)`` on them (target checking, fused logits forms, per-sample weights).

Each ``backward_graph`` (for ``create_graph``) is the same gradient written with tinynet ops,
differentiable again in the prediction (targets, clip masks and weights are constants).
"""

from ..autograd import Function, Tensor
from ..backend import get_array_module
from ._args import normalize_axis
from .activation import _log_softmax, sigmoid, softmax, stable_sigmoid
from .arithmetic import clip

EPSILON = 1e-7  # the probability clip of the cross-entropies, Keras's backend.epsilon()


def _constant(t, like):
    """The raw array of a target (Tensor, array or list), on the prediction's array module."""
    data = t.data if isinstance(t, Tensor) else t
    if not hasattr(data, "shape"):
        data = get_array_module(like.data if isinstance(like, Tensor) else like).asarray(data)
    return data


def _same_shape(op, y, t):
    if y.shape != t.shape:
        raise ValueError(f"{op}: target shape {t.shape} does not match prediction shape {y.shape}")


class MeanSquaredError(Function):
    def check_inputs(self, y, t):
        _same_shape("mean_squared_error", y, t)

    def forward(self, y, t):
        self.t = t.astype(y.dtype, copy=False)
        self.diff = y - self.t
        return (self.diff * self.diff).mean()

    def backward(self, gy):
        return gy * (2 / self.diff.size) * self.diff, None

    def backward_graph(self, gy):
        return gy * (2 / self.diff.size) * (self.inputs[0] - self.t), None


class BinaryCrossEntropy(Function):
    """-mean(t log p + (1 - t) log(1 - p)) with p clipped to [eps, 1 - eps] (zero gradient
    outside)."""

    def check_inputs(self, p, t):
        _same_shape("binary_cross_entropy", p, t)

    def forward(self, p, t):
        xp = get_array_module(p)
        self.t = t.astype(p.dtype, copy=False)
        self.inside = (p > EPSILON) & (p < 1 - EPSILON)
        self.p = xp.clip(p, p.dtype.type(EPSILON), p.dtype.type(1 - EPSILON))
        loss = self.t * xp.log(self.p) + (1 - self.t) * xp.log(1 - self.p)
        return -loss.mean()

    def backward(self, gy):
        g = (self.p - self.t) / (self.p * (1 - self.p)) * self.inside
        return gy * g * (1 / self.p.size), None

    def backward_graph(self, gy):
        p = clip(self.inputs[0], EPSILON, 1 - EPSILON)
        g = (p - self.t) / (p * (1 - p)) * self.inside
        return gy * g * (1 / self.p.size), None


class BinaryCrossEntropyWithLogits(Function):
    """mean(max(z, 0) - z t + log(1 + exp(-|z|))): the sigmoid cross-entropy without overflow."""

    def check_inputs(self, z, t):
        _same_shape("binary_cross_entropy_with_logits", z, t)

    def forward(self, z, t):
        xp = get_array_module(z)
        self.z, self.t = z, t.astype(z.dtype, copy=False)
        return (xp.maximum(z, 0) - z * self.t + xp.log1p(xp.exp(-xp.abs(z)))).mean()

    def backward(self, gy):
        return gy * (stable_sigmoid(self.z) - self.t) * (1 / self.z.size), None

    def backward_graph(self, gy):
        return gy * (sigmoid(self.inputs[0]) - self.t) * (1 / self.z.size), None


class CategoricalCrossEntropy(Function):
    """-mean over the batch of sum_k t_k log p_k, p (N, K) probabilities clipped like Keras."""

    def check_inputs(self, p, t):
        _same_shape("categorical_cross_entropy", p, t)

    def forward(self, p, t):
        xp = get_array_module(p)
        self.t = t.astype(p.dtype, copy=False)
        self.inside = (p > EPSILON) & (p < 1 - EPSILON)
        self.p = xp.clip(p, p.dtype.type(EPSILON), p.dtype.type(1 - EPSILON))
        self.n = p.shape[0] if p.ndim > 1 else 1
        return -(self.t * xp.log(self.p)).sum() / p.dtype.type(self.n)

    def backward(self, gy):
        return gy * (-self.t / self.p) * self.inside * (1 / self.n), None

    def backward_graph(self, gy):
        p = clip(self.inputs[0], EPSILON, 1 - EPSILON)
        return gy * (-self.t / p) * self.inside * (1 / self.n), None


class SoftmaxCrossEntropy(Function):
    """Fused log-softmax + negative log-likelihood: logits (N, K), t (N,) integer labels or
    (N, K) one-hot / probability rows. Gradient: (softmax(z) - onehot(t)) / N."""

    def check_inputs(self, z, t):
        if z.ndim != 2:
            raise ValueError(f"softmax_cross_entropy: logits must be (N, K), got shape {z.shape}")
        N, K = z.shape
        if t.ndim == 1 and t.dtype.kind in "iu":
            if t.shape[0] != N:
                raise ValueError(
                    f"softmax_cross_entropy: {t.shape[0]} labels for logits of shape {z.shape}"
                )
            if N and bool(((t < 0) | (t >= K)).any()):  # one device sync on the GPU
                raise ValueError(
                    f"softmax_cross_entropy: labels must be in [0, {K}), got "
                    f"range [{int(t.min())}, {int(t.max())}]"
                )
        elif t.shape != z.shape:
            raise ValueError(
                f"softmax_cross_entropy: target shape {t.shape} does not "
                f"match logits shape {z.shape} (give integer labels (N,) or "
                f"one-hot rows (N, K))"
            )

    def forward(self, z, t):
        xp = get_array_module(z)
        N = z.shape[0]
        logp = _log_softmax(z, axis=1)
        self.p = xp.exp(logp)
        if t.ndim == 1 and t.dtype.kind in "iu":
            self.t = xp.zeros_like(z)
            self.t[xp.arange(N), t] = 1
        else:
            self.t = t.astype(z.dtype, copy=False)
        return -(self.t * logp).sum() / z.dtype.type(N)

    def backward(self, gy):
        N = self.p.shape[0]
        return gy * (self.p - self.t) * (1 / N), None

    def backward_graph(self, gy):
        return gy * (softmax(self.inputs[0], axis=1) - self.t) * (1 / self.p.shape[0]), None


class SparseSoftmaxCrossEntropy(Function):
    """Log-softmax over ``axis`` of logits z with integer targets t (z's shape without that
    axis) and optional per-position weights w (t's shape, e.g. 0 on padding): the weighted mean
    sum(w * nll) / sum(w) (the plain mean without w). Gradient: (softmax(z) - onehot(t)) * w /
    sum(w), the one-hot formed by one comparison, never materialised as an index array."""

    def __init__(self, axis=-1):
        self.axis = axis

    def check_inputs(self, z, t, w=None):
        op = "sparse_softmax_cross_entropy"
        if z.ndim < 1:
            raise ValueError(f"{op}: logits must have a class axis, got shape {z.shape}")
        (self.axis,) = normalize_axis(self.axis, z.shape, op)
        K = z.shape[self.axis]
        expected = z.shape[: self.axis] + z.shape[self.axis + 1 :]
        if t.dtype.kind not in "iu":
            raise TypeError(f"{op}: targets must be integers, got dtype {t.dtype}")
        if t.shape != expected:
            raise ValueError(
                f"{op}: targets of shape {t.shape} for logits {z.shape} with classes on axis "
                f"{self.axis}: expected {expected}"
            )
        if t.size and bool(((t < 0) | (t >= K)).any()):
            raise ValueError(
                f"{op}: targets must be in [0, {K}), got range [{int(t.min())}, {int(t.max())}]"
            )
        if w is not None:
            if w.shape != t.shape:
                raise ValueError(f"{op}: weights of shape {w.shape} for targets {t.shape}")
            if w.size and not bool((w >= 0).all()):
                raise ValueError(f"{op}: weights must be >= 0 (and finite)")

    def forward(self, z, t, w=None):
        xp, axis = get_array_module(z), self.axis
        logp = _log_softmax(z, axis=axis)
        t = xp.expand_dims(t, axis)
        shape = [1] * z.ndim
        shape[axis] = z.shape[axis]
        self.onehot = xp.arange(z.shape[axis]).reshape(shape) == t
        nll = -xp.take_along_axis(logp, t, axis=axis)
        if w is None:
            self.scale = z.dtype.type(1 / max(nll.size, 1))
            self.w = None
            loss = nll.sum() * self.scale
        else:
            self.w = xp.expand_dims(w.astype(z.dtype, copy=False), axis)
            total = self.w.sum()
            self.scale = 1 / xp.maximum(total, z.dtype.type(1e-12))
            loss = (nll * self.w).sum() * self.scale
        self.logp = logp
        return loss.astype(z.dtype)

    def backward(self, gy):
        xp = get_array_module(self.logp)
        g = xp.exp(self.logp)
        g -= self.onehot
        g *= gy * self.scale
        if self.w is not None:
            g *= self.w
        return g, None, None

    def backward_graph(self, gy):
        g = (softmax(self.inputs[0], axis=self.axis) - self.onehot) * (gy * self.scale)
        return (g if self.w is None else g * self.w), None, None


def sparse_softmax_cross_entropy(logits, t, weights=None, axis=-1):
    """The weighted mean negative log-likelihood of integer targets ``t`` under softmax(logits)
    over ``axis`` (nats; divide by ln 2 for bits)."""
    w = None if weights is None else _constant(weights, logits)
    return SparseSoftmaxCrossEntropy(axis)(logits, _constant(t, logits), w)


def mean_squared_error(y, t):
    return MeanSquaredError()(y, _constant(t, y))


def binary_cross_entropy(p, t):
    return BinaryCrossEntropy()(p, _constant(t, p))


def binary_cross_entropy_with_logits(z, t):
    return BinaryCrossEntropyWithLogits()(z, _constant(t, z))


def categorical_cross_entropy(p, t):
    return CategoricalCrossEntropy()(p, _constant(t, p))


def softmax_cross_entropy(logits, t):
    return SoftmaxCrossEntropy()(logits, _constant(t, logits))

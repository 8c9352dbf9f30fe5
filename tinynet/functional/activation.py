"""Activations: relu, leaky_relu, tanh, sigmoid, softmax, log_softmax (all shape-preserving)."""

from ..autograd import Function
from ..backend import get_array_module
from ._args import normalize_axis
from .layout import empty_in_order, memory_order


class ReLU(Function):
    def forward(self, x):
        self.mask = x > 0
        return get_array_module(x).maximum(x, x.dtype.type(0))

    def backward(self, gy):
        return gy * self.mask


class LeakyReLU(Function):
    def __init__(self, alpha=0.2):
        self.alpha = alpha

    def forward(self, x):
        # slope = 1 where x > 0, else alpha; built with ufuncs, which keep x's memory layout
        self.slope = (x > 0).astype(x.dtype)
        self.slope *= x.dtype.type(1 - self.alpha)
        self.slope += x.dtype.type(self.alpha)
        return x * self.slope

    def backward(self, gy):
        return gy * self.slope


class Tanh(Function):
    def forward(self, x):
        self.y = get_array_module(x).tanh(x)
        return self.y

    def backward(self, gy):
        return gy * (1 - self.y * self.y)


def stable_sigmoid(x):
    """1 / (1 + exp(-x)) of a raw array, computed as 0.5 * tanh(0.5 x) + 0.5: no overflow for
    any x, and x's dtype kept."""
    half = x.dtype.type(0.5)
    return get_array_module(x).tanh(x * half) * half + half


class Sigmoid(Function):
    """1 / (1 + exp(-x)) by :func:`stable_sigmoid`."""

    def forward(self, x):
        self.y = stable_sigmoid(x)
        return self.y

    def backward(self, gy):
        return gy * self.y * (1 - self.y)


class GatedActivation(Function):
    """WaveNet's gated unit: x (..., 2C, ...) split in halves (a, b) along ``axis`` ->
    tanh(a) * sigmoid(b) (..., C, ...), fused: one pass forward, one backward, and the halves
    read as views (contiguous blocks when the split axis is the outermost in memory)."""

    def __init__(self, axis=1):
        self.axis = axis

    def check_inputs(self, x):
        (self.axis,) = normalize_axis(self.axis, x.shape, "gated_activation")
        if x.shape[self.axis] % 2:
            raise ValueError(
                f"gated_activation: axis {self.axis} of x {x.shape} must have an even size "
                f"(the tanh half, then the sigmoid half), got {x.shape[self.axis]}"
            )

    def _halves(self, x):
        c = x.shape[self.axis] // 2
        lead = (slice(None),) * self.axis
        return lead + (slice(None, c),), lead + (slice(c, None),)

    def forward(self, x):
        xp = get_array_module(x)
        first, second = self._halves(x)
        self.t, self.s = xp.tanh(x[first]), stable_sigmoid(x[second])
        return self.t * self.s

    def backward(self, gy):
        xp = get_array_module(gy)
        t, s = self.t, self.s
        shape = list(t.shape)
        shape[self.axis] *= 2
        gx = empty_in_order(xp, shape, gy.dtype, memory_order(t))  # x's layout, as a rule
        first, second = self._halves(gx)
        gx[first] = gy * s * (1 - t * t)
        gx[second] = gy * t * s * (1 - s)
        return gx


def _log_softmax(x, axis):
    xp = get_array_module(x)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


class Softmax(Function):
    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        normalize_axis(self.axis, x.shape, "softmax")
        xp = get_array_module(x)
        e = xp.exp(x - x.max(axis=self.axis, keepdims=True))
        self.y = e / e.sum(axis=self.axis, keepdims=True)
        return self.y

    def backward(self, gy):
        gyy = gy * self.y
        return gyy - self.y * gyy.sum(axis=self.axis, keepdims=True)


class LogSoftmax(Function):
    """log(softmax(x)) by log-sum-exp."""

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        normalize_axis(self.axis, x.shape, "log_softmax")
        self.y = _log_softmax(x, self.axis)
        return self.y

    def backward(self, gy):
        xp = get_array_module(gy)
        return gy - xp.exp(self.y) * gy.sum(axis=self.axis, keepdims=True)


def relu(x):
    return ReLU()(x)


def leaky_relu(x, alpha=0.2):
    return LeakyReLU(alpha)(x)


def tanh(x):
    return Tanh()(x)


def sigmoid(x):
    return Sigmoid()(x)


def softmax(x, axis=-1):
    return Softmax(axis)(x)


def log_softmax(x, axis=-1):
    return LogSoftmax(axis)(x)


def gated_activation(x, axis=1):
    """tanh(a) * sigmoid(b) where (a, b) are the halves of x along ``axis``."""
    return GatedActivation(axis)(x)

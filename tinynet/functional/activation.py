"""Activations: relu, leaky_relu, tanh, sigmoid, gelu, softmax, log_softmax (all
shape-preserving), and WaveNet's gated unit. Each ``backward_graph`` (for ``create_graph``)
recomputes what it needs from the inputs with these ops, so it is differentiable again."""

import math

from .. import threads
from ..autograd import Function
from ..backend import get_array_module
from ._args import normalize_axis
from .layout import empty_in_order, memory_order
from .special import erf

GELU_TANH_COEF = 0.044715  # of x^3 in the tanh approximation (Hendrycks & Gimpel; PyTorch's)


class ReLU(Function):
    """max(x, 0). Backward reads the output (y > 0 where x > 0), which the next op usually keeps
    anyway, so neither the input nor a mask stays alive."""

    keeps_inputs = False

    def forward(self, x):
        xp, zero = get_array_module(x), x.dtype.type(0)
        self.y = threads.apply(lambda a, out: xp.maximum(a, zero, out=out), (x,), xp.empty_like(x))
        return self.y

    def backward(self, gy):
        xp = get_array_module(gy)
        return threads.apply(
            lambda g, y, out: xp.multiply(g, y > 0, out=out), (gy, self.y), xp.empty_like(gy)
        )

    def backward_graph(self, gy):
        return gy * (self.y > 0)


class LeakyReLU(Function):
    keeps_inputs = False

    def __init__(self, alpha=0.2):
        self.alpha = alpha

    def forward(self, x):
        xp, dt = get_array_module(x), x.dtype.type
        self.slope, y = xp.empty_like(x), xp.empty_like(x)

        def part(a, slope, out):  # slope = 1 where x > 0, else alpha
            xp.greater(a, 0, out=slope)
            slope *= dt(1 - self.alpha)
            slope += dt(self.alpha)
            xp.multiply(a, slope, out=out)

        threads.apply(part, (x, self.slope), y)
        return y

    def backward(self, gy):
        xp = get_array_module(gy)
        return threads.apply(
            lambda g, s, out: xp.multiply(g, s, out=out), (gy, self.slope), xp.empty_like(gy)
        )

    def backward_graph(self, gy):
        return gy * self.slope


class Tanh(Function):
    def forward(self, x):
        self.y = get_array_module(x).tanh(x)
        return self.y

    def backward(self, gy):
        return gy * (1 - self.y * self.y)

    def backward_graph(self, gy):
        y = tanh(self.inputs[0])
        return gy * (1 - y * y)


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

    def backward_graph(self, gy):
        s = sigmoid(self.inputs[0])
        return gy * s * (1 - s)


def _normal_pdf(x):
    """exp(-x^2 / 2) / sqrt(2 pi) of a Tensor, by tinynet ops."""
    from .arithmetic import exp

    return exp(x * x * x.dtype.type(-0.5)) * x.dtype.type(1 / math.sqrt(2 * math.pi))


class NormalCdf(Function):
    """Phi(x) = (1 + erf(x / sqrt(2))) / 2, the standard normal CDF (GELU's gate)."""

    def forward(self, x):
        self.x = x
        return (erf(x * x.dtype.type(1 / math.sqrt(2))) + x.dtype.type(1)) * x.dtype.type(0.5)

    def backward(self, gy):
        x = self.x
        pdf = get_array_module(x).exp(x * x * x.dtype.type(-0.5))
        return gy * pdf * x.dtype.type(1 / math.sqrt(2 * math.pi))

    def backward_graph(self, gy):
        return gy * _normal_pdf(self.inputs[0])


class GELU(Function):
    """x * Phi(x), Phi the standard normal CDF, 0.5 * (1 + erf(x / sqrt(2))) (``approximate=
    "none"``), or PyTorch's "tanh" approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""

    def __init__(self, approximate="none"):
        if approximate not in ("none", "tanh"):
            raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def check_inputs(self, x):
        if x.dtype.kind != "f":
            raise TypeError(f"gelu: x must be floating point, got dtype {x.dtype}")

    def forward(self, x):
        xp, one, half = get_array_module(x), x.dtype.type(1), x.dtype.type(0.5)
        self.x = x
        if self.approximate == "none":
            self.cdf = (erf(x * x.dtype.type(1 / math.sqrt(2))) + one) * half
            return x * self.cdf
        k = x.dtype.type(math.sqrt(2 / math.pi))
        ck = x.dtype.type(math.sqrt(2 / math.pi) * GELU_TANH_COEF)
        t = x * x  # t = tanh(k x (1 + c x^2)), computed in place in one buffer
        t *= ck
        t += k
        t *= x
        self.t = xp.tanh(t, out=t)
        y = t + one
        y *= x
        y *= half
        return y

    def backward(self, gy):
        xp, x, one, half = get_array_module(gy), self.x, gy.dtype.type(1), gy.dtype.type(0.5)
        if self.approximate == "none":
            pdf = xp.exp(x * x * -half) * x.dtype.type(1 / math.sqrt(2 * math.pi))
            return gy * (self.cdf + x * pdf)
        t = self.t
        k = x.dtype.type(math.sqrt(2 / math.pi))
        ck3 = x.dtype.type(3 * math.sqrt(2 / math.pi) * GELU_TANH_COEF)
        # gy * ((1 + t) / 2 + x / 2 * (1 - t^2) * k (1 + 3 c x^2)), in two buffers
        g = t * t
        xp.subtract(one, g, out=g)
        du = x * x
        du *= ck3
        du += k
        g *= du
        g *= x
        xp.add(g, one, out=g)
        g += t
        g *= half
        g *= gy
        return g

    def backward_graph(self, gy):
        x = self.inputs[0]
        if self.approximate == "none":
            return gy * (NormalCdf()(x) + x * _normal_pdf(x))
        k, c = x.dtype.type(math.sqrt(2 / math.pi)), x.dtype.type(GELU_TANH_COEF)
        t = tanh((x + x * x * x * c) * k)
        du = (x * x * (3 * c) + 1) * k
        return gy * ((t + 1) * 0.5 + x * 0.5 * (1 - t * t) * du)


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

    def backward_graph(self, gy):
        from .shape import concat

        x = self.inputs[0]
        first, second = self._halves(x)
        t, s = tanh(x[first]), sigmoid(x[second])
        return concat([gy * s * (1 - t * t), gy * t * s * (1 - s)], axis=self.axis)


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

    def backward_graph(self, gy):
        y = softmax(self.inputs[0], self.axis)
        gyy = gy * y
        return gyy - y * gyy.sum(axis=self.axis, keepdims=True)


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

    def backward_graph(self, gy):
        return gy - softmax(self.inputs[0], self.axis) * gy.sum(axis=self.axis, keepdims=True)


def relu(x):
    return ReLU()(x)


def leaky_relu(x, alpha=0.2):
    return LeakyReLU(alpha)(x)


def tanh(x):
    return Tanh()(x)


def sigmoid(x):
    return Sigmoid()(x)


def gelu(x, approximate="none"):
    """Gaussian error linear unit, x * Phi(x) (``approximate="none"``, by erf) or its tanh form
    (``approximate="tanh"``), as PyTorch's nn.GELU."""
    return GELU(approximate)(x)


def softmax(x, axis=-1):
    return Softmax(axis)(x)


def log_softmax(x, axis=-1):
    return LogSoftmax(axis)(x)


def gated_activation(x, axis=1):
    """tanh(a) * sigmoid(b) where (a, b) are the halves of x along ``axis``."""
    return GatedActivation(axis)(x)

"""Reductions over axes: sum, mean, max (None, an int or a tuple of axes; keepdims); and their
adjoints for the differentiable backward passes: broadcast_to and sum_to."""

import builtins

from ..autograd import Function
from ..backend import get_array_module
from ._args import normalize_axis


def _expand_reduced(g, shape, axes):
    """Reshape a reduced gradient so it broadcasts against the input of ``shape``."""
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
    return g.reshape(kept)


class BroadcastTo(Function):
    """x broadcast (NumPy's rules) to ``shape``: the adjoint of :func:`sum_to`."""

    keeps_inputs = False

    def __init__(self, shape):
        self.shape = tuple(shape)

    def check_inputs(self, x):
        try:
            get_array_module(x).broadcast_shapes(x.shape, self.shape)
        except ValueError:
            raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {self.shape}")

    def forward(self, x):
        self.x_shape = x.shape
        return get_array_module(x).broadcast_to(x, self.shape)

    def backward(self, gy):
        from .arithmetic import unbroadcast

        return unbroadcast(gy, self.x_shape)

    def backward_graph(self, gy):
        return sum_to(gy, self.x_shape)


def broadcast_to(x, shape):
    """Tensor x broadcast to ``shape`` (a read-only view forward; the gradient sums back)."""
    return x if tuple(x.shape) == tuple(shape) else BroadcastTo(shape)(x)


def sum_to(g, shape):
    """Tensor g summed over the axes that broadcasting added or stretched to reach g's shape
    from ``shape``: a Tensor of ``shape`` (the differentiable form of ``unbroadcast``)."""
    shape = tuple(shape)
    if tuple(g.shape) == shape:
        return g
    extra = g.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and g.shape[i + extra] != 1
    )
    return Sum(axes, keepdims=True)(g).reshape(shape)


class Sum(Function):
    keeps_inputs = False

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def check_inputs(self, x):
        normalize_axis(self.axis, x.shape, type(self).__name__.lower())

    def forward(self, x):
        self.shape = x.shape
        self.axes = normalize_axis(self.axis, x.shape)
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        xp = get_array_module(gy)
        return xp.broadcast_to(_expand_reduced(gy, self.shape, self.axes), self.shape)

    def backward_graph(self, gy):
        return broadcast_to(_expand_reduced(gy, self.shape, self.axes), self.shape)


class Mean(Sum):
    def forward(self, x):
        y = super().forward(x)
        self.count = x.size // builtins.max(y.size, 1) if x.size else 0
        return y / x.dtype.type(builtins.max(self.count, 1))

    def backward(self, gy):
        return super().backward(gy / gy.dtype.type(builtins.max(self.count, 1)))

    def backward_graph(self, gy):
        return super().backward_graph(gy * gy.dtype.type(1 / builtins.max(self.count, 1)))


class Max(Function):
    """Maximum over ``axis``; the gradient is shared equally among tied maxima."""

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def check_inputs(self, x):
        normalize_axis(self.axis, x.shape, "max")

    def forward(self, x):
        self.x = x
        self.axes = normalize_axis(self.axis, x.shape)
        self.y = x.max(axis=self.axes, keepdims=True)
        return (
            self.y
            if self.keepdims
            else self.y.reshape(tuple(n for i, n in enumerate(x.shape) if i not in self.axes))
        )

    def backward(self, gy):
        mask = (self.x == self.y).astype(gy.dtype)
        mask /= mask.sum(axis=self.axes, keepdims=True)
        return mask * _expand_reduced(gy, self.x.shape, self.axes)

    def backward_graph(self, gy):  # the tie shares are constants (zero derivative a.e.)
        mask = (self.x == self.y).astype(gy.dtype)
        mask /= mask.sum(axis=self.axes, keepdims=True)
        return _expand_reduced(gy, self.x.shape, self.axes) * mask


def sum(x, axis=None, keepdims=False):
    return Sum(axis, keepdims)(x)


def mean(x, axis=None, keepdims=False):
    return Mean(axis, keepdims)(x)


def max(x, axis=None, keepdims=False):
    return Max(axis, keepdims)(x)

"""Reductions over axes: sum, mean, max (None, an int or a tuple of axes; keepdims)."""

import builtins

from ..autograd import Function
from ..backend import get_array_module
from ._args import normalize_axis


def _expand_reduced(g, shape, axes):
    """Reshape a reduced gradient so it broadcasts against the input of ``shape``."""
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
    return g.reshape(kept)


class Sum(Function):
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


class Mean(Sum):
    def forward(self, x):
        y = super().forward(x)
        self.count = x.size // builtins.max(y.size, 1) if x.size else 0
        return y / x.dtype.type(builtins.max(self.count, 1))

    def backward(self, gy):
        return super().backward(gy / gy.dtype.type(builtins.max(self.count, 1)))


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


def sum(x, axis=None, keepdims=False):
    return Sum(axis, keepdims)(x)


def mean(x, axis=None, keepdims=False):
    return Mean(axis, keepdims)(x)


def max(x, axis=None, keepdims=False):
    return Max(axis, keepdims)(x)

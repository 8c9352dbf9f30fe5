"""Inverted dropout: at training time zero each element with probability ``rate`` and scale the
rest by 1 / (1 - rate), so inference is the identity."""

from ..autograd import Function
from .layout import uniform_like


class Dropout(Function):
    keeps_inputs = False

    def __init__(self, rate):
        if not 0 <= rate < 1:
            raise ValueError(f"dropout: rate must be in [0, 1), got {rate}")
        self.rate = rate

    def forward(self, x):
        self.keep = uniform_like(x) >= x.dtype.type(self.rate)  # bool: a quarter of a float mask
        self.scale = x.dtype.type(1 / (1 - self.rate))
        y = x * self.keep
        y *= self.scale
        return y

    def backward(self, gy):
        gx = gy * self.keep
        gx *= self.scale
        return gx

    def backward_graph(self, gy):
        return gy * self.keep * self.scale


def dropout(x, rate=0.5, training=True):
    """x of any shape; the identity when not training or when rate is 0."""
    if not training or rate == 0:
        return x
    return Dropout(rate)(x)

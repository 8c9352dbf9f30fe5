"""Inverted dropout: at training time zero each element with probability ``rate`` and scale the
rest by 1 / (1 - rate), so inference is the identity."""

from .. import threads
from ..autograd import Function
from ..backend import get_array_module
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
        return self._masked(x)

    def backward(self, gy):
        return self._masked(gy)

    def _masked(self, a):
        """a * keep * scale, in two passes (halves on two threads when :mod:`tinynet.threads`
        splits)."""
        xp = get_array_module(a)

        def part(a, keep, out):
            xp.multiply(a, keep, out=out)
            out *= self.scale

        return threads.apply(part, (a, self.keep), xp.empty_like(a))

    def backward_graph(self, gy):
        return gy * self.keep * self.scale


def dropout(x, rate=0.5, training=True):
    """x of any shape; the identity when not training or when rate is 0."""
    if not training or rate == 0:
        return x
    return Dropout(rate)(x)

"""Tensor's operators (``+ - * / ** @``, unary ``-``, indexing, ``.reshape`` ...), installed by one
explicit call, :func:`install_operators`, which ``tinynet.functional`` makes when it is imported:
autograd.py defines Tensor without knowing the ops, and the ops are defined on top of it."""

from ..autograd import Tensor
from .arithmetic import add, div, exp, log, matmul, mul, neg, pow, sub
from .reduction import max, mean, sum
from .shape import getitem, reshape, transpose


def install_operators():
    """Give Tensor its arithmetic operators and methods (idempotent)."""
    T = Tensor
    T.__add__ = add
    T.__radd__ = lambda self, other: add(other, self)
    T.__sub__ = sub
    T.__rsub__ = lambda self, other: sub(other, self)
    T.__mul__ = mul
    T.__rmul__ = lambda self, other: mul(other, self)
    T.__truediv__ = div
    T.__rtruediv__ = lambda self, other: div(other, self)
    T.__pow__ = pow
    T.__rpow__ = lambda self, other: pow(other, self)
    T.__matmul__ = matmul
    T.__rmatmul__ = lambda self, other: matmul(other, self)
    T.__neg__ = neg
    T.__getitem__ = getitem
    T.reshape = reshape
    T.transpose = transpose
    T.T = property(lambda self: transpose(self))
    T.sum = sum
    T.mean = mean
    T.max = max
    T.exp = exp
    T.log = log

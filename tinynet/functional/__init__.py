"""Differentiable ops, one Function each, by family: ``from tinynet import functional as F``."""
from .arithmetic import add, sub, mul, div, pow, neg, exp, log, clip, matmul, unbroadcast
from .reduction import sum, mean, max
from .shape import reshape, transpose, getitem, concat_channels, pad2d
from .activation import relu, leaky_relu, tanh, sigmoid, softmax, log_softmax
from .linear import linear
from .conv import conv2d, conv2d_reference, conv2d_transpose, upsample2d
from .windows import im2col, col2im
from .pool import max_pool2d, avg_pool2d
from .norm import batch_norm
from .dropout import dropout
from .loss import (mean_squared_error, binary_cross_entropy, binary_cross_entropy_with_logits,
                   categorical_cross_entropy, softmax_cross_entropy)
from .operators import install_operators

__all__ = ["add", "sub", "mul", "div", "pow", "neg", "exp", "log", "clip", "matmul",
           "unbroadcast", "sum", "mean", "max", "reshape", "transpose", "getitem",
           "concat_channels", "pad2d", "relu", "leaky_relu", "tanh", "sigmoid", "softmax",
           "log_softmax", "linear", "conv2d", "conv2d_reference", "conv2d_transpose",
           "upsample2d", "im2col", "col2im", "max_pool2d", "avg_pool2d", "batch_norm", "dropout",
           "mean_squared_error", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "categorical_cross_entropy", "softmax_cross_entropy"]

install_operators()

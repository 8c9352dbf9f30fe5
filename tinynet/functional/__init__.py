"""Differentiable ops, one Function each, by family: ``from tinynet import functional as F``."""

from .activation import (
    gated_activation,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    softmax,
    tanh,
)
from .arithmetic import add, clip, div, exp, log, matmul, mul, neg, pow, sub, unbroadcast
from .conv import conv2d, conv2d_grad_weight, conv2d_reference, conv2d_transpose, upsample2d
from .conv1d import conv1d
from .dropout import dropout
from .embedding import embedding
from .frames import add_frames
from .linear import linear
from .loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    categorical_cross_entropy,
    mean_squared_error,
    softmax_cross_entropy,
    sparse_softmax_cross_entropy,
)
from .norm import batch_norm
from .operators import install_operators
from .pool import avg_pool2d, max_pool2d
from .reduction import broadcast_to, max, mean, sum, sum_to
from .shape import concat, concat_channels, getitem, pad2d, reshape, transpose
from .windows import col2im, im2col

__all__ = [
    "add",
    "sub",
    "mul",
    "div",
    "pow",
    "neg",
    "exp",
    "log",
    "clip",
    "matmul",
    "unbroadcast",
    "sum",
    "mean",
    "max",
    "broadcast_to",
    "sum_to",
    "reshape",
    "transpose",
    "getitem",
    "concat",
    "concat_channels",
    "pad2d",
    "relu",
    "leaky_relu",
    "tanh",
    "sigmoid",
    "gelu",
    "softmax",
    "log_softmax",
    "gated_activation",
    "embedding",
    "add_frames",
    "linear",
    "conv1d",
    "conv2d",
    "conv2d_reference",
    "conv2d_transpose",
    "conv2d_grad_weight",
    "upsample2d",
    "im2col",
    "col2im",
    "max_pool2d",
    "avg_pool2d",
    "batch_norm",
    "dropout",
    "mean_squared_error",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "categorical_cross_entropy",
    "softmax_cross_entropy",
    "sparse_softmax_cross_entropy",
]

install_operators()

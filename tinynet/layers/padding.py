"""Keras's 'same' padding (possibly asymmetric) and ZeroPadding2D, on the op F.pad2d."""

import math

from ..functional.shape import pad2d
from .base import Layer
from .core import ImageLayout


def same_pads(n, k, s):
    """(before, after) padding of Keras/TensorFlow 'same': the output has ceil(n / s) cells and
    the extra cell of an odd total goes after."""
    total = max((math.ceil(n / s) - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def conv_pads(padding, size, kernel, strides, who):
    """((top, bottom), (left, right)) for padding 'valid' or 'same' over size (H, W)."""
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        return tuple(same_pads(n, k, s) for n, k, s in zip(size, kernel, strides))
    raise ValueError(f"{who}: padding must be 'valid' or 'same', got {padding!r}")


class ZeroPadding2D(ImageLayout, Layer):
    """Zeros around each image: (N, C, H, W) -> (N, C, H + top + bottom, W + left + right);
    ``padding`` an int, (sym_h, sym_w) or ((top, bottom), (left, right))."""

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self._set_data_format(data_format)
        if isinstance(padding, int):
            padding = ((padding, padding), (padding, padding))
        elif all(isinstance(p, int) for p in padding):
            padding = ((padding[0], padding[0]), (padding[1], padding[1]))
        self.padding = tuple(tuple(int(v) for v in p) for p in padding)
        if len(self.padding) != 2 or any(len(p) != 2 or min(p) < 0 for p in self.padding):
            raise ValueError(
                f"ZeroPadding2D: padding must be an int, a pair or a pair of pairs of "
                f"non-negative ints, got {padding!r}"
            )

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(
                f"{self.describe()}: expects images (C, H, W), received input shape "
                f"{(None,) + tuple(input_shape)}"
            )
        (top, bottom), (left, right) = self.padding
        C, H, W = input_shape
        return C, H + top + bottom, W + left + right

    def call(self, x, training=False):
        return pad2d(x, self.padding)

    def get_config(self):
        return {**super().get_config(), "padding": [list(p) for p in self.padding]}

"""MaxPooling2D, AveragePooling2D: (N, C, H, W) -> (N, C, H', W'), channels-first inside
(``data_format="channels_last"`` at a model's door, see :mod:`.core`); GlobalAveragePooling2D,
GlobalMaxPooling2D: (N, C, H, W) -> (N, C).

H' = (H - pool_h) // s + 1 for 'valid' and ceil(H / s) for 'same' (Keras). 'same' pads like
TensorFlow: the max ignores the padding, the average counts only real cells.
"""

import numpy as np

from .. import functional as F
from ..backend import get_array_module
from ..functional._args import pair
from ..legacy import legacy_kwargs, warn_legacy
from .base import Layer, shape_str
from .core import ImageLayout
from .padding import conv_pads, pad2d


class _Pooling2D(ImageLayout, Layer):
    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        kind = type(self).__name__
        dim_ordering = kwargs.pop("dim_ordering", None)
        notes = []
        kwargs = legacy_kwargs(kwargs, {"border_mode": "padding"}, notes)
        warn_legacy(kind, notes)
        padding = kwargs.pop("padding", padding)
        super().__init__(**kwargs)
        self._set_data_format(data_format, dim_ordering)
        if padding not in ("valid", "same"):
            raise ValueError(f"{kind}: padding must be 'valid' or 'same', got {padding!r}")
        self.pool_size = pair(pool_size, "pool_size", op=kind)
        self.strides = self.pool_size if strides is None else pair(strides, "strides", op=kind)
        self.padding = padding

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(
                f"{self.describe()}: expects images (C, H, W), i.e. input of shape "
                f"(None, C, H, W); received input shape {shape_str((None,) + tuple(input_shape))}"
            )
        C, H, W = input_shape
        self._pads = conv_pads(self.padding, (H, W), self.pool_size, self.strides, self.describe())
        out = [
            (n + sum(p) - k) // s + 1
            for n, p, k, s in zip((H, W), self._pads, self.pool_size, self.strides)
        ]
        if min(out) < 1:
            raise ValueError(
                f"{self.describe()}: pool window {self.pool_size[0]}x{self.pool_size[1]} "
                f"is larger than the input {H}x{W} (input shape "
                f"{shape_str((None,) + tuple(input_shape))})"
            )
        self._padded = any(sum(p) for p in self._pads)
        return C, out[0], out[1]

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": list(self.pool_size),
            "strides": list(self.strides),
            "padding": self.padding,
        }


class MaxPooling2D(_Pooling2D):
    def call(self, x, training=False):
        if self._padded:
            x = pad2d(x, self._pads, float("-inf"))
        return F.max_pool2d(x, self.pool_size, self.strides)


class AveragePooling2D(_Pooling2D):
    def call(self, x, training=False):
        if not self._padded:
            return F.avg_pool2d(x, self.pool_size, self.strides)
        y = F.avg_pool2d(pad2d(x, self._pads), self.pool_size, self.strides)
        return y * self._coverage(x)

    def _coverage(self, x):
        """kh*kw / (real cells in each window), (1, 1, H', W'): rescales the padded average."""
        xp = get_array_module(x.data)
        key = (xp.__name__, x.dtype)
        cached = getattr(self, "_coverage_cache", None)
        if cached is None or cached[0] != key:
            ones = np.ones((1, 1) + tuple(x.shape[2:]), dtype=x.dtype)
            (top, bottom), (left, right) = self._pads
            ones = np.pad(ones, ((0, 0), (0, 0), (top, bottom), (left, right)))
            frac = F.avg_pool2d(ones, self.pool_size, self.strides).data
            cached = (key, xp.asarray((1 / frac).astype(x.dtype)))
            self._coverage_cache = cached
        return cached[1]


class _GlobalPooling2D(ImageLayout, Layer):
    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self._set_data_format(data_format)
        self.keepdims = bool(keepdims)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(
                f"{self.describe()}: expects images (C, H, W), i.e. input of shape "
                f"(None, C, H, W); received input shape {shape_str((None,) + tuple(input_shape))}"
            )
        C = input_shape[0]
        if not self.keepdims:
            return (C,)
        return (1, 1, C) if self.data_format == "channels_last" else (C, 1, 1)

    def call(self, x, training=False):
        y = self.reduce(x)
        if self.keepdims:
            y = y.reshape(y.shape[0], *self.output_shape)
        return y

    def get_config(self):
        return {**super().get_config(), "keepdims": self.keepdims}


class GlobalAveragePooling2D(_GlobalPooling2D):
    """The mean of each channel over the image: (N, C, H, W) -> (N, C) (keepdims: (N, C, 1, 1),
    or (N, 1, 1, C) for channels-last)."""

    def reduce(self, x):
        return x.mean(axis=(2, 3))


class GlobalMaxPooling2D(_GlobalPooling2D):
    """The largest value of each channel: (N, C, H, W) -> (N, C)."""

    def reduce(self, x):
        return x.max(axis=(2, 3))

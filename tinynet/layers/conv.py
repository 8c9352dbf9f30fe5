"""Conv2D (and its Keras 1 name Convolution2D), Conv2DTranspose, UpSampling2D; channels-first
inside, ``data_format="channels_last"`` at a model's door (see :mod:`.core`).

Conv2D: (N, C, H, W) -> (N, filters, H', W'), kernel (filters, C, kh, kw), H' = ceil(H / s) for
'same' and (H - kh) // s + 1 for 'valid'. Keras 1 spellings: ``Conv2D(64, 5, 5,
border_mode='same', subsample=(2, 2), init=..., nb_filter=...)``.
"""

from .. import functional as F
from ..functional._args import pair
from ..legacy import legacy_kwargs, warn_legacy
from . import initializers
from .activations import ActivationMixin
from .base import Layer, shape_str
from .core import ImageLayout
from .padding import conv_pads, pad2d

_KERAS1 = {
    "nb_filter": "filters",
    "border_mode": "padding",
    "subsample": "strides",
    "init": "kernel_initializer",
    "bias": "use_bias",
}


def _check_image_shape(layer, input_shape):
    if len(input_shape) != 3:
        raise ValueError(
            f"{layer.describe()}: expects images (C, H, W), i.e. input of shape "
            f"(None, C, H, W); received input shape {shape_str((None,) + tuple(input_shape))}"
        )


class _ConvBase(ImageLayout, ActivationMixin, Layer):
    """Shared argument handling of Conv2D and Conv2DTranspose."""

    keras1 = _KERAS1
    dilates = False  # whether the layer takes dilation_rate != 1

    def __init__(
        self,
        filters=None,
        kernel_size=None,
        *legacy_args,
        strides=(1, 1),
        padding="valid",
        data_format=None,
        dilation_rate=(1, 1),
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        kind = type(self).__name__
        notes = kwargs.pop("_legacy_notes", [])
        nb_row, nb_col = kwargs.pop("nb_row", None), kwargs.pop("nb_col", None)
        if legacy_args:  # Keras 1: Conv2D(filters, nb_row, nb_col, ...)
            if (
                len(legacy_args) != 1
                or not isinstance(legacy_args[0], int)
                or not isinstance(kernel_size, int)
            ):
                raise TypeError(
                    f"{kind}: expected Conv2D(filters, kernel_size, strides=..., ...) or the "
                    f"Keras 1 form Conv2D(filters, nb_row, nb_col, ...); got extra positional "
                    f"arguments {legacy_args!r}"
                )
            nb_row, nb_col = kernel_size, legacy_args[0]
            kernel_size = None
        if nb_row is not None or nb_col is not None:
            kernel_size = (nb_row, nb_col if nb_col is not None else nb_row)
            notes.append(f"nb_row, nb_col -> kernel_size={kernel_size}")
        dim_ordering = kwargs.pop("dim_ordering", None)
        kwargs = legacy_kwargs(kwargs, self.keras1, notes)
        warn_legacy(kind, notes)
        filters = kwargs.pop("filters", filters)
        padding = kwargs.pop("padding", padding)
        strides = kwargs.pop("strides", strides)
        kernel_initializer = kwargs.pop("kernel_initializer", kernel_initializer)
        use_bias = kwargs.pop("use_bias", use_bias)
        super().__init__(**kwargs)
        self._set_data_format(data_format, dim_ordering)
        self.dilation_rate = pair(dilation_rate, "dilation_rate", op=kind)
        if self.dilation_rate != (1, 1) and not self.dilates:
            raise ValueError(
                f"{kind}: dilation_rate other than 1 is not supported, got {dilation_rate!r}"
            )
        if not isinstance(filters, int) or filters < 1:
            raise ValueError(f"{kind}: filters must be a positive int, got {filters!r}")
        if kernel_size is None:
            raise ValueError(f"{kind}: kernel_size is required")
        if padding not in ("valid", "same"):
            raise ValueError(f"{kind}: padding must be 'valid' or 'same', got {padding!r}")
        self.filters, self.padding, self.use_bias = filters, padding, bool(use_bias)
        self.kernel_size = pair(kernel_size, "kernel_size", op=kind)
        self.strides = pair(strides, "strides", op=kind)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self._set_activation(activation)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "dilation_rate": list(self.dilation_rate),
            "activation": self.activation_config(),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }


class Conv2D(_ConvBase):
    """2-D convolution (see the module docstring for shapes and Keras 1 spellings); with
    ``dilation_rate`` d the kernel's cells are d pixels apart, spanning d * (k - 1) + 1."""

    dilates = True

    def compute_output_shape(self, input_shape):
        _check_image_shape(self, input_shape)
        C, H, W = input_shape
        spans = [d * (k - 1) + 1 for d, k in zip(self.dilation_rate, self.kernel_size)]
        pads = conv_pads(self.padding, (H, W), spans, self.strides, self.describe())
        out = [(n + sum(p) - k) // s + 1 for n, p, k, s in zip((H, W), pads, spans, self.strides)]
        if min(out) < 1:
            raise ValueError(
                f"{self.describe()}: kernel {self.kernel_size[0]}x{self.kernel_size[1]} "
                f"does not fit input {H}x{W} with padding '{self.padding}' (input shape "
                f"{shape_str((None,) + tuple(input_shape))})"
            )
        (top, bottom), (left, right) = pads
        self._symmetric = top == bottom and left == right
        self._pads = pads
        return self.filters, out[0], out[1]

    def create_weights(self, input_shape):
        kh, kw = self.kernel_size
        self.add_weight("kernel", (self.filters, input_shape[0], kh, kw), self.kernel_initializer)
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer)

    def affine(self, x, training=False):
        b = self.bias if self.use_bias else None
        d = self.dilation_rate
        if self._symmetric:
            pads = (self._pads[0][0], self._pads[1][0])
            return F.conv2d(x, self.kernel, b, self.strides, pads, d)
        return F.conv2d(pad2d(x, self._pads), self.kernel, b, self.strides, 0, d)


def Convolution2D(*args, **kwargs):
    """Keras 1 name of Conv2D: returns a Conv2D (with a DeprecationWarning)."""
    return Conv2D(*args, _legacy_notes=["Convolution2D -> Conv2D"], **kwargs)


class Conv2DTranspose(_ConvBase):
    """Transposed ("fractionally strided") convolution, the adjoint of Conv2D:
    (N, C, H, W) -> (N, filters, H', W'), kernel (C, filters, kh, kw).
    H' = H * s for 'same', H * s + max(kh - s, 0) for 'valid' (Keras); with ``output_padding``
    p: (H - 1) * s + kh - 2 * pad + p, pad = kh // 2 for 'same', 0 for 'valid'."""

    def __init__(self, filters=None, kernel_size=None, *args, output_padding=None, **kwargs):
        super().__init__(filters, kernel_size, *args, **kwargs)
        self.output_padding = (
            None
            if output_padding is None
            else pair(output_padding, "output_padding", op="Conv2DTranspose")
        )
        if self.output_padding is not None and any(
            not 0 <= p < s for p, s in zip(self.output_padding, self.strides)
        ):
            raise ValueError(
                f"Conv2DTranspose: output_padding {self.output_padding} must be "
                f"non-negative and smaller than strides {self.strides}"
            )

    def _geometry(self, n, k, s, op):
        """(padding, output_padding, crop-to length) for F.conv2d_transpose along one axis."""
        if op is not None:
            pad = k // 2 if self.padding == "same" else 0
            return pad, op, (n - 1) * s + k - 2 * pad + op
        if self.padding == "valid":
            return 0, max(s - k, 0), n * s + max(k - s, 0)
        if k >= s:  # TF's 'same': crop (k - s) // 2 before; one extra cell after when k - s is odd
            return (k - s) // 2, 0, n * s
        return 0, s - k, n * s

    def compute_output_shape(self, input_shape):
        _check_image_shape(self, input_shape)
        C, H, W = input_shape
        ops = self.output_padding or (None, None)
        geo = [
            self._geometry(n, k, s, op)
            for n, k, s, op in zip((H, W), self.kernel_size, self.strides, ops)
        ]
        if min(g[2] for g in geo) < 1:
            raise ValueError(
                f"{self.describe()}: no output for input shape "
                f"{shape_str((None,) + tuple(input_shape))}"
            )
        self._pad = (geo[0][0], geo[1][0])
        self._out_pad = (geo[0][1], geo[1][1])
        self._out = (geo[0][2], geo[1][2])
        self._crop = any(
            (n - 1) * s - 2 * p + k + op != o
            for n, s, p, k, op, o in zip(
                (H, W), self.strides, self._pad, self.kernel_size, self._out_pad, self._out
            )
        )
        return self.filters, self._out[0], self._out[1]

    def create_weights(self, input_shape):
        kh, kw = self.kernel_size
        c_in = input_shape[0]
        self.add_weight(
            "kernel",
            (c_in, self.filters, kh, kw),
            self.kernel_initializer,
            fans=(self.filters * kh * kw, c_in * kh * kw),
        )
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer)

    def affine(self, x, training=False):
        b = self.bias if self.use_bias else None
        y = F.conv2d_transpose(x, self.kernel, b, self.strides, self._pad, self._out_pad)
        if self._crop:
            y = y[:, :, : self._out[0], : self._out[1]]
        return y

    def get_config(self):
        config = super().get_config()
        if self.output_padding is not None:
            config["output_padding"] = list(self.output_padding)
        return config


class UpSampling2D(ImageLayout, Layer):
    """Nearest-neighbour upsampling: (N, C, H, W) -> (N, C, H * sh, W * sw)."""

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        dim_ordering = kwargs.pop("dim_ordering", None)
        super().__init__(**kwargs)
        self._set_data_format(data_format, dim_ordering)
        if interpolation != "nearest":
            raise ValueError(
                f"UpSampling2D: only interpolation='nearest' is supported, got {interpolation!r}"
            )
        self.size = pair(size, "size", op="UpSampling2D")

    def compute_output_shape(self, input_shape):
        _check_image_shape(self, input_shape)
        C, H, W = input_shape
        return C, H * self.size[0], W * self.size[1]

    def call(self, x, training=False):
        return F.upsample2d(x, self.size)

    def get_config(self):
        return {**super().get_config(), "size": list(self.size)}

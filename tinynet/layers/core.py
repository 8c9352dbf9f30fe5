"""Dense, Activation, Dropout, Flatten, Reshape, LeakyReLU; Input / InputLayer; the image
layout (``data_format``) shared by the image layers.

Images are channels-first (N, C, H, W) inside tinynet. An image layer built with
``data_format="channels_last"`` (or under ``set_image_data_format("channels_last")``) takes and
describes (N, H, W, C) images at the model's door: the first layer (an ``Input(shape=(H, W, C))``
or a first layer given ``input_shape=(H, W, C)``) transposes the batch once to (N, C, H, W), and
every layer after it works channels-first, as any tinynet layer. A channels-last Flatten
flattens in (H, W, C) order, as Keras does, so the Dense weights after it see Keras's order.
Only a door converts: a channels-last layer built without a declared input shape (inside a
subclassed Model, or called alone on raw data) takes what it receives as channels-first, and a
model that ends on images (no Flatten or global pooling) returns them channels-first; summary()
shows the shapes as they are inside, channels-first.
"""

import numpy as np

from .. import functional as F
from ..legacy import legacy_kwargs, warn_legacy
from . import initializers
from .activations import ActivationMixin
from .activations import get as get_activation
from .activations import serialize as serialize_activation
from .base import Layer, _as_shape, shape_str

_DATA_FORMATS = ("channels_first", "channels_last")
_image_data_format = ["channels_first"]


def image_data_format():
    """The layout image layers get when built with data_format=None: 'channels_first' (tinynet's
    default and internal layout) unless set_image_data_format changed it."""
    return _image_data_format[0]


def set_image_data_format(data_format):
    """Set the default layout of image layers built afterwards ('channels_first' or
    'channels_last'); layers already built keep theirs (it is part of their config)."""
    if data_format not in _DATA_FORMATS:
        raise ValueError(
            f"set_image_data_format: expected 'channels_first' or 'channels_last', got "
            f"{data_format!r}"
        )
    _image_data_format[0] = data_format


def resolve_data_format(who, data_format, dim_ordering=None):
    """data_format (or Keras 1's dim_ordering 'th' / 'tf') -> 'channels_first' | 'channels_last';
    None is the default of image_data_format()."""
    if dim_ordering is not None:
        if dim_ordering not in ("th", "tf"):
            raise ValueError(f"{who}: dim_ordering must be 'th' or 'tf', got {dim_ordering!r}")
        data_format = "channels_first" if dim_ordering == "th" else "channels_last"
    if data_format is None:
        return image_data_format()
    if data_format not in _DATA_FORMATS:
        raise ValueError(
            f"{who}: data_format must be 'channels_first' (N, C, H, W) or 'channels_last' "
            f"(N, H, W, C), got {data_format!r}"
        )
    return data_format


class ImageLayout:
    """Mixin of the image layers (before Layer in the bases): ``data_format`` and the door.

    A channels-last layer with a declared input shape (H, W, C) is a model's door: its
    ``input_shape`` is (H, W, C), it transposes its input once to (N, C, H, W) and builds and
    computes channels-first. Any other layer computes channels-first on what it receives."""

    data_format = "channels_first"

    def _set_data_format(self, data_format, dim_ordering=None):
        self.data_format = resolve_data_format(type(self).__name__, data_format, dim_ordering)

    @property
    def is_door(self):
        """Whether this layer converts (N, H, W, C) input to channels-first."""
        return self.data_format == "channels_last" and self.declared_input_shape is not None

    def build(self, input_shape, dtype=None):
        if not self.is_door:
            return super().build(input_shape, dtype)
        outside = _as_shape(input_shape, self.name)
        if len(outside) != 3:
            raise ValueError(
                f"{self.describe()}: data_format='channels_last' expects images (H, W, C), "
                f"received input shape {shape_str((None,) + outside)}"
            )
        if outside != self.declared_input_shape:
            raise ValueError(
                f"{self.describe()}: declared input_shape="
                f"{shape_str(self.declared_input_shape)} but received {shape_str(outside)}"
            )
        H, W, C = outside
        declared, self.declared_input_shape = self.declared_input_shape, None
        if self.built:
            self.input_shape = (C, H, W)  # the base compares against the shape it was built on
        try:
            super().build((C, H, W), dtype)
        finally:
            self.declared_input_shape, self.input_shape = declared, outside
        return self

    def check_input(self, x):
        x = super().check_input(x)
        return x.transpose(0, 3, 1, 2) if self.is_door else x

    def get_config(self):
        config = super().get_config()
        if self.data_format == "channels_last":
            config["data_format"] = "channels_last"
        return config


class Dense(ActivationMixin, Layer):
    """Fully connected: (N, ..., in) -> (N, ..., units), y = activation(x @ kernel + bias), kernel
    (in, units). Keras 1: ``Dense(output_dim=..., input_dim=..., init=...)``."""

    def __init__(
        self,
        units=None,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        notes = []
        kwargs = legacy_kwargs(
            kwargs, {"output_dim": "units", "init": "kernel_initializer", "bias": "use_bias"}, notes
        )
        warn_legacy("Dense", notes)
        units = kwargs.pop("units", units)
        kernel_initializer = kwargs.pop("kernel_initializer", kernel_initializer)
        use_bias = kwargs.pop("use_bias", use_bias)
        super().__init__(**kwargs)
        if not isinstance(units, (int, np.integer)) or units < 1:
            raise ValueError(f"Dense: units must be a positive int, got {units!r}")
        self.units, self.use_bias = int(units), bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self._set_activation(activation)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def create_weights(self, input_shape):
        self.add_weight("kernel", (input_shape[-1], self.units), self.kernel_initializer)
        if self.use_bias:
            self.add_weight("bias", (self.units,), self.bias_initializer)

    def affine(self, x, training=False):
        b = self.bias if self.use_bias else None
        if x.ndim == 2:
            return F.linear(x, self.kernel, b)
        lead = x.shape[:-1]
        y = F.linear(x.reshape(-1, x.shape[-1]), self.kernel, b)
        return y.reshape(*lead, self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": self.activation_config(),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }


class Activation(Layer):
    """Applies an activation by name: 'relu', 'tanh', 'sigmoid', 'softmax' (last axis),
    'leaky_relu' (alpha 0.2), 'linear'."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation_name, self.activation_fn = get_activation(activation, "Activation")

    def call(self, x, training=False):
        return x if self.activation_fn is None else self.activation_fn(x)

    @property
    def output_activation(self):
        return self.activation_name

    def call_pre_activation(self, x, training=False):
        return self.check_input(x)

    def get_config(self):
        return {
            **super().get_config(),
            "activation": serialize_activation(
                self.activation_name, self.activation_fn, self.describe()
            ),
        }


class LeakyReLU(Layer):
    """max(x, alpha * x) (Keras's default alpha is 0.3)."""

    def __init__(self, alpha=0.3, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, x, training=False):
        return F.leaky_relu(x, self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class Dropout(Layer):
    """Inverted dropout of ``rate`` while training; the identity at inference.
    Keras 1: ``Dropout(p=...)``."""

    def __init__(self, rate=None, noise_shape=None, seed=None, **kwargs):
        notes = []
        kwargs = legacy_kwargs(kwargs, {"p": "rate"}, notes)
        warn_legacy("Dropout", notes)
        rate = kwargs.pop("rate", rate)
        super().__init__(**kwargs)
        if rate is None or not 0 <= float(rate) < 1:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate!r}")
        if noise_shape is not None or seed is not None:
            raise ValueError(
                "Dropout: noise_shape and seed are not supported (seed the whole run "
                "with tinynet.seed(n))"
            )
        self.rate = float(rate)

    def call(self, x, training=False):
        return F.dropout(x, self.rate, training)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}


class Flatten(ImageLayout, Layer):
    """(N, d1, d2, ...) -> (N, d1*d2*...): images in (C, H, W) order, or with
    data_format='channels_last' in Keras's (H, W, C) order (one transpose of the channels-first
    images it receives)."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self._set_data_format(data_format)

    def compute_output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def call(self, x, training=False):
        if self.data_format == "channels_last" and x.ndim == 4:
            x = x.transpose(0, 2, 3, 1)
        return x.reshape(x.shape[0], self.output_shape[0])


class InputLayer(ImageLayout, Layer):
    """The model's input: the identity on (N, *shape); with data_format='channels_last' (the
    default of the Keras namespace) and an image shape (H, W, C) it is the door that turns the
    batch into (N, C, H, W) once. ``Input(shape=...)`` makes one."""

    def __init__(self, input_shape=None, data_format=None, **kwargs):
        if input_shape is None and "batch_input_shape" not in kwargs:
            raise ValueError(
                "InputLayer: give the shape of one sample, e.g. Input(shape=(28, 28, 1))"
            )
        super().__init__(input_shape=input_shape, **kwargs)
        self._set_data_format(data_format)
        if len(self.declared_input_shape) != 3:
            self.data_format = "channels_first"  # not an image: nothing to convert


def Input(
    shape=None, batch_size=None, name=None, dtype=None, data_format=None, batch_shape=None, **kwargs
):
    """Keras's ``Input(shape=(28, 28, 1))``: an InputLayer for the first place of a Sequential.
    ``shape`` is one sample's shape (no batch dimension), or ``batch_shape`` with the batch
    dimension first; ``batch_size`` is accepted and unused."""
    if shape is None and batch_shape is not None:
        shape = tuple(batch_shape)[1:]
    if shape is None:
        raise ValueError("Input: shape is required, e.g. Input(shape=(28, 28, 1))")
    return InputLayer(
        input_shape=tuple(shape), name=name, dtype=dtype, data_format=data_format, **kwargs
    )


class Reshape(Layer):
    """(N, *input_shape) -> (N, *target_shape); one entry of target_shape may be -1."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in self.target_shape) > 1 or any(
            d == 0 or d < -1 for d in self.target_shape
        ):
            raise ValueError(
                f"Reshape: target_shape may hold positive sizes and at most one -1, "
                f"got {shape_str(self.target_shape)}"
            )

    def compute_output_shape(self, input_shape):
        n = int(np.prod(input_shape))
        known = int(np.prod([d for d in self.target_shape if d != -1]))
        shape = tuple(n // known if d == -1 else d for d in self.target_shape)
        if int(np.prod(shape)) != n:
            raise ValueError(
                f"layer {self.name!r} (Reshape): cannot reshape input of shape "
                f"{shape_str((None,) + tuple(input_shape))} ({n} values per sample) "
                f"into target shape {shape_str((None,) + self.target_shape)}"
            )
        return shape

    def call(self, x, training=False):
        return x.reshape(x.shape[0], *self.output_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


def _channels_first(who, data_format):
    """For layers that take no channels-last images yet."""
    if data_format not in (None, "channels_first", "th"):
        raise ValueError(
            f"{who}: takes channels-first images (N, C, H, W) only; data_format "
            f"{data_format!r} is not supported"
        )

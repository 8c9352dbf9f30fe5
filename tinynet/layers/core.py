"""Dense, Activation, Dropout, Flatten, Reshape, LeakyReLU."""

import numpy as np

from .. import functional as F
from ..legacy import legacy_kwargs, warn_legacy
from . import initializers
from .activations import ActivationMixin
from .activations import get as get_activation
from .activations import serialize as serialize_activation
from .base import Layer, shape_str


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


class Flatten(Layer):
    """(N, d1, d2, ...) -> (N, d1*d2*...), in channels-first (C, H, W) order."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        _channels_first("Flatten", data_format)

    def compute_output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def call(self, x, training=False):
        return x.reshape(x.shape[0], self.output_shape[0])


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
    if data_format not in (None, "channels_first", "th"):
        raise ValueError(
            f"{who}: tinynet is channels-first (N, C, H, W); data_format "
            f"{data_format!r} is not supported"
        )

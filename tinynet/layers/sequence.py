"""Layers on sequences, channels-first (N, C, L) like the images: Conv1D and Embedding.

Conv1D: (N, C, L) -> (N, filters, L'), kernel (filters, C, k) as in PyTorch, padding 'causal'
(the default: output t sees inputs up to t), 'same', 'valid' or an int. Embedding: integer ids
(N, *) -> (N, *, output_dim), as in Keras. Both take sequences of any length: the length is not
part of the shape they are built for, only the channels are.
"""

from .. import functional as F
from ..functional._args import positive_int
from ..functional.conv1d import output_length
from . import initializers
from .activations import ActivationMixin
from .base import Layer, shape_str


class Conv1D(ActivationMixin, Layer):
    """1-D convolution over (N, C, L) with ``dilation_rate`` d between kernel taps."""

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="causal",
        dilation_rate=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        kind = type(self).__name__
        self.filters = positive_int(filters, "filters", op=kind)
        self.kernel_size = positive_int(kernel_size, "kernel_size", op=kind)
        self.strides = positive_int(strides, "strides", op=kind)
        self.dilation_rate = positive_int(dilation_rate, "dilation_rate", op=kind)
        if padding not in ("causal", "same", "valid") and not (
            isinstance(padding, int) and padding >= 0
        ):
            raise ValueError(
                f"{kind}: padding must be 'causal', 'same', 'valid' or an int >= 0, got {padding!r}"
            )
        self.padding, self.use_bias = padding, bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self._set_activation(activation)

    def _length(self, L):
        return output_length(L, self.kernel_size, self.strides, self.padding, self.dilation_rate)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(
                f"{self.describe()}: expects sequences (C, L), i.e. input of shape (None, C, L); "
                f"received input shape {shape_str((None,) + tuple(input_shape))}"
            )
        C, L = input_shape
        if self._length(L) < 1:
            raise ValueError(
                f"{self.describe()}: kernel {self.kernel_size} with dilation "
                f"{self.dilation_rate} does not fit length {L} with padding {self.padding!r}"
            )
        return self.filters, self._length(L)

    def create_weights(self, input_shape):
        C, k = input_shape[0], self.kernel_size
        self.add_weight("kernel", (self.filters, C, k), self.kernel_initializer)
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer)

    def check_input(self, x):
        """Any length; the channels must be the built ones."""
        if self.built and x.ndim == 3 and x.shape[1] == self.input_shape[0]:
            if self._length(x.shape[2]) < 1:
                raise ValueError(
                    f"{self.describe()}: kernel {self.kernel_size} with dilation "
                    f"{self.dilation_rate} does not fit length {x.shape[2]}"
                )
            self.input_shape = tuple(x.shape[1:])
            self.output_shape = (self.filters, self._length(x.shape[2]))
        return super().check_input(x)

    def affine(self, x, training=False):
        b = self.bias if self.use_bias else None
        return F.conv1d(x, self.kernel, b, self.strides, self.padding, self.dilation_rate)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "dilation_rate": self.dilation_rate,
            "activation": self.activation_config(),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }


class Embedding(Layer):
    """Integer ids (N, *) in [0, input_dim) -> vectors (N, *, output_dim); the table
    (input_dim, output_dim) starts uniform in [-0.05, 0.05] as in Keras."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", **kwargs):
        super().__init__(**kwargs)
        self.input_dim = positive_int(input_dim, "input_dim", op="Embedding")
        self.output_dim = positive_int(output_dim, "output_dim", op="Embedding")
        self.embeddings_initializer = initializers.get(embeddings_initializer)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def create_weights(self, input_shape):
        self.add_weight(
            "embeddings", (self.input_dim, self.output_dim), self.embeddings_initializer
        )

    def check_input(self, x):
        """Integer ids of any shape; the table's dtype is the layer's (float32 by default)."""
        data = getattr(x, "data", x)
        if not self.built:
            self.build(tuple(data.shape[1:]) or (1,), self.dtype)
        return data

    def call(self, ids, training=False):
        return F.embedding(ids, self.embeddings)

    def get_config(self):
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
        }

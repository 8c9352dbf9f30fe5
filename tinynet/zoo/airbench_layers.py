"""The small layers of airbench94 (Jordan 2024, arXiv:2404.00498) beside tinynet's own:
per-channel input normalisation, identity-initialised convolutions, BatchNorm with a fixed scale
and a scaled bias, and a constant factor on the logits. Each is registered by its class name, so
a saved model loads once this module is imported (``tinynet.zoo`` imports it)."""

import numpy as np

from .. import functional as F
from ..autograd import Tensor
from ..backend import get_array_module
from ..layers import BatchNormalization, Conv2D, Layer
from ..layers.initializers import VarianceScaling


def torch_default_init():
    """uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)), PyTorch's default weight initialisation."""
    return VarianceScaling(1 / 3, "fan_in", "uniform")


def _constant(values, x):
    xp = get_array_module(x.data)
    return Tensor(xp.asarray(np.asarray(values, dtype=x.dtype).reshape(1, -1, 1, 1)))


class ChannelNormalize(Layer):
    """(N, C, H, W) -> (x - mean[c]) / std[c] per channel; no weights (CIFAR-10's statistics
    in airbench)."""

    def __init__(self, mean, std, **kwargs):
        super().__init__(**kwargs)
        self.mean = [float(m) for m in mean]
        self.std = [float(s) for s in std]
        if len(self.mean) != len(self.std) or not all(s > 0 for s in self.std):
            raise ValueError(
                f"ChannelNormalize: mean and std need one value per channel and std > 0, got "
                f"mean {self.mean}, std {self.std}"
            )

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3 or input_shape[0] != len(self.mean):
            raise ValueError(
                f"{self.describe()}: expects images ({len(self.mean)}, H, W), got input shape "
                f"(None, {', '.join(map(str, input_shape))})"
            )
        return input_shape

    def call(self, x, training=False):
        return (x - _constant(self.mean, x)) * _constant([1 / s for s in self.std], x)

    def transform(self, images):
        """The same on a raw NumPy array (N, C, H, W), float32."""
        mean = np.asarray(self.mean, dtype=np.float32).reshape(1, -1, 1, 1)
        scale = np.asarray([1 / s for s in self.std], dtype=np.float32).reshape(1, -1, 1, 1)
        return ((np.asarray(images, dtype=np.float32) - mean) * scale).astype(np.float32)

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "std": self.std}


class DiracConv2D(Conv2D):
    """Conv2D whose first min(filters, C_in) filters start as the identity (a 1 at the kernel's
    centre on their own input channel, airbench's implicit residual), the others drawn from
    ``kernel_initializer`` (default PyTorch's uniform(+-1/sqrt(fan_in))). Odd kernel sizes only."""

    def __init__(self, filters=None, kernel_size=3, kernel_initializer=None, **kwargs):
        init = torch_default_init() if kernel_initializer is None else kernel_initializer
        super().__init__(filters, kernel_size, kernel_initializer=init, **kwargs)
        if any(k % 2 == 0 for k in self.kernel_size):
            raise ValueError(
                f"DiracConv2D: the identity needs an odd kernel size, got {self.kernel_size}"
            )

    def create_weights(self, input_shape):
        super().create_weights(input_shape)
        dirac_(self.kernel.data)


def dirac_(kernel):
    """Set the first min(C_out, C_in) filters of ``kernel`` (C_out, C_in, kh, kw) to the identity,
    in place: filter i is 1 at the centre of input channel i, 0 elsewhere. Returns the kernel."""
    c_out, c_in, kh, kw = kernel.shape
    n = min(c_out, c_in)
    kernel[:n] = 0
    kernel[np.arange(n), np.arange(n), kh // 2, kw // 2] = 1
    return kernel


class ScaledBiasBatchNorm(BatchNormalization):
    """BatchNormalization without a trained scale (gamma stays 1) whose bias is ``bias_scale``
    times the trained parameter: y = xhat + bias_scale * beta'. Plain SGD on beta' then moves the
    effective bias bias_scale**2 times faster than on a plain bias while its weight decay (a
    fraction of the parameter) is unchanged: airbench's separate learning rate for BatchNorm
    biases (64x = 8**2) without a second parameter group. airbench's statistics: momentum 0.6
    (Keras's convention: moving = 0.6 moving + 0.4 batch), epsilon 1e-12."""

    def __init__(self, bias_scale=8.0, momentum=0.6, epsilon=1e-12, **kwargs):
        kwargs.setdefault("center", True)
        kwargs.setdefault("scale", False)
        super().__init__(momentum=momentum, epsilon=epsilon, **kwargs)
        if not bias_scale > 0:
            raise ValueError(f"ScaledBiasBatchNorm: bias_scale must be > 0, got {bias_scale!r}")
        self.bias_scale = float(bias_scale)

    def call(self, x, training=False):
        if training and x.size == x.shape[1]:
            return super().call(x, training)  # its error for one value per channel
        mean, var = self.moving_mean.data, self.moving_variance.data
        if training and not self._updating():
            mean, var = mean.copy(), var.copy()
        beta = self.beta * self.bias_scale
        return F.batch_norm(
            x, self.gamma, beta, mean, var, training, self.momentum, self.epsilon, self.sync
        )

    def get_config(self):
        return {**super().get_config(), "bias_scale": self.bias_scale}


class GELU(Layer):
    """F.gelu as a layer with its ``approximate`` choice: "none" (x * Phi(x), PyTorch's nn.GELU
    default, airbench's) or "tanh" (PyTorch's approximate="tanh", within 5e-4 of it and, on the
    CPU, much cheaper than tinynet's float64 erf)."""

    def __init__(self, approximate="none", **kwargs):
        super().__init__(**kwargs)
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def call(self, x, training=False):
        return F.gelu(x, approximate=self.approximate)

    def get_config(self):
        return {**super().get_config(), "approximate": self.approximate}


class Scale(Layer):
    """x * factor (airbench multiplies its logits by 1/9)."""

    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = float(factor)

    def call(self, x, training=False):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}

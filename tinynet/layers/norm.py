"""BatchNormalization over the channel axis (axis 1): (N, C) or (N, C, H, W)."""

from .. import functional as F
from . import initializers
from .base import Layer, shape_str


class BatchNormalization(Layer):
    """y = gamma * (x - mean) / sqrt(var + epsilon) + beta per channel. Training uses the batch's
    statistics and updates the moving ones (moving = momentum * moving + (1 - momentum) * batch);
    inference uses the moving statistics. A frozen layer (``trainable=False``, or inside a frozen
    model) keeps its moving statistics unchanged. Training on a batch of one sample of (N, C) input
    raises (one value per channel has no variance), as in Keras and PyTorch; ``fit`` merges a
    last batch of one into the batch before it. ``sync``: set by data-parallel fit to its
    communicator, so training normalises with the global batch's statistics (F.batch_norm's
    ``sync``); None otherwise."""

    sync = None

    def __init__(
        self,
        axis=1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        **kwargs,
    ):
        for legacy in ("mode",):  # Keras 1 argument; mode 0 is the only one kept
            if kwargs.pop(legacy, 0) != 0:
                raise ValueError(
                    f"BatchNormalization: Keras 1 {legacy}={legacy!r} other than 0 is not supported"
                )
        super().__init__(**kwargs)
        self.axis = axis
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.inits = {
            k: initializers.get(v)
            for k, v in (
                ("beta", beta_initializer),
                ("gamma", gamma_initializer),
                ("moving_mean", moving_mean_initializer),
                ("moving_variance", moving_variance_initializer),
            )
        }

    def compute_output_shape(self, input_shape):
        if len(input_shape) not in (1, 3):
            raise ValueError(
                f"{self.describe()}: expects (None, C) or (None, C, H, W) input; received "
                f"{shape_str((None,) + tuple(input_shape))}"
            )
        ndim = len(input_shape) + 1
        if self.axis not in (1, 1 - ndim) and not (ndim == 2 and self.axis == -1):
            raise ValueError(
                f"{self.describe()}: tinynet normalizes over the channel axis 1 "
                f"(channels-first); got axis={self.axis} for input of shape "
                f"{shape_str((None,) + tuple(input_shape))}"
            )
        return input_shape

    def create_weights(self, input_shape):
        C = (input_shape[0],)
        # without scale / center, gamma / beta stay constant ones / zeros
        self.add_weight("gamma", C, self.inits["gamma"], trainable=self.scale)
        self.add_weight("beta", C, self.inits["beta"], trainable=self.center)
        self.add_weight("moving_mean", C, self.inits["moving_mean"], trainable=False)
        self.add_weight("moving_variance", C, self.inits["moving_variance"], trainable=False)

    def call(self, x, training=False):
        if training and x.size == x.shape[1]:
            raise ValueError(
                f"{self.describe()}: expected more than 1 value per channel when training, got "
                f"input of shape {shape_str(x.shape)}; train on batches of 2 or more samples"
            )
        mean, var = self.moving_mean.data, self.moving_variance.data
        if training and not self._updating():
            mean, var = mean.copy(), var.copy()
        return F.batch_norm(
            x, self.gamma, self.beta, mean, var, training, self.momentum, self.epsilon, self.sync
        )

    def _updating(self):
        """Whether this step may change the layer: its gamma/beta take gradients (a model sets
        ``requires_grad`` from the effective ``trainable`` of every step)."""
        if self.scale:
            return self.gamma.requires_grad
        if self.center:
            return self.beta.requires_grad
        return self._trainable

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **{f"{k}_initializer": initializers.serialize(v) for k, v in self.inits.items()},
        }

"""Activation functions by Keras name: Tensor -> Tensor of the same shape."""

from .. import functional as F

FUNCTIONS = {
    "relu": F.relu,
    "tanh": F.tanh,
    "sigmoid": F.sigmoid,
    "softmax": lambda x: F.softmax(x, axis=-1),
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "gelu": F.gelu,
    "linear": None,
}


def get(activation, who):
    """(name, function) for a name, None ('linear') or a callable on Tensors. ``who`` names the
    layer in the error for an unknown name."""
    if activation is None:
        return "linear", None
    if isinstance(activation, str):
        key = activation.lower()
        if key not in FUNCTIONS:
            raise ValueError(
                f"{who}: unknown activation {activation!r}; known: " + ", ".join(sorted(FUNCTIONS))
            )
        return key, FUNCTIONS[key]
    if callable(activation):
        return getattr(activation, "__name__", "custom"), activation
    raise TypeError(f"{who}: activation must be a name or a callable, got {activation!r}")


def serialize(name, fn, who):
    if name in FUNCTIONS and FUNCTIONS[name] is fn:
        return name
    raise ValueError(
        f"{who}: cannot save a custom activation function ({name}); use one of "
        + ", ".join(sorted(FUNCTIONS))
    )


class ActivationMixin:
    """For layers with an ``activation=`` argument: fused losses can ask for the pre-activation."""

    def _set_activation(self, activation):
        self.activation_name, self.activation_fn = get(activation, type(self).__name__)

    def _activate(self, y):
        return y if self.activation_fn is None else self.activation_fn(y)

    @property
    def output_activation(self):
        return self.activation_name

    def call_pre_activation(self, x, training=False):
        return self.affine(self.check_input(x), training)

    def call(self, x, training=False):
        return self._activate(self.affine(x, training))

    def activation_config(self):
        return serialize(self.activation_name, self.activation_fn, self.describe())

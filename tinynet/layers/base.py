"""Layer: the base of every Keras-style layer (and of Sequential).

A layer knows the shape of one sample (the batch dimension excluded; images channels-first
(C, H, W)). ``build(input_shape, dtype)`` checks the shape, computes the output shape and creates
the weights; ``layer(x, training)`` maps a Tensor (N, *input_shape) to a Tensor
(N, *output_shape). Subclasses define:

    compute_output_shape(input_shape) -> output_shape   (raise ValueError for a bad input shape)
    create_weights(input_shape)        self.add_weight(...) for each parameter
    call(x, training)                  the forward pass on Tensors
    get_config()                       constructor arguments, JSON-able, for model files
"""

import re

import numpy as np

from .. import autograd as _autograd
from ..autograd import Tensor
from ..backend import asnumpy, device_of, to_device
from . import initializers
from .hooks import RemovableHandle, call_hooked

_name_counts = {}
_REGISTRY = {}


def snake_case(name):
    """'Conv2D' -> 'conv2d', 'MaxPooling2D' -> 'max_pooling2d' (Keras's rule)."""
    s = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", s).lower()


def unique_name(prefix):
    """'dense' -> 'dense_1', then 'dense_2', ... (per process, like Keras)."""
    _name_counts[prefix] = _name_counts.get(prefix, 0) + 1
    return f"{prefix}_{_name_counts[prefix]}"


def reset_names():
    """Start layer numbering again at 1 (Keras's ``clear_session`` for names)."""
    _name_counts.clear()


def layer_class(class_name):
    """The Layer subclass registered under ``class_name`` (for loading model files)."""
    try:
        return _REGISTRY[class_name]
    except KeyError:
        raise ValueError(
            f"unknown layer class {class_name!r}; known: {', '.join(sorted(_REGISTRY))}"
        ) from None


def shape_str(shape):
    return (
        "("
        + ", ".join("None" if d is None else str(d) for d in shape)
        + ("," if len(shape) == 1 else "")
        + ")"
    )


class Layer:
    """Base layer. Keyword arguments shared by every layer: ``name``, ``trainable``,
    ``input_shape`` (one sample's shape, for the first layer), ``batch_input_shape``,
    ``input_dim`` (= ``input_shape=(input_dim,)``) and ``dtype`` (default float32)."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.__name__] = cls

    def __init__(
        self,
        name=None,
        trainable=True,
        input_shape=None,
        batch_input_shape=None,
        input_dim=None,
        dtype=None,
        **unknown,
    ):
        kind = type(self).__name__
        if unknown:
            raise TypeError(
                f"{kind}: unexpected keyword argument(s) {', '.join(map(repr, unknown))}"
            )
        if input_shape is None and batch_input_shape is not None:
            input_shape = tuple(batch_input_shape)[1:]
        if input_shape is None and input_dim is not None:
            input_shape = (input_dim,)
        self.declared_input_shape = None if input_shape is None else _as_shape(input_shape, kind)
        self.name = name or unique_name(snake_case(kind))
        self.dtype = None if dtype is None else np.dtype(dtype)
        self._trainable = bool(trainable)
        self._weights, self._weight_trainable, self._weight_names = [], [], []
        self.built = False
        self.input_shape = self.output_shape = None
        self._forward_hooks = {}
        self._backward_hooks = {}

    # ----- building -----
    def build(self, input_shape, dtype=None):
        """Check ``input_shape`` (one sample, no batch dim), compute the output shape, create the
        weights in ``dtype`` (default: the layer's dtype, else float32). Building again with the
        same shape only converts the weights to a new ``dtype``; another shape is a ValueError."""
        input_shape = _as_shape(input_shape, self.name)
        if self.built:
            if input_shape != self.input_shape:
                raise self.shape_error(input_shape)
            if dtype is not None and np.dtype(dtype) != self.dtype:
                self.cast(dtype)
            return self
        if self.declared_input_shape is not None and input_shape != self.declared_input_shape:
            raise ValueError(
                f"{self.describe()}: declared input_shape={shape_str(self.declared_input_shape)} "
                f"but the layer before it gives {shape_str(input_shape)}"
            )
        self.dtype = np.dtype(dtype if dtype is not None else (self.dtype or "float32"))
        self.output_shape = tuple(self.compute_output_shape(input_shape))
        self.create_weights(input_shape)
        self.input_shape, self.built = input_shape, True
        return self

    def compute_output_shape(self, input_shape):
        return input_shape

    def create_weights(self, input_shape):
        pass

    def add_weight(self, name, shape, initializer="zeros", trainable=True, fans=None):
        """Create a parameter Tensor (``requires_grad`` when trainable), store it as
        ``self.<name>`` and return it."""
        init = initializers.get(initializer)
        data = init(shape, self.dtype, fans) if fans is not None else init(shape, self.dtype)
        t = Tensor(
            np.ascontiguousarray(data, dtype=self.dtype),
            requires_grad=trainable and self._trainable,
            name=f"{self.name}/{name}",
        )
        self._weights.append(t)
        self._weight_trainable.append(trainable)
        self._weight_names.append(name)
        setattr(self, name, t)
        return t

    # ----- calling -----
    def __call__(self, x, training=False):
        """x: Tensor or array (N, *input_shape) -> Tensor (N, *output_shape)."""
        x = self.check_input(x)
        if self._backward_hooks or _autograd._tracer is not None:
            return call_hooked(self, x, training)
        return self.run_forward_hooks(x, self.call(x, training))

    def register_forward_hook(self, fn):
        """Call ``fn(layer, inputs, output)`` after each forward pass (inputs: a tuple of Tensors);
        a non-None result replaces the output. Returns a handle whose ``remove()`` unregisters it."""
        if not callable(fn):
            raise TypeError(
                f"{self.describe()}.register_forward_hook: expected a callable, got "
                f"{type(fn).__name__}"
            )
        return RemovableHandle(self._forward_hooks, fn)

    def register_backward_hook(self, fn):
        """Call ``fn(layer, grad_input, grad_output)`` when backward passes through this layer
        (1-tuples of raw arrays, see layers/hooks.py); a non-None result replaces grad_input.
        Returns a handle whose ``remove()`` unregisters it."""
        if not callable(fn):
            raise TypeError(
                f"{self.describe()}.register_backward_hook: expected a callable, got "
                f"{type(fn).__name__}"
            )
        return RemovableHandle(self._backward_hooks, fn)

    def run_forward_hooks(self, x, out):
        """``out`` after every forward hook has seen (and possibly replaced) it."""
        for fn in list(self._forward_hooks.values()):
            result = fn(self, (x,), out)
            if result is not None:
                out = result
        return out

    def check_input(self, x):
        """x as a Tensor, after building the layer from its shape or checking the shape."""
        if not isinstance(x, Tensor):
            x = Tensor(x)
        if not self.built:
            self.build(
                x.shape[1:],
                self.dtype
                if self.dtype is not None
                else (x.dtype if x.dtype.kind == "f" else None),
            )
        elif x.shape[1:] != self.input_shape:
            raise self.shape_error(x.shape[1:])
        if self._weights and x.dtype != self.dtype:
            raise TypeError(
                f"{self.describe()}: input has dtype {x.dtype} but the layer's weights are "
                f"{self.dtype}; convert the input (x.astype('{self.dtype}'))"
            )
        return x

    def call(self, x, training=False):
        return x

    # The last activation, for losses that fuse it (softmax + cross-entropy). Layers ending in
    # an activation override both.
    @property
    def output_activation(self):
        return None

    def call_pre_activation(self, x, training=False):
        """The output before the final activation named by ``output_activation`` (the logits)."""
        raise NotImplementedError(f"{self.describe()} has no separable output activation")

    def shape_error(self, received):
        return ValueError(
            f"{self.describe()}: expected input shape {shape_str((None,) + tuple(self.input_shape))}, "
            f"received input with shape {shape_str((None,) + tuple(received))}"
        )

    def describe(self):
        return f"layer {self.name!r} ({type(self).__name__})"

    # ----- weights -----
    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        """Takes effect on the weights at once (a model's too: ``model.trainable = False`` freezes
        every weight inside; True gives each layer back its own flags)."""
        self._trainable = bool(value)
        set_trainable_grads([self])

    @property
    def weights(self):
        """Every variable, in a fixed order (kernel, bias, ... moving statistics)."""
        return list(self._weights)

    @property
    def trainable_weights(self):
        if not self._trainable:
            return []
        return [w for w, kind in zip(self._weights, self._weight_trainable) if kind]

    @property
    def non_trainable_weights(self):
        ids = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in ids]

    params = trainable_weights

    def weight_names(self):
        return [f"{self.name}/{n}" for n in self._weight_names]

    def get_weights(self):
        """Copies of the weights as NumPy arrays."""
        return [np.array(asnumpy(w.data)) for w in self.weights]

    def set_weights(self, values):
        """Overwrite the weights in place from arrays of the same shapes (any device, any float dtype)."""
        weights = self.weights
        values = list(values)
        if len(values) != len(weights):
            raise ValueError(
                f"{self.describe()}.set_weights: expected {len(weights)} arrays, got {len(values)}"
            )
        for w, v, name in zip(weights, values, self.weight_names()):
            if tuple(v.shape) != w.shape:
                raise ValueError(
                    f"{self.describe()}.set_weights: {name} has shape {w.shape}, got an "
                    f"array of shape {tuple(v.shape)}"
                )
        for w, v in zip(weights, values):
            w.data[...] = to_device(v, device_of(w.data))

    def count_params(self):
        return int(sum(w.size for w in self.weights))

    def cast(self, dtype):
        """Convert the weights to ``dtype`` (e.g. 'float64' for gradient checks), in place."""
        self.dtype = np.dtype(dtype)
        for w in self.weights:
            w.data = w.data.astype(self.dtype)
            w.grad = None
        return self

    def to(self, device):
        """Move the weights to ``device`` ("cpu" or "gpu"), in place; returns self."""
        for w in self.weights:
            w.data = to_device(w.data, device)
            w.grad = None
        return self

    # ----- configuration -----
    def get_config(self):
        config = {"name": self.name, "trainable": self._trainable}
        if self.declared_input_shape is not None:
            config["input_shape"] = list(self.declared_input_shape)
        if self.dtype is not None and self.dtype != np.float32:
            config["dtype"] = self.dtype.name
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        shape = (
            ""
            if not self.built
            else f", {shape_str(self.input_shape)} -> {shape_str(self.output_shape)}"
        )
        return f"<{type(self).__name__} {self.name!r}{shape}>"


def set_trainable_grads(layers, params=None):
    """Let exactly ``params`` (weight Tensors; default: each layer's own ``trainable_weights``)
    take gradients among the weights of ``layers`` (Layers or models), and clear every ``.grad``.
    Every other weight becomes a constant: backward() computes no gradient for it, and a
    BatchNormalization whose gamma and beta are constants keeps its moving statistics.
    Returns ``params`` as a list (what an optimizer should step)."""
    layers = list(layers)
    params = (
        [w for layer in layers for w in layer.trainable_weights] if params is None else list(params)
    )
    ids = {id(p) for p in params}
    for layer in layers:
        for w in layer.weights:
            w.requires_grad = id(w) in ids
            w.grad = None
    return params


def _as_shape(shape, who):
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        out = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise ValueError(f"{who}: a shape must be a tuple of ints, got {shape!r}") from None
    if any(d < 1 for d in out):
        raise ValueError(f"{who}: shape dimensions must be positive, got {shape!r}")
    return out


def functional_call(layer, weights, x, training=False):
    """Call ``layer`` with its weight Tensors temporarily replaced by ``weights`` (same order as
    ``layer.weights``): lets ``tinynet.gradcheck.check_grad`` differentiate in the weights."""
    originals = list(layer._weights)
    if len(weights) != len(originals):
        raise ValueError(
            f"functional_call: {layer.describe()} has {len(originals)} weights, got {len(weights)}"
        )
    _rebind(layer, weights)
    try:
        return layer(x, training)
    finally:
        _rebind(layer, originals)


def _rebind(layer, tensors):
    layer._weights = list(tensors)
    for name, t in zip(layer._weight_names, tensors):
        setattr(layer, name, t)

"""Sequential: a stack of layers, the Model the course's Keras code builds.

    model = Sequential([Conv2D(20, 5, padding="same", activation="relu", input_shape=(1, 28, 28)), ...])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=128, epochs=20, validation_split=0.2)
    loss, acc = model.evaluate(x_test, y_test); probs = model.predict(x_test)
    model.save("lenet.tnz"); model = load_model("lenet.tnz")

Sequential keeps the structure (add, pop, build, call, config); training is Model's and
Trainer's. Softmax + categorical cross-entropy and sigmoid + binary cross-entropy train on the
logits of the last layer with the fused stable ops; ``predict`` returns probabilities.
"""

import numpy as np

from ..layers.base import Layer, _as_shape, set_trainable_grads
from ..layers.hooks import call_hooked
from .config import layer_config, layer_from_config
from .model import Model


class Sequential(Model):
    """A linear stack of layers; itself a Layer, so a model can be added to another model."""

    def __init__(self, layers=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._stack = []
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self):
        return self._stack

    # ----- structure -----
    def add(self, layer):
        """Append a layer, building it at once when the shape coming in is known (a wrong
        shape is reported here, naming the layer)."""
        if not isinstance(layer, Layer):
            raise TypeError(f"{self.name}.add: expected a Layer, got {type(layer).__name__}")
        if layer is self:
            raise ValueError(f"{self.name}.add: a model cannot contain itself")
        if self._stack:
            last = self._stack[-1]
            if last.built:
                layer.build(last.output_shape, self.dtype)
        else:
            shape = (
                self.declared_input_shape
                or layer.declared_input_shape
                or (layer.input_shape if layer.built else None)
            )
            if shape is not None:
                if self.dtype is None:
                    self.dtype = layer.dtype
                layer.build(shape, self.dtype)
        if layer.built:
            layer.to(self.device)
        self._stack.append(layer)
        self._sync_built()

    def pop(self):
        """Remove the last layer."""
        if not self._stack:
            raise ValueError(f"{self.name}.pop: the model has no layers")
        self._stack.pop()
        self._sync_built()

    def _sync_built(self):
        self.built = bool(self._stack) and all(layer.built for layer in self._stack)
        if not self._trainable:
            set_trainable_grads([self])  # layers added to a frozen model are frozen too
        if self.built:
            self.input_shape, self.output_shape = (
                self._stack[0].input_shape,
                self._stack[-1].output_shape,
            )
            self.dtype = self._stack[0].dtype
        else:
            self.input_shape = self.output_shape = None

    def build(self, input_shape=None, dtype=None):
        """Build every layer from ``input_shape`` (one sample; default: the first layer's
        ``input_shape``) in ``dtype`` (default float32; 'float64' for gradient checks converts
        the weights of layers already built). ``Sequential(layers, dtype='float64')`` builds
        float64 from the start."""
        if not self._stack:
            raise ValueError(f"{self.name}: add layers before building the model")
        first = self._stack[0]
        if input_shape is None:
            input_shape = (
                self.declared_input_shape or first.declared_input_shape or first.input_shape
            )
            if input_shape is None:
                raise ValueError(
                    f"{self.name}: the input shape is unknown; give input_shape= to the first "
                    f"layer, or call build(input_shape), fit or predict"
                )
        shape = _as_shape(input_shape, self.name)
        dtype = np.dtype(dtype if dtype is not None else (self.dtype or "float32"))
        for layer in self._stack:
            layer.build(shape, dtype)
            layer.to(self.device)
            shape = layer.output_shape
        self.dtype = dtype
        self._sync_built()
        return self

    def compute_output_shape(self, input_shape):
        for layer in self._stack:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    # ----- forward -----
    def call(self, x, training=False):
        for layer in self._stack:
            x = layer(x, training)
        return x

    @property
    def output_activation(self):
        return self._stack[-1].output_activation if self._stack else None

    def call_pre_activation(self, x, training=False):
        """The output before the last layer's activation (the logits of a softmax classifier);
        the last layer's forward hooks see these logits, its backward hooks their gradient."""
        x = self.check_input(x)
        for layer in self._stack[:-1]:
            x = layer(x, training)
        return call_hooked(self._stack[-1], x, training, pre_activation=True)

    # ----- configuration -----
    def get_config(self):
        config = super().get_config()
        config["layers"] = [layer_config(layer) for layer in self._stack]
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        layers = config.pop("layers")
        model = cls(**config)
        for spec in layers:
            model.add(layer_from_config(spec))
        return model

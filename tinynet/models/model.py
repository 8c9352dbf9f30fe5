"""Model: a Layer that trains. Layers assigned as attributes are tracked; ``call`` is yours.

    class Classifier(Model):
        def __init__(self, hidden=64, **kwargs):
            super().__init__(**kwargs)
            self.hidden = hidden
            self.features = Dense(hidden, activation="relu")
            self.head = Dense(10, activation="softmax")

        def call(self, x, training=False):
            return self.head(self.features(x, training), training)

        def get_config(self):
            return {**super().get_config(), "hidden": self.hidden}

    model = Classifier(input_shape=(784,))
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2); model.save("clf.tnz"); load_model("clf.tnz")

Model supplies Trainer's steps for a compiled loss: ``train_step`` runs the forward pass, the loss
(on the logits with the fused stable op when the loss fuses the model's output activation),
backward and one optimizer step; ``test_step`` the same without the update. Data: x (N,
*input_shape) NumPy or CuPy arrays, cast to the model's dtype batch by batch (uint8 images are not
rescaled). ``trainable`` is read again at every step: ``model.trainable = False`` freezes it in
every model that contains it. A subclass is registered by its class name, so model files find it
(define it before calling load_model); its ``get_config`` returns its constructor arguments.
"""

import warnings

import numpy as np

from ..autograd import Tensor, no_grad
from ..backend import asnumpy, to_device
from ..layers.base import Layer, _as_shape, set_trainable_grads, shape_str
from ..training import losses as losses_mod
from ..training import metrics as metrics_mod
from ..training import optimizers
from ..training.data import as_array, unpack_item
from ..training.trainer import Trainer
from . import saving

# Keras's compile arguments for several outputs or per-timestep weights: accepted when None
COMPILE_EXTRAS = ("loss_weights", "sample_weight_mode", "weighted_metrics", "target_tensors")
KERAS_LOADING = ("max_queue_size", "workers", "use_multiprocessing")


def _check_loading_args(model, who, loading, callbacks):
    unknown = [k for k in loading if k not in KERAS_LOADING]
    if unknown:
        raise TypeError(f"{model.name}.{who}: unexpected keyword argument(s) {unknown}")
    if callbacks:
        raise ValueError(f"{model.name}.{who}: callbacks are not supported here; use fit's")


class Model(Layer, Trainer):
    """A layer with compile / fit / evaluate / predict / save; sublayers found by attribute."""

    def __init__(self, name=None, **kwargs):
        object.__setattr__(self, "_tracked", {})
        super().__init__(name=name, **kwargs)
        self.optimizer = self.loss = None
        self.metrics, self._compile_spec = [], None
        self.device = "cpu"

    def __setattr__(self, key, value):
        tracked = self.__dict__.get("_tracked")
        if tracked is not None and not key.startswith("_"):
            if isinstance(value, Layer) and value is not self:
                tracked[key] = [value]
            elif (
                isinstance(value, (list, tuple))
                and value
                and all(isinstance(v, Layer) for v in value)
            ):
                tracked[key] = list(value)
            else:
                tracked.pop(key, None)
        object.__setattr__(self, key, value)

    @property
    def layers(self):
        """The sublayers, in the order they were assigned (each once)."""
        out = []
        for group in self._tracked.values():
            for layer in group:
                if all(layer is not o for o in out):
                    out.append(layer)
        return out

    # ----- building -----
    def build(self, input_shape=None, dtype=None):
        """Build from ``input_shape`` (one sample) by one forward pass on a zero batch, which
        builds every sublayer; ``dtype`` default float32."""
        if input_shape is None:
            input_shape = self.declared_input_shape or self.input_shape
            if input_shape is None:
                raise ValueError(
                    f"{self.name}: the input shape is unknown; give input_shape= or call "
                    f"build(input_shape), fit or predict"
                )
        shape = _as_shape(input_shape, self.name)
        dtype = np.dtype(dtype if dtype is not None else (self.dtype or "float32"))
        if self.built and shape == self.input_shape:
            if dtype != self.dtype:
                self.cast(dtype)
            return self
        with no_grad():
            out = self.call(Tensor(np.zeros((1,) + shape, dtype=dtype)), training=False)
        self.input_shape, self.output_shape = shape, tuple(out.shape[1:])
        self.dtype, self.built = dtype, True
        self.to(self.device)
        return self

    def cast(self, dtype):
        """Convert every weight (sublayers' too) to ``dtype``, in place."""
        for layer in self.layers:
            layer.cast(dtype)
        self.dtype = np.dtype(dtype)
        for w in self._weights:
            w.data, w.grad = w.data.astype(self.dtype), None
        return self

    def _require_built(self, x=None):
        if not self.built:
            self.build(None if x is None else tuple(x.shape[1:]))

    def _check_x(self, x):
        if tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(
                f"{self.describe()}: expected input shape {shape_str((None,) + self.input_shape)}, "
                f"received input with shape {shape_str(x.shape)}"
            )

    # ----- weights -----
    def _unique(self, own, per_layer):
        """``own`` then each sublayer's items, each weight once: items are (weight, value) pairs."""
        out, seen = [], set()
        for w, value in own + [item for layer in self.layers for item in per_layer(layer)]:
            if id(w) not in seen:
                seen.add(id(w))
                out.append(value)
        return out

    @property
    def weights(self):
        return self._unique(
            [(w, w) for w in self._weights], lambda layer: [(w, w) for w in layer.weights]
        )

    @property
    def trainable_weights(self):
        if not self._trainable:
            return []
        own = [(w, w) for w, kind in zip(self._weights, self._weight_trainable) if kind]
        return self._unique(own, lambda layer: [(w, w) for w in layer.trainable_weights])

    params = trainable_weights

    def weight_names(self):
        own = list(zip(self._weights, super().weight_names()))
        return self._unique(own, lambda layer: list(zip(layer.weights, layer.weight_names())))

    def to(self, device):
        """Move the weights and the optimizer's state to ``device`` ("cpu" or "gpu"); batches
        follow the model. Returns self."""
        for layer in self.layers:
            layer.to(device)
        super().to(device)
        if self.optimizer is not None:
            self.optimizer.to(device)
        self.device = device
        return self

    # ----- compile -----
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, **ignored):
        """optimizer: name or Optimizer; loss: Keras name, Loss or fn(y_true, y_pred);
        metrics: e.g. ["accuracy"] (shown as 'acc')."""
        for k, v in ignored.items():
            if k not in COMPILE_EXTRAS:
                raise TypeError(f"{self.name}.compile: unexpected keyword argument {k!r}")
            if v is not None and not (k in ("weighted_metrics", "target_tensors") and not v):
                raise ValueError(
                    f"{self.name}.compile: {k}={v!r} is not supported (tinynet models have one "
                    f"output and per-sample weights: give sample_weight= to fit); leave it None"
                )
        if loss is None:
            raise ValueError(
                f"{self.name}.compile: a loss is required, e.g. loss='categorical_crossentropy'"
            )
        if isinstance(metrics, (str, dict)) or (metrics is not None and callable(metrics)):
            metrics = [metrics]
        self.optimizer = optimizers.get(optimizer)
        if self.device != "cpu":
            self.optimizer.to(self.device)
        self.loss = losses_mod.get(loss)
        self._compile_spec = list(metrics or [])
        self.metrics = None
        if self.built:
            self._resolve_metrics()

    def _resolve_metrics(self):
        if self.metrics is None:
            self.metrics = [
                metrics_mod.get(m, self.loss.name, self.output_shape) for m in self._compile_spec
            ]
            names = [m.name for m in self.metrics]
            if len(set(names)) != len(names) or "loss" in names:
                raise ValueError(f"{self.name}.compile: metric names must be distinct, got {names}")
        return self.metrics

    @property
    def metrics_names(self):
        self.check_compiled("metrics_names")
        self._require_built()
        return ["loss"] + [m.name for m in self._resolve_metrics()]

    def check_compiled(self, who):
        if self.loss is None:
            raise RuntimeError(
                f"{self.name}.{who}: compile the model first (model.compile(optimizer, loss))"
            )

    # ----- Trainer's steps -----
    def _fused(self):
        act = self.output_activation
        return act if act is not None and act == self.loss.fuses else None

    def _forward_loss(self, x, t, w, training):
        fused = self._fused()
        if fused:
            out = self.call_pre_activation(x, training)
            return self.loss.from_logits(out, t, w), out, fused
        out = self(x, training)
        return self.loss(out, t, w), out, None

    def _logs(self, loss, out, t, fused):
        n = out.shape[0]
        logs = {"loss": loss.data}
        for m in self._resolve_metrics():
            logs[m.name] = m(out.data, t, fused) / n
        return logs

    def train_step(self, batch):
        """One update on a device batch (x, t[, w]); returns the batch's loss and metrics."""
        x, t, w = (tuple(batch) + (None,))[:3]
        trainable = set_trainable_grads([self])
        if trainable:
            loss, out, fused = self._forward_loss(x, t, w, training=True)
            loss.backward()
            self.optimizer.step(trainable)
        else:
            with no_grad():
                loss, out, fused = self._forward_loss(x, t, w, training=True)
        return self._logs(loss, out, t, fused)

    def test_step(self, batch):
        x, t, w = (tuple(batch) + (None,))[:3]
        with no_grad():
            loss, out, fused = self._forward_loss(x, t, w, training=False)
        return self._logs(loss, out, t, fused)

    def predict_step(self, batch):
        with no_grad():
            return self(batch[0], training=False).data

    # ----- Trainer's data hooks -----
    def _arrays(self, x, y, sample_weight, class_weight, who, warn):
        if y is None:
            raise ValueError(f"{who}: y is required with array inputs")
        x = as_array(x, "x")
        self._require_built(x)
        self._check_x(x)
        if warn and x.dtype.kind in "iu" and x.dtype.itemsize == 1:
            warnings.warn(
                f"{self.name}: x has dtype {x.dtype}; it is cast to {self.dtype} but not "
                f"rescaled (divide images by 255 first)",
                UserWarning,
                stacklevel=4,
            )
        t = self.loss.prepare(asnumpy(y), self.output_shape, self.dtype)
        if len(t) != len(x):
            raise ValueError(f"{who}: x has {len(x)} samples but y has {len(t)}")
        w = losses_mod.sample_weights(y, t, class_weight, sample_weight)
        return (x, t) if w is None else (x, t, w)

    def fit_arrays(self, x, y, sample_weight, class_weight, who):
        return self._arrays(x, y, sample_weight, class_weight, who, warn=True)

    def iterator_arrays(self, item, class_weight, who):
        x, y, w = unpack_item(item, who)
        return self._arrays(x, y, w, class_weight, who, warn=False)

    def predict_arrays(self, x, who):
        x = as_array(x, "x")
        self._require_built(x)
        self._check_x(x)
        return (x,)

    def _to_model(self, a):
        if a.dtype != self.dtype:
            a = a.astype(self.dtype)
        return to_device(a, self.device)

    def device_batch(self, arrays):
        x, rest = arrays[0], arrays[1:]
        out = [self._to_model(x)]
        if rest:
            out.append(to_device(rest[0], self.device))
        if len(rest) > 1:
            out.append(self._to_model(rest[1]))
        return tuple(out)

    def empty_prediction(self):
        return np.zeros((0,) + tuple(self.output_shape), dtype=self.dtype)

    # ----- Keras 2 names of the same calls -----
    def fit_generator(
        self,
        generator,
        steps_per_epoch=None,
        epochs=1,
        verbose=1,
        callbacks=None,
        validation_data=None,
        validation_steps=None,
        class_weight=None,
        initial_epoch=0,
        **legacy,
    ):
        """Keras's fit on an iterator of (x, y) batches; same as ``fit(generator, ...)``."""
        legacy.pop("shuffle", None)
        return self.fit(
            generator,
            None,
            epochs=epochs,
            verbose=verbose,
            callbacks=callbacks,
            validation_data=validation_data,
            validation_steps=validation_steps,
            class_weight=class_weight,
            initial_epoch=initial_epoch,
            steps_per_epoch=steps_per_epoch,
            **legacy,
        )

    def evaluate_generator(self, generator, steps=None, callbacks=None, verbose=0, **loading):
        """Keras's evaluate on an iterator; ``max_queue_size``, ``workers`` and
        ``use_multiprocessing`` (how Keras loads batches) are accepted, anything else refused."""
        _check_loading_args(self, "evaluate_generator", loading, callbacks)
        return self.evaluate(generator, steps=steps, verbose=verbose)

    def predict_generator(self, generator, steps=None, callbacks=None, verbose=0, **loading):
        """Keras's predict on an iterator (the loading arguments as in evaluate_generator)."""
        _check_loading_args(self, "predict_generator", loading, callbacks)
        return self.predict(generator, steps=steps, verbose=verbose)

    def predict_proba(self, x, batch_size=None, verbose=0):
        return self.predict(x, batch_size, verbose)

    def predict_classes(self, x, batch_size=None, verbose=0):
        """Class indices: argmax of the outputs, or output > 0.5 for a single output."""
        p = self.predict(x, batch_size, verbose)
        if p.shape[-1] > 1:
            return p.argmax(axis=-1)
        return (p > 0.5).astype("int32")

    # ----- description -----
    def summary(self, line_length=None, positions=None, print_fn=None):
        """Print Keras's table: Layer (type), Output Shape, Param #, then the totals."""
        self._require_built()
        print_fn = print_fn or print
        line_length = line_length or 65
        positions = [int(line_length * p) for p in (positions or (0.45, 0.85, 1.0))]

        def row(fields):
            line = ""
            for i, field in enumerate(fields):
                if i > 0:
                    line = line[:-1] + " "
                line += str(field)
                line = line[: positions[i]]
                line += " " * (positions[i] - len(line))
            print_fn(line)

        print_fn("_" * line_length)
        row(["Layer (type)", "Output Shape", "Param #"])
        print_fn("=" * line_length)
        layers = self.layers
        for i, layer in enumerate(layers):
            shape = shape_str((None,) + tuple(layer.output_shape)) if layer.built else "?"
            row([f"{layer.name} ({type(layer).__name__})", shape, layer.count_params()])
            print_fn("=" * line_length if i == len(layers) - 1 else "_" * line_length)
        trainable = int(sum(w.size for w in self.trainable_weights))
        total = self.count_params()
        print_fn(f"Total params: {total:,}")
        print_fn(f"Trainable params: {trainable:,}")
        print_fn(f"Non-trainable params: {total - trainable:,}")
        print_fn("_" * line_length)

    # ----- files -----
    def save(self, filepath, include_optimizer=True):
        """Write architecture (JSON), weights and optimizer state to one file, atomically."""
        saving.save_model(self, filepath, include_optimizer)

    def save_weights(self, filepath):
        saving.save_weights(self, filepath)

    def load_weights(self, filepath):
        saving.load_weights(self, filepath)

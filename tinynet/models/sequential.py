"""Sequential: a stack of layers with Keras's compile / fit / evaluate / predict / save.

    model = Sequential([Conv2D(20, 5, padding="same", activation="relu", input_shape=(1, 28, 28)), ...])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=128, epochs=20, validation_split=0.2)
    loss, acc = model.evaluate(x_test, y_test); probs = model.predict(x_test)
    model.save("lenet.tnz"); model = load_model("lenet.tnz")

Data: x (N, *input_shape) NumPy (or CuPy) arrays, cast to the model's dtype batch by batch (uint8
images are not rescaled: divide by 255 yourself); or an iterator of (x, y) / (x, y, w) batches.
Softmax + categorical cross-entropy and sigmoid + binary cross-entropy train on the logits
with the fused stable ops; ``predict`` returns probabilities.
``trainable`` takes effect at once and is read again at every training step (not frozen at compile
time, unlike Keras): ``discriminator.trainable = False`` freezes its weights in every model that
contains it (no gradients, BatchNorm moving statistics kept); True gives each layer back its own flag.
"""
import time
import warnings

import numpy as np

from ..autograd import no_grad
from ..backend import asnumpy, get_array_module, to_device
from ..layers.base import Layer, _as_shape, set_trainable_grads, shape_str
from ..training import callbacks as cbks
from ..training import losses as losses_mod
from ..training import metrics as metrics_mod
from ..training import optimizers
from ..training.logs import to_floats
from ..training.data import ArrayData, IteratorData, as_array, is_iterator, legacy_fit_args
from . import saving
from .config import layer_config, layer_from_config


class Sequential(Layer):
    """A linear stack of layers; itself a Layer, so a model can be added to another model."""

    def __init__(self, layers=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.layers = []
        self.optimizer = self.loss = None
        self.metrics, self._compile_spec = [], None
        self.device, self.stop_training, self.history = "cpu", False, None
        self._recording = None
        for layer in layers or []:
            self.add(layer)

    # ----- structure -----
    def add(self, layer):
        """Append a layer, building it at once when the shape coming in is known (a wrong
        shape is reported here, naming the layer)."""
        if not isinstance(layer, Layer):
            raise TypeError(f"{self.name}.add: expected a Layer, got {type(layer).__name__}")
        if layer is self:
            raise ValueError(f"{self.name}.add: a model cannot contain itself")
        if self.layers:
            last = self.layers[-1]
            if last.built:
                layer.build(last.output_shape, self.dtype)
        else:
            shape = self.declared_input_shape or layer.declared_input_shape or (
                layer.input_shape if layer.built else None)
            if shape is not None:
                if self.dtype is None:
                    self.dtype = layer.dtype
                layer.build(shape, self.dtype)
        if layer.built:
            layer.to(self.device)
        self.layers.append(layer)
        self._sync_built()

    def pop(self):
        """Remove the last layer."""
        if not self.layers:
            raise ValueError(f"{self.name}.pop: the model has no layers")
        self.layers.pop()
        self._sync_built()

    def _sync_built(self):
        self.built = bool(self.layers) and all(layer.built for layer in self.layers)
        if not self._trainable:
            set_trainable_grads([self])  # layers added to a frozen model are frozen too
        if self.built:
            self.input_shape, self.output_shape = self.layers[0].input_shape, self.layers[-1].output_shape
            self.dtype = self.layers[0].dtype
        else:
            self.input_shape = self.output_shape = None

    def build(self, input_shape=None, dtype=None):
        """Build every layer from ``input_shape`` (one sample; default: the first layer's
        ``input_shape``) in ``dtype`` (default float32; 'float64' for gradient checks converts
        the weights of layers already built). ``Sequential(layers, dtype='float64')`` builds
        float64 from the start."""
        if not self.layers:
            raise ValueError(f"{self.name}: add layers before building the model")
        first = self.layers[0]
        if input_shape is None:
            input_shape = self.declared_input_shape or first.declared_input_shape or first.input_shape
            if input_shape is None:
                raise ValueError(f"{self.name}: the input shape is unknown; give input_shape= to the first "
                                 f"layer, or call build(input_shape), fit or predict")
        shape = _as_shape(input_shape, self.name)
        dtype = np.dtype(dtype if dtype is not None else (self.dtype or "float32"))
        for layer in self.layers:
            layer.build(shape, dtype)
            layer.to(self.device)
            shape = layer.output_shape
        self.dtype = dtype
        self._sync_built()
        return self

    def compute_output_shape(self, input_shape):
        for layer in self.layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def _require_built(self, x=None):
        if self.built:
            return
        if x is not None:
            self.build(tuple(x.shape[1:]))
        else:
            self.build()

    # ----- forward -----
    def call(self, x, training=False):
        for layer in self.layers:
            x = layer(x, training)
            if self._recording is not None:
                self._recording.append((layer, x.retain_grad()))
        return x

    @property
    def output_activation(self):
        return self.layers[-1].output_activation if self.layers else None

    def call_pre_activation(self, x, training=False):
        """The output before the last layer's activation (the logits of a softmax classifier)."""
        x = self.check_input(x)
        for layer in self.layers[:-1]:
            x = layer(x, training)
            if self._recording is not None:
                self._recording.append((layer, x.retain_grad()))
        x = self.layers[-1].call_pre_activation(x, training)
        if self._recording is not None:
            self._recording.append((self.layers[-1], x.retain_grad()))
        return x

    def record_outputs(self, on):
        """Start (True) keeping each top-level layer's output of the next forward pass with its
        gradient retained; stop (False) and return the [(layer, Tensor)] pairs kept."""
        kept = self._recording or []
        self._recording = [] if on else None
        return kept

    # ----- weights -----
    @property
    def weights(self):
        out, seen = [], set()
        for layer in self.layers:
            for w in layer.weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    @property
    def trainable_weights(self):
        if not self._trainable:
            return []
        out, seen = [], set()
        for layer in self.layers:
            for w in layer.trainable_weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    params = trainable_weights

    def weight_names(self):
        names, seen = [], set()
        for layer in self.layers:
            for w, n in zip(layer.weights, layer.weight_names()):
                if id(w) not in seen:
                    seen.add(id(w))
                    names.append(n)
        return names

    def to(self, device):
        """Move the weights and the optimizer's state to ``device`` ("cpu" or "gpu"); batches
        follow the model. Returns self."""
        for layer in self.layers:
            layer.to(device)
        if self.optimizer is not None:
            self.optimizer.to(device)
        self.device = device
        return self

    # ----- compile -----
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, **ignored):
        """optimizer: name or Optimizer; loss: Keras name, Loss or fn(y_true, y_pred);
        metrics: e.g. ["accuracy"] (shown as 'acc')."""
        for k in ignored:
            if k not in ("loss_weights", "sample_weight_mode", "weighted_metrics", "target_tensors"):
                raise TypeError(f"{self.name}.compile: unexpected keyword argument {k!r}")
        if loss is None:
            raise ValueError(f"{self.name}.compile: a loss is required, e.g. loss='categorical_crossentropy'")
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
            self.metrics = [metrics_mod.get(m, self.loss.name, self.output_shape) for m in self._compile_spec]
            names = [m.name for m in self.metrics]
            if len(set(names)) != len(names) or "loss" in names:
                raise ValueError(f"{self.name}.compile: metric names must be distinct, got {names}")
        return self.metrics

    @property
    def metrics_names(self):
        self._check_compiled("metrics_names")
        return ["loss"] + [m.name for m in self._resolve_metrics()]

    def _check_compiled(self, who):
        if self.loss is None:
            raise RuntimeError(f"{self.name}.{who}: compile the model first (model.compile(optimizer, loss))")
        self._require_built()
        self._resolve_metrics()

    def _fused(self):
        act = self.output_activation
        return act if act is not None and act == self.loss.fuses else None

    # ----- one batch -----
    def _to_model(self, a):
        if a.dtype != self.dtype:
            a = a.astype(self.dtype)
        return to_device(a, self.device)

    def _forward_loss(self, x, t, w, training):
        fused = self._fused()
        if fused:
            out = self.call_pre_activation(x, training)
            return self.loss.from_logits(out, t, w), out, fused
        out = self(x, training)
        return self.loss(out, t, w), out, None

    def _train_step(self, x, t, w):
        """One update on device arrays; returns [loss, metric sums...] as device scalars."""
        trainable = set_trainable_grads([self])
        if trainable:
            loss, out, fused = self._forward_loss(x, t, w, training=True)
            loss.backward()
            self.optimizer.step(trainable)
        else:
            with no_grad():
                loss, out, fused = self._forward_loss(x, t, w, training=True)
        return [loss.data] + [m(out.data, t, fused) for m in self.metrics]

    def _test_step(self, x, t, w):
        with no_grad():
            loss, out, fused = self._forward_loss(x, t, w, training=False)
        return [loss.data] + [m(out.data, t, fused) for m in self.metrics]

    def _batch(self, x, y, sample_weight=None, class_weight=None):
        """Host batch -> (x, t, w) on the model's device."""
        x = as_array(x, "x")
        self._require_built(x)
        self._check_x(x)
        t = self.loss.prepare(asnumpy(y), self.output_shape, self.dtype)
        if len(t) != len(x):
            raise ValueError(f"{self.name}: x has {len(x)} samples but y has {len(t)}")
        w = losses_mod.sample_weights(y, t, class_weight, sample_weight)
        return (self._to_model(x), to_device(t, self.device),
                None if w is None else self._to_model(w))

    def _check_x(self, x):
        if tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f"{self.describe()}: expected input shape {shape_str((None,) + self.input_shape)}, "
                             f"received input with shape {shape_str(x.shape)}")

    def train_on_batch(self, x, y, sample_weight=None, class_weight=None):
        """One gradient step on one batch; returns the loss, or [loss, metrics...]."""
        self._check_compiled("train_on_batch")
        values = to_floats(self._train_step(*self._batch(x, y, sample_weight, class_weight)))
        n = len(x)
        return _keras_result([values[0]] + [v / n for v in values[1:]])

    def test_on_batch(self, x, y, sample_weight=None):
        self._check_compiled("test_on_batch")
        values = to_floats(self._test_step(*self._batch(x, y, sample_weight)))
        n = len(x)
        return _keras_result([values[0]] + [v / n for v in values[1:]])

    def predict_on_batch(self, x):
        return self.predict(x, batch_size=len(x))

    # ----- fit -----
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            **legacy):
        """Train for ``epochs`` (counting from ``initial_epoch``); returns a History.

        x, y: arrays (N, *input_shape) and targets; or x an iterator of (x, y[, w]) batches
        (``steps_per_epoch`` defaults to its len()) whose close() is called at the end.
        validation_split: the last fraction of x/y (before shuffling) held out;
        validation_data: (x_val, y_val[, w_val]) or an iterator (``validation_steps``).
        verbose: 0 silent, 1 live bar + epoch line, 2 epoch line only.
        class_weight: {class: weight} scaling each sample's loss by its class's weight.
        """
        epochs = legacy_fit_args(legacy, epochs)
        samples_per_epoch = legacy.pop("samples_per_epoch", None)
        if samples_per_epoch is not None:
            warnings.warn("fit: samples_per_epoch is Keras 1; use steps_per_epoch", DeprecationWarning, stacklevel=2)
        for k in legacy:
            if k not in ("max_queue_size", "workers", "use_multiprocessing", "validation_freq"):
                raise TypeError(f"{self.name}.fit: unexpected keyword argument {k!r}")
        if verbose not in (0, 1, 2):
            raise ValueError(f"{self.name}.fit: verbose must be 0, 1 or 2, got {verbose!r}")
        if self.loss is None:
            raise RuntimeError(f"{self.name}.fit: compile the model first (model.compile(optimizer, loss))")
        batch_size = 32 if batch_size is None else int(batch_size)
        if batch_size < 1:
            raise ValueError(f"{self.name}.fit: batch_size must be positive, got {batch_size}")
        iterators = []
        try:
            if is_iterator(x):
                iterators.append(x)
                if validation_split:
                    raise ValueError(f"{self.name}.fit: validation_split needs arrays, not an iterator; "
                                     f"give validation_data")
                train = IteratorData(self, x, steps_per_epoch, samples_per_epoch, class_weight)
                count_mode = "steps" if train.samples is None else "samples"
            else:
                if validation_data is not None:
                    validation_split = 0.0  # Keras: validation_data overrides validation_split
                train, val_from_split = self._array_data(x, y, batch_size, shuffle, validation_split,
                                                         class_weight, sample_weight)
                validation_data = val_from_split or validation_data
                count_mode = "samples"
            self._check_compiled("fit")
            val = None
            if validation_data is not None:
                if is_iterator(validation_data):
                    iterators.append(validation_data)
                    val = IteratorData(self, validation_data, validation_steps, None, None)
                elif isinstance(validation_data, ArrayData):
                    val = validation_data
                else:
                    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
                        raise ValueError(f"{self.name}.fit: validation_data must be (x_val, y_val), "
                                         f"(x_val, y_val, sample_weight) or an iterator")
                    vx, vy, vw = (tuple(validation_data) + (None,))[:3]
                    val = self._array_data(vx, vy, batch_size, False, 0.0, None, vw)[0]
            return self._fit_loop(train, val, epochs, initial_epoch, verbose, callbacks, count_mode)
        finally:
            for it in iterators:
                close = getattr(it, "close", None)
                if callable(close):
                    close()

    def _array_data(self, x, y, batch_size, shuffle, validation_split, class_weight, sample_weight):
        if y is None:
            raise ValueError(f"{self.name}.fit: y is required with array inputs")
        x = as_array(x, "x")
        self._require_built(x)
        self._check_x(x)
        if x.dtype.kind in "iu" and x.dtype.itemsize == 1:
            warnings.warn(f"{self.name}: x has dtype {x.dtype}; it is cast to {self.dtype} but not "
                          f"rescaled (divide images by 255 first)", UserWarning, stacklevel=3)
        t = self.loss.prepare(asnumpy(y), self.output_shape, self.dtype)
        if len(t) != len(x):
            raise ValueError(f"{self.name}.fit: x has {len(x)} samples but y has {len(t)}")
        w = losses_mod.sample_weights(y, t, class_weight, sample_weight)
        if not 0 <= validation_split < 1:
            raise ValueError(f"{self.name}.fit: validation_split must be in [0, 1), got {validation_split}")
        val = None
        if validation_split:
            split = int(len(x) * (1 - validation_split))
            if split == 0 or split == len(x):
                raise ValueError(f"{self.name}.fit: validation_split={validation_split} leaves no "
                                 f"{'training' if split == 0 else 'validation'} samples out of {len(x)}")
            val = ArrayData(self, x[split:], t[split:], None if w is None else w[split:], batch_size, False)
            x, t, w = x[:split], t[:split], None if w is None else w[:split]
        return ArrayData(self, x, t, w, batch_size, shuffle), val

    def _fit_loop(self, train, val, epochs, initial_epoch, verbose, callbacks, count_mode):
        names = self.metrics_names
        history = cbks.History()
        all_callbacks = list(callbacks or []) + [history]
        if verbose:
            all_callbacks.insert(0, cbks.ProgbarLogger(verbose))
        params = {"epochs": epochs, "steps": train.steps, "samples": train.samples, "verbose": verbose,
                  "count_mode": count_mode, "do_validation": val is not None,
                  "val_samples": val.samples if val is not None else None,
                  "metrics": names + ([f"val_{n}" for n in names] if val is not None else [])}
        cb = cbks.CallbackList(all_callbacks, self, params)
        self.history, self.stop_training = history, False
        cb.on_train_begin({})
        try:
            for epoch in range(initial_epoch, epochs):
                cb.on_epoch_begin(epoch, {})
                sums, seen = [0.0] * len(names), 0
                for index, (xb, tb, wb, n) in enumerate(train.batches()):
                    cb.on_batch_begin(index, {"batch": index, "size": n})
                    values = to_floats(self._train_step(xb, tb, wb))
                    values = [values[0]] + [v / n for v in values[1:]]
                    for i, v in enumerate(values):
                        sums[i] += v * n
                    seen += n
                    cb.on_batch_end(index, {"batch": index, "size": n, **dict(zip(names, values))})
                    if self.stop_training:
                        break
                logs = {k: s / max(seen, 1) for k, s in zip(names, sums)}
                if val is not None:
                    logs.update({f"val_{k}": v for k, v in zip(names, self._evaluate_data(val))})
                cb.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
        finally:
            self._recording = None
        cb.on_train_end({})
        return history

    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1, callbacks=None,
                      validation_data=None, validation_steps=None, class_weight=None,
                      initial_epoch=0, **legacy):
        """Keras's fit on an iterator of (x, y) batches; same as ``fit(generator, ...)``."""
        legacy.pop("shuffle", None)
        return self.fit(generator, None, epochs=epochs, verbose=verbose, callbacks=callbacks,
                        validation_data=validation_data, validation_steps=validation_steps,
                        class_weight=class_weight, initial_epoch=initial_epoch,
                        steps_per_epoch=steps_per_epoch, **legacy)

    # ----- evaluate / predict -----
    def _evaluate_data(self, data):
        totals, seen = None, 0
        for xb, tb, wb, n in data.batches():
            values = self._test_step(xb, tb, wb)
            values[0] = values[0] * n
            totals = values if totals is None else [a + b for a, b in zip(totals, values)]
            seen += n
        if totals is None:
            raise ValueError(f"{self.name}: no samples to evaluate")
        return [v / seen for v in to_floats(totals)]

    def evaluate(self, x=None, y=None, batch_size=None, verbose=1, sample_weight=None, steps=None):
        """Loss (and metrics) over x, y in batches; returns loss or [loss, metrics...]."""
        if self.loss is None:
            raise RuntimeError(f"{self.name}.evaluate: compile the model first (model.compile(optimizer, loss))")
        if is_iterator(x):
            data = IteratorData(self, x, steps, None, None)
        else:
            data = self._array_data(x, y, batch_size or 32, False, 0.0, None, sample_weight)[0]
        self._check_compiled("evaluate")
        start = time.perf_counter()
        values = self._evaluate_data(data)
        if verbose:
            target = data.samples if data.samples else data.steps
            print(cbks.epoch_line(target, target, time.perf_counter() - start,
                                  list(zip(self.metrics_names, values))), flush=True)
        return _keras_result(values)

    def evaluate_generator(self, generator, steps=None, **ignored):
        return self.evaluate(generator, steps=steps, verbose=0)

    def predict(self, x, batch_size=None, verbose=0, steps=None):
        """Outputs (probabilities for a softmax / sigmoid model) as a NumPy array (N, *output_shape)."""
        outs = []
        if is_iterator(x):
            self._require_built()
            if steps is None:
                steps = len(x) if hasattr(x, "__len__") else None
            if steps is None:
                raise ValueError(f"{self.name}.predict: steps is required for an iterator without len()")
            for _ in range(steps):
                item = next(x)
                xb = item[0] if isinstance(item, tuple) else item
                outs.append(self._predict_batch(as_array(xb, "x")))
        else:
            x = as_array(x, "x")
            self._require_built(x)
            self._check_x(x)
            bs = batch_size or 32
            for start in range(0, len(x), bs):
                outs.append(self._predict_batch(x[start:start + bs]))
        if not outs:
            return np.zeros((0,) + tuple(self.output_shape), dtype=self.dtype)
        return np.concatenate(outs)

    def _predict_batch(self, xb):
        self._check_x(xb)
        with no_grad():
            return asnumpy(self(self._to_model(xb), training=False).data)

    def predict_generator(self, generator, steps=None, **ignored):
        return self.predict(generator, steps=steps)

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
                line = line[:positions[i]]
                line += " " * (positions[i] - len(line))
            print_fn(line)

        print_fn("_" * line_length)
        row(["Layer (type)", "Output Shape", "Param #"])
        print_fn("=" * line_length)
        for i, layer in enumerate(self.layers):
            row([f"{layer.name} ({type(layer).__name__})", shape_str((None,) + tuple(layer.output_shape)),
                 layer.count_params()])
            print_fn("=" * line_length if i == len(self.layers) - 1 else "_" * line_length)
        trainable = int(sum(w.size for w in self.trainable_weights))
        total = self.count_params()
        print_fn(f"Total params: {total:,}")
        print_fn(f"Trainable params: {trainable:,}")
        print_fn(f"Non-trainable params: {total - trainable:,}")
        print_fn("_" * line_length)

    def get_config(self):
        config = super().get_config()
        config["layers"] = [layer_config(layer) for layer in self.layers]
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        layers = config.pop("layers")
        model = cls(**config)
        for spec in layers:
            model.add(layer_from_config(spec))
        return model

    # ----- files -----
    def save(self, filepath, include_optimizer=True):
        """Write architecture (JSON), weights and optimizer state to one file, atomically."""
        saving.save_model(self, filepath, include_optimizer)

    def save_weights(self, filepath):
        saving.save_weights(self, filepath)

    def load_weights(self, filepath):
        saving.load_weights(self, filepath)


def load_model(filepath, compile=True):
    """A model saved by ``model.save``: same architecture, weights and (when ``compile``) loss,
    metrics and optimizer state. Raises tinynet.saving.ModelFileError naming the file when it is
    truncated, corrupt or not a tinynet model file."""
    return saving.load_model(filepath, compile)


def _keras_result(values):
    return values[0] if len(values) == 1 else values

"""Trainer: the one fit / evaluate / predict loop under every model.

A model (Sequential, a subclassed Model, GAN, AdversarialModel) inherits Trainer and gives the
steps, each on a tuple of device arrays (x first):

    train_step(batch)   -> {name: device scalar}   one update; the batch's mean of each measure
    test_step(batch)    -> {name: device scalar}   the same measures without an update
    predict_step(batch) -> device array             the outputs for batch[0]

and the data hooks that turn what the user passes into such tuples:

    fit_arrays(x, y, sample_weight, class_weight, who) -> tuple of host arrays, N rows each
    predict_arrays(x, who)                             -> the same for predict (x only)
    iterator_arrays(item, class_weight, who)           -> the same from one iterator item
    device_batch(arrays)                               -> tuple of device arrays
    batch_weight(arrays)                               -> what the step's loss divides by
    metrics_names                                      -> the names, in display order

Trainer owns the epoch and batch loops, validation (split or data), shuffling, the callbacks
(CallbackList adds History and the progress bar), ``stop_training`` and the logs. An epoch's
log of a name is its mean over the batches that reported it, weighted by batch size.
``fit(..., distributed=comm)`` trains data-parallel over the ranks of ``comm``
(tinynet.distributed.parallel.DataParallel: batch_size the global batch; arrays or an iterator
built alike on every rank); ``stop_training`` set on any rank then stops every rank.
"""

import contextlib
import math
import sys
import time
import warnings

import numpy as np

from ..backend import asnumpy, get_array_module
from ..distributed.parallel import DataParallel
from ..layers.norm import BatchNormalization
from ..legacy import legacy_fit_args
from . import callbacks as cbks
from .data import (
    ArrayData,
    IteratorData,
    as_array,
    check_batch_size,
    check_int,
    check_rows,
    first_nonfinite,
    is_iterator,
    unpack_item,
)
from .logs import to_floats

# Keras's fit arguments about its data-loading workers: tinynet loads in the calling thread, so
# they change nothing (accepted so Keras code runs).
KERAS_FIT_EXTRAS = ("max_queue_size", "workers", "use_multiprocessing")


class Trainer:
    """compile-independent training loop; see the module docstring for what a model supplies."""

    default_batch_size = 32
    drop_remainder = False  # True: every batch full (a GAN's BatchNorm needs it)
    log_epoch_time = False  # True: each epoch's seconds in the logs as "time"
    stop_on_nonfinite = True  # stop fit, saying where, when a batch's measure is NaN or inf
    stop_training = False
    history = None
    step_in_epoch = 0  # the batch index within the epoch, set before each train_step
    _parallel = None  # the DataParallel of a distributed fit while it runs

    # ----- what a model supplies -----
    def train_step(self, batch):
        raise NotImplementedError(f"{type(self).__name__} defines no train_step(batch)")

    def test_step(self, batch):
        raise NotImplementedError(f"{type(self).__name__} defines no test_step(batch)")

    def predict_step(self, batch):
        raise NotImplementedError(f"{type(self).__name__} defines no predict_step(batch)")

    def fit_arrays(self, x, y, sample_weight, class_weight, who):
        x = as_array(x, "x")
        return (x,) if y is None else (x, as_array(y, "y"))

    def predict_arrays(self, x, who):
        return (as_array(x, "x"),)

    def iterator_arrays(self, item, class_weight, who):
        x, y, w = unpack_item(item, who)
        return self.fit_arrays(x, y, w, class_weight, who)

    def device_batch(self, arrays):
        return arrays

    def batch_weight(self, arrays):
        """The total weight a train_step's loss on the host batch ``arrays`` is normalised by:
        its rows here (a mean over rows; sample weights are rescaled over the whole batch
        first). A distributed fit gives each rank the share local / global of it."""
        return len(arrays[0])

    def check_compiled(self, who):
        """Raise RuntimeError when the model cannot train yet (compile() not called)."""

    def end_training(self):
        """Called after every fit and train_on_batch, also when they fail (restore state)."""

    def _label(self):
        return getattr(self, "name", None) or type(self).__name__

    # ----- fit -----
    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        epochs=1,
        verbose=1,
        callbacks=None,
        validation_split=0.0,
        validation_data=None,
        shuffle=True,
        class_weight=None,
        sample_weight=None,
        initial_epoch=0,
        steps_per_epoch=None,
        validation_steps=None,
        validation_freq=1,
        stop_on_nonfinite=None,
        distributed=None,
        noise="global",
        **legacy,
    ):
        """Train for ``epochs`` (counting from ``initial_epoch``); returns a History.

        x, y: arrays (N, ...) and targets; or x an iterator of (x, y[, w]) batches
        (``steps_per_epoch`` defaults to its len()) whose close() is called at the end.
        With arrays, ``steps_per_epoch`` caps the batches per epoch.
        validation_split: the last fraction of x/y (before shuffling) held out;
        validation_data: (x_val, y_val[, w_val]) or an iterator (``validation_steps``).
        verbose: 0 silent, 1 live bar + epoch line, 2 epoch line only, "auto" 1 on a terminal
        else 2.
        validation_freq: validate every n-th epoch (an int), or after the epochs listed (1-based).
        class_weight: {class: weight} scaling each sample's loss by its class's weight.
        stop_on_nonfinite: stop (saying the epoch, the batch and, when found, the first NaN/inf
        input row) at the first batch whose loss or a metric is NaN or inf; default the model's
        ``stop_on_nonfinite`` (True). False trains on, as Keras does without TerminateOnNaN.
        distributed: a communicator (tn.distributed.init()) to train data-parallel over its
        ranks, batch_size then counting the global batch; noise: "global" (each rank keeps its
        rows of the global batch's dropout masks, so training equals one process's) or "rank"
        (a stream per rank); see tinynet.distributed.
        Sizes and counts are checked first: a ValueError or TypeError names the argument.
        """
        who = f"{self._label()}.fit"
        epochs = legacy_fit_args(legacy, epochs)
        samples_per_epoch = legacy.pop("samples_per_epoch", None)
        for k in legacy:
            if k not in KERAS_FIT_EXTRAS:
                raise TypeError(f"{who}: unexpected keyword argument {k!r}")
        verbose = check_verbose(verbose, who)
        epochs = check_int(epochs, "epochs", who, minimum=0)
        initial_epoch = check_int(initial_epoch, "initial_epoch", who, minimum=0)
        steps_per_epoch = check_int(steps_per_epoch, "steps_per_epoch", who, allow_none=True)
        validation_steps = check_int(validation_steps, "validation_steps", who, allow_none=True)
        samples_per_epoch = check_int(samples_per_epoch, "samples_per_epoch", who, allow_none=True)
        validate_at = validation_epochs(validation_freq, who)
        stop_nonfinite = (
            self.stop_on_nonfinite if stop_on_nonfinite is None else bool(stop_on_nonfinite)
        )
        self.check_compiled("fit")
        batch_size = check_batch_size(batch_size, self.default_batch_size, who)
        parallel = None if distributed is None else DataParallel(self, distributed, noise, who)
        iterators = []
        try:
            if is_iterator(x):
                iterators.append(x)
                if validation_split:
                    raise ValueError(
                        f"{who}: validation_split needs arrays, not an iterator; "
                        f"give validation_data"
                    )
                train = IteratorData(
                    x,
                    steps_per_epoch,
                    samples_per_epoch,
                    lambda item: self.iterator_arrays(item, class_weight, who),
                    who,
                )
                count_mode = "steps" if train.samples is None else "samples"
                val = None
            else:
                if validation_data is not None:
                    validation_split = 0.0  # Keras: validation_data overrides validation_split
                arrays = self.fit_arrays(x, y, sample_weight, class_weight, who)
                check_rows(arrays, "x", who)
                val = None
                if validation_split:
                    arrays, held_out = ArrayData(arrays, batch_size, False).split(
                        validation_split, who
                    )
                    val = ArrayData(held_out, batch_size, False)
                train = ArrayData(
                    arrays,
                    batch_size,
                    shuffle,
                    self.drop_remainder,
                    steps_per_epoch,
                    self.merge_single_row_batch(),
                    who,
                )
                if train.steps == 0:
                    raise ValueError(
                        f"{who}: {train.rows} samples make no full batch of {batch_size} "
                        f"({self._label()} trains on full batches only); give batch_size <= "
                        f"{train.rows}"
                    )
                count_mode = "samples"
            if validation_data is not None:
                val = self._validation_source(
                    validation_data, batch_size, validation_steps, iterators, who
                )
            if parallel is not None:
                train, val = parallel.shard(train), parallel.shard(val, training=False)
                callbacks, verbose = parallel.callbacks(callbacks, verbose)
                self._parallel = parallel
            return self._fit_loop(
                train,
                val,
                epochs,
                initial_epoch,
                verbose,
                callbacks,
                count_mode,
                validate_at,
                stop_nonfinite,
            )
        finally:
            self._parallel = None
            for it in iterators:
                close = getattr(it, "close", None)
                if callable(close):
                    close()

    def _validation_source(self, data, batch_size, steps, iterators, who):
        if is_iterator(data):
            iterators.append(data)
            return IteratorData(
                data, steps, None, lambda item: self.iterator_arrays(item, None, who), who
            )
        if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
            raise ValueError(
                f"{who}: validation_data must be (x_val, y_val), "
                f"(x_val, y_val, sample_weight) or an iterator"
            )
        vx, vy, vw = (tuple(data) + (None,))[:3]
        arrays = self.fit_arrays(vx, vy, vw, None, who)
        check_rows(arrays, "validation_data", who)
        return ArrayData(arrays, batch_size, False)

    def merge_single_row_batch(self):
        """True when a last batch of one row must join the batch before it: the model holds a
        BatchNormalization layer (found through ``layers``, nested models included), which
        cannot train on one value per channel."""
        stack, seen = list(getattr(self, "layers", ())), set()
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            if isinstance(layer, BatchNormalization):
                return True
            stack.extend(getattr(layer, "layers", ()))
        return False

    def _fit_loop(
        self,
        train,
        val,
        epochs,
        initial_epoch,
        verbose,
        callbacks,
        count_mode,
        validate_at,
        stop_nonfinite,
    ):
        names = list(self.metrics_names)
        params = {
            "epochs": epochs,
            "steps": train.steps,
            "samples": train.samples,
            "verbose": verbose,
            "count_mode": count_mode,
            "do_validation": val is not None,
            "val_samples": getattr(val, "samples", None),
            "metrics": names + ([f"val_{n}" for n in names] if val is not None else []),
        }
        cb = cbks.CallbackList(callbacks, self, params)
        self.history, self.stop_training = cb.history, False
        cb.on_train_begin({})
        parallel = self._parallel.training() if self._parallel else contextlib.nullcontext()
        try:
            with parallel:
                for epoch in range(initial_epoch, epochs):
                    cb.on_epoch_begin(epoch, {})
                    logs = self._run_epoch(epoch, train, cb, names, stop_nonfinite)
                    if val is not None and validate_at(epoch + 1):
                        val_logs = self._evaluate_source(val)
                        logs.update({f"val_{k}": v for k, v in val_logs.items()})
                    cb.on_epoch_end(epoch, logs)
                    if self._parallel:
                        self.stop_training = self._parallel.any(self.stop_training)
                    if self.stop_training:
                        break
        finally:
            self.end_training()
        cb.on_train_end({})
        return self.history

    def _run_epoch(self, epoch, train, cb, names, stop_nonfinite):
        start = time.perf_counter()
        sums, counts = {}, {}
        parallel = self._parallel
        for index, host in enumerate(train.batches()):
            n = parallel.rows[2] if parallel else len(host[0])  # the global batch's
            cb.on_batch_begin(index, {"batch": index, "size": n})
            self.step_in_epoch = index
            step_logs = self.train_step(self.device_batch(host))
            values = dict(zip(step_logs, to_floats(list(step_logs.values()))))
            if parallel:
                values = parallel.average(values)
            for k, v in values.items():
                sums[k] = sums.get(k, 0.0) + v * n
                counts[k] = counts.get(k, 0) + n
            cb.on_batch_end(index, {"batch": index, "size": n, **values})
            if stop_nonfinite and not all(math.isfinite(v) for v in values.values()):
                self._stop_nonfinite(epoch, index, values, host)
            if parallel:  # a callback on some ranks only (a time budget) stops them all
                self.stop_training = parallel.any(self.stop_training)
            if self.stop_training:
                break
        keys = names + [k for k in sums if k not in names]
        logs = {k: sums[k] / counts[k] if counts.get(k) else math.nan for k in keys}
        if self.log_epoch_time:
            logs["time"] = time.perf_counter() - start
        return logs

    def _stop_nonfinite(self, epoch, index, values, host):
        """Stop fit with a RuntimeWarning naming the epoch, the batch and its first NaN input."""
        bad = ", ".join(f"{k} {v}" for k, v in values.items() if not math.isfinite(v))
        where = first_nonfinite(host)
        cause = f" ({where} of this batch holds a NaN or inf)" if where else self._nonfinite_grad()
        warnings.warn(
            f"{self._label()}.fit: {bad} at epoch {epoch + 1}, batch {index + 1}{cause}; "
            f"stopping training (the weights may hold NaN now; fit(stop_on_nonfinite=False) "
            f"trains on)",
            RuntimeWarning,
            stacklevel=5,
        )
        self.stop_training = True

    def _nonfinite_grad(self):
        """' (the gradient of <weight> holds NaN or inf)' for the first such weight, in the
        model's weight order, else '' (looked for only once training stops)."""
        weights = getattr(self, "weights", None)
        if not isinstance(weights, list):
            return ""
        names = self.weight_names() if hasattr(self, "weight_names") else []
        for i, w in enumerate(weights):
            g = getattr(w, "grad", None)
            if g is not None and not bool(get_array_module(g).isfinite(g).all()):
                name = names[i] if i < len(names) else f"weight {i}"
                return f" (the gradient of {name} holds NaN or inf; the inputs are finite)"
        return ""

    # ----- evaluate -----
    def _evaluate_source(self, data):
        """{name: mean over the data's samples} of test_step, in inference mode."""
        sums, seen = {}, 0
        for host in data.batches():
            n = self._parallel.count if self._parallel else len(host[0])
            for k, v in self.test_step(self.device_batch(host)).items():
                sums[k] = sums[k] + v * n if k in sums else v * n
            seen += n
        if self._parallel:
            sums, seen = self._parallel.reduce_sums(
                dict(zip(sums, to_floats(list(sums.values())))), seen
            )
        if not seen:
            raise ValueError(f"{self._label()}: no samples to evaluate")
        return {k: v / seen for k, v in zip(sums, to_floats(list(sums.values())))}

    def evaluate(self, x=None, y=None, batch_size=None, verbose=1, sample_weight=None, steps=None):
        """Loss (and metrics) over x, y in batches; returns loss or [loss, metrics...]."""
        who = f"{self._label()}.evaluate"
        verbose = check_verbose(verbose, who)
        steps = check_int(steps, "steps", who, allow_none=True)
        self.check_compiled("evaluate")
        batch_size = check_batch_size(batch_size, self.default_batch_size, who)
        if is_iterator(x):
            data = IteratorData(
                x, steps, None, lambda item: self.iterator_arrays(item, None, who), who
            )
        else:
            arrays = self.fit_arrays(x, y, sample_weight, None, who)
            check_rows(arrays, "x", who)
            data = ArrayData(arrays, batch_size, False)
        start = time.perf_counter()
        logs = self._evaluate_source(data)
        values = [logs[k] for k in self.metrics_names]
        if verbose:
            target = data.samples if data.samples else data.steps
            print(
                cbks.epoch_line(
                    target,
                    target,
                    time.perf_counter() - start,
                    list(zip(self.metrics_names, values)),
                ),
                flush=True,
            )
        return keras_result(values)

    # ----- one batch -----
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None):
        """One gradient step on one batch; returns the loss, or [loss, metrics...]."""
        who = f"{self._label()}.train_on_batch"
        self.check_compiled("train_on_batch")
        host = self.fit_arrays(x, y, sample_weight, class_weight, who)
        check_rows(host, "x", who)
        self.step_in_epoch = 0
        try:
            logs = self.train_step(self.device_batch(host))
        finally:
            self.end_training()
        return keras_result(self._ordered(logs))

    def test_on_batch(self, x, y=None, sample_weight=None):
        who = f"{self._label()}.test_on_batch"
        self.check_compiled("test_on_batch")
        host = self.fit_arrays(x, y, sample_weight, None, who)
        check_rows(host, "x", who)
        return keras_result(self._ordered(self.test_step(self.device_batch(host))))

    def _ordered(self, logs):
        names = [k for k in self.metrics_names if k in logs]
        return to_floats([logs[k] for k in names])

    # ----- predict -----
    def predict(self, x, batch_size=None, verbose=0, steps=None):
        """Outputs of predict_step as a NumPy array (N, ...), in batches."""
        who = f"{self._label()}.predict"
        verbose = check_verbose(verbose, who)
        steps = check_int(steps, "steps", who, allow_none=True)
        batch_size = check_batch_size(batch_size, self.default_batch_size, who)
        outs = []
        if is_iterator(x):
            if steps is None:
                steps = len(x) if hasattr(x, "__len__") else None
            if steps is None:
                raise ValueError(f"{who}: steps is required for an iterator without len()")
            for _ in range(steps):
                item = next(x)
                xb = item[0] if isinstance(item, tuple) else item
                outs.append(self._predict_batch(self.predict_arrays(xb, who)))
        else:
            arrays = self.predict_arrays(x, who)
            data = ArrayData(arrays, batch_size, False)
            outs = [self._predict_batch(host) for host in data.batches()]
        if not outs:
            return self.empty_prediction()
        return np.concatenate(outs)

    def _predict_batch(self, host):
        return asnumpy(self.predict_step(self.device_batch(host)))

    def empty_prediction(self):
        raise ValueError(f"{self._label()}.predict: no samples")

    def predict_on_batch(self, x):
        return self.predict(x, batch_size=len(x))


def check_verbose(verbose, who):
    """0, 1 or 2; "auto" is 1 (the live bar) on a terminal and 2 (one line per epoch) when
    stdout is a file or a pipe, so logs get no bar redraws."""
    if verbose == "auto":
        return 1 if getattr(sys.stdout, "isatty", lambda: False)() else 2
    if isinstance(verbose, str) or verbose not in (0, 1, 2):
        raise ValueError(f"{who}: verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
    return int(verbose)


def validation_epochs(freq, who):
    """fn(epoch, 1-based) -> validate after it? from Keras's validation_freq: an int n (every
    n-th epoch) or a collection of epochs."""
    if isinstance(freq, (list, tuple, set, frozenset, range)):
        epochs = {check_int(e, "validation_freq's epochs", who) for e in freq}
        return epochs.__contains__
    n = check_int(freq, "validation_freq", who)
    return lambda epoch: epoch % n == 0


def keras_result(values):
    """One value alone, else the list (Keras's convention for evaluate and *_on_batch)."""
    return values[0] if len(values) == 1 else values

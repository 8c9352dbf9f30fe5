"""Callbacks for ``fit``, Keras-style: progress, History, ModelCheckpoint, EarlyStopping,
TerminateOnNaN, LearningRateScheduler, ReduceLROnPlateau, CSVLogger, and GradientStats for
studying backpropagation.

A callback's hooks get ``logs`` dicts of Python floats: per batch ``{"batch", "size", "loss",
<metrics>}``, per epoch ``{"loss", <metrics>, "val_loss", "val_<metrics>"}``. Setting
``model.stop_training = True`` ends training after the current batch.
"""

import csv
import math
import os
import string
import sys
import time
import warnings

import numpy as np
from tqdm import tqdm

from ..backend import asnumpy, get_array_module


def emit(message):
    """Print a line without breaking a live progress bar."""
    tqdm.write(message, file=sys.stdout)


class Callback:
    # True: in a distributed fit only rank 0 runs it (it prints or writes files)
    main_rank_only = False

    def __init__(self):
        self.model, self.params = None, {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_batch_begin(self, batch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass


class CallbackList:
    """The callbacks of one ``fit``, called in order. Like Keras's, it adds the progress bar
    itself (first, when ``params["verbose"]`` is 1 or 2) and a History (last, as ``.history``)."""

    def __init__(self, callbacks, model, params):
        callbacks = list(callbacks or [])
        for c in callbacks:
            if not isinstance(c, Callback):
                raise TypeError(
                    f"callbacks must be tinynet.callbacks.Callback objects, got {type(c).__name__}"
                )
        self.history = History()
        verbose = params.get("verbose", 0)
        self.callbacks = ([ProgbarLogger(verbose)] if verbose else []) + callbacks + [self.history]
        for c in self.callbacks:
            c.set_model(model)
            c.set_params(params)

    def __getattr__(self, hook):
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def call(*args):
            for c in self.callbacks:
                getattr(c, hook)(*args)

        return call


# ----- progress -----
def format_duration_per_unit(seconds):
    if seconds >= 1:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


def format_value(v):
    return f"{v:.4f}" if abs(v) > 1e-3 else f"{v:.4e}"


def epoch_line(current, target, seconds, values, width=30):
    """Keras's end-of-epoch line:
    ``48000/48000 [==============================] - 2s 45us/step - loss: 0.0060 - acc: 0.9979``
    values: (name, value) pairs in display order."""
    digits = len(str(target))
    filled = min(int(width * current / target), width) if target else width
    bar = "=" * max(filled - 1, 0)
    if filled > 0:
        bar += "=" if current >= target else ">"
    bar += "." * (width - filled)
    per_unit = format_duration_per_unit(seconds / current) if current else "0us/step"
    line = f"{current:>{digits}}/{target} [{bar}] - {seconds:.0f}s {per_unit}"
    return line + "".join(f" - {k}: {format_value(v)}" for k, v in values)


class ProgbarLogger(Callback):
    """verbose=1: a live tqdm bar (ETA, running loss and metrics) during each epoch, replaced at
    the end by Keras's epoch line; verbose=2: only the epoch line. Counts samples for array data,
    steps for iterators (``params["count_mode"]``)."""

    def __init__(self, verbose=1, file=None):
        super().__init__()
        self.verbose, self.file = verbose, file
        self.bar = None

    def _out(self):
        return self.file or sys.stdout

    def on_train_begin(self, logs=None):
        p = self.params
        if p.get("count_mode") == "samples" and p.get("samples"):
            val = f", validate on {p['val_samples']} samples" if p.get("val_samples") else ""
            print(f"Train on {p['samples']} samples{val}", file=self._out())

    def on_epoch_begin(self, epoch, logs=None):
        p = self.params
        print(f"Epoch {epoch + 1}/{p['epochs']}", file=self._out(), flush=True)
        self.target = p["samples"] if p.get("count_mode") == "samples" else p["steps"]
        self.seen, self.sums, self.count = 0, {}, 0
        self.start = time.perf_counter()
        if self.verbose == 1:
            unit = "sample" if p.get("count_mode") == "samples" else "step"
            self.bar = tqdm(
                total=self.target,
                unit=unit,
                leave=False,
                file=self._out(),
                dynamic_ncols=True,
                mininterval=0.2,
                bar_format=("{n_fmt}/{total_fmt} |{bar}| {elapsed}<{remaining}{postfix}"),
            )

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        size = logs.get("size", 1)
        step = size if self.params.get("count_mode") == "samples" else 1
        self.seen += step
        self.count += size
        for k in self.params.get("metrics", ()):
            if k in logs and not k.startswith("val_"):
                self.sums[k] = self.sums.get(k, 0.0) + logs[k] * size
        if self.bar is not None:
            # format the running values only when tqdm is about to redraw (it times with time.time)
            if (
                time.time() - self.bar.last_print_t >= self.bar.mininterval
                or self.seen >= self.target
            ):
                self.bar.set_postfix_str(
                    " - ".join(
                        f"{k}: {format_value(s / self.count)}" for k, s in self.sums.items()
                    ),
                    refresh=False,
                )
            self.bar.update(step)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        values = [(k, logs[k]) for k in self.params.get("metrics", ()) if k in logs]
        print(
            epoch_line(self.seen, self.target, time.perf_counter() - self.start, values),
            file=self._out(),
            flush=True,
        )

    def on_train_end(self, logs=None):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


# ----- records -----
class History(Callback):
    """``history.history``: {"loss": [per epoch], "acc": [...], "val_loss": [...], ...};
    ``history.epoch``: the epoch indices. Returned by fit."""

    def __init__(self):
        super().__init__()
        self.epoch, self.history = [], {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)


class CSVLogger(Callback):
    """One row per epoch (epoch, then the log keys in sorted order) appended to ``filename``."""

    main_rank_only = True

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename, self.separator, self.append = os.fspath(filename), separator, append
        self.keys = None

    def on_train_begin(self, logs=None):
        exists = (
            self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        )
        self.file = open(self.filename, "a" if self.append else "w", newline="")
        self.writer, self.keys = None, None
        if exists:
            with open(self.filename, newline="") as f:
                header = next(csv.reader(f, delimiter=self.separator), None)
            self.keys = header[1:] if header else None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            csv.writer(self.file, delimiter=self.separator).writerow(["epoch"] + self.keys)
        csv.writer(self.file, delimiter=self.separator).writerow(
            [epoch] + [logs.get(k, "NA") for k in self.keys]
        )
        self.file.flush()

    def on_train_end(self, logs=None):
        self.file.close()


# ----- monitoring a quantity -----
def _monitor_op(monitor, mode, who):
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{who}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode == "max" or (mode == "auto" and ("acc" in monitor or monitor.startswith("fmeasure"))):
        return np.greater, -math.inf
    return np.less, math.inf


class ModelCheckpoint(Callback):
    """Save the model after every ``period`` epochs to ``filepath`` (may use ``{epoch:02d}`` and
    log keys, e.g. ``"ckpt-{epoch:02d}-{val_loss:.2f}.tnz"``); with ``save_best_only`` only when
    ``monitor`` improved. Files are written atomically (temporary file, then rename)."""

    main_rank_only = True

    def __init__(
        self,
        filepath,
        monitor="val_loss",
        verbose=0,
        save_best_only=False,
        save_weights_only=False,
        mode="auto",
        period=1,
    ):
        super().__init__()
        self.filepath, self.monitor, self.verbose = os.fspath(filepath), monitor, verbose
        self.save_best_only, self.save_weights_only, self.period = (
            save_best_only,
            save_weights_only,
            period,
        )
        self.op, self.best = _monitor_op(monitor, mode, "ModelCheckpoint")
        self.since = 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.since += 1
        if self.since < self.period:
            return
        self.since = 0
        path = self._path(epoch, logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(
                    f"ModelCheckpoint: {self.monitor!r} is not in the logs ({', '.join(logs)}); "
                    f"nothing saved",
                    RuntimeWarning,
                )
                return
            if not self.op(current, self.best):
                if self.verbose:
                    emit(
                        f"Epoch {epoch + 1:05d}: {self.monitor} did not improve from {self.best:.5f}"
                    )
                return
            if self.verbose:
                emit(
                    f"Epoch {epoch + 1:05d}: {self.monitor} improved from {self.best:.5f} to "
                    f"{current:.5f}, saving model to {path}"
                )
            self.best = current
        elif self.verbose:
            emit(f"Epoch {epoch + 1:05d}: saving model to {path}")
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)

    def _path(self, epoch, logs):
        try:
            return self.filepath.format(epoch=epoch + 1, **logs)
        except KeyError as e:
            raise ValueError(
                f"ModelCheckpoint: the file name {self.filepath!r} uses {{{e.args[0]}}}, which is "
                f"not in this epoch's logs (epoch, {', '.join(logs)})"
                + ("; val_* keys need validation data" if str(e.args[0]).startswith("val_") else "")
            ) from None
        except (ValueError, IndexError) as e:
            raise ValueError(
                f"ModelCheckpoint: bad file name pattern {self.filepath!r}: {e}"
            ) from None

    def on_train_begin(self, logs=None):
        """Refuse a file name using {val_...} when this fit has no validation data, before the
        first epoch is trained (it would otherwise fail after it)."""
        if self.params.get("do_validation", True):
            return
        fields = [f[1] for f in string.Formatter().parse(self.filepath) if f[1]]
        missing = [f for f in fields if f.split(".")[0].split("[")[0].startswith("val_")]
        if missing:
            raise ValueError(
                f"ModelCheckpoint: the file name {self.filepath!r} uses {{{missing[0]}}}, but "
                f"this fit has no validation data (give validation_split or validation_data)"
            )


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.
    With ``restore_best_weights`` the model ends with the weights of its best epoch (also when
    training runs to the last epoch)."""

    def __init__(
        self,
        monitor="val_loss",
        min_delta=0.0,
        patience=0,
        verbose=0,
        mode="auto",
        baseline=None,
        restore_best_weights=False,
    ):
        super().__init__()
        self.monitor, self.patience, self.verbose = monitor, patience, verbose
        self.baseline, self.restore_best_weights = baseline, restore_best_weights
        self.op, self.start_best = _monitor_op(monitor, mode, "EarlyStopping")
        self.min_delta = abs(min_delta) if self.op is np.greater else -abs(min_delta)

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best_epoch = 0, None, None
        self.best = self.start_best if self.baseline is None else self.baseline
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(
                f"EarlyStopping: {self.monitor!r} is not in the logs ({', '.join(logs or {})})",
                RuntimeWarning,
            )
            return
        if self.op(current - self.min_delta, self.best):
            self.best, self.best_epoch, self.wait = current, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            self.model.set_weights(self.best_weights)
            if self.verbose:
                emit(
                    f"Restoring model weights from the end of the best epoch ({self.best_epoch + 1})."
                )
        if self.stopped_epoch is not None and self.verbose:
            emit(f"Epoch {self.stopped_epoch + 1:05d}: early stopping")


class TerminateOnNaN(Callback):
    """Stop training at the first batch whose loss is NaN or infinite, saying where."""

    def on_train_begin(self, logs=None):
        self.epoch, self.stopped_at, self.message = 0, None, None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            self.stopped_at = (self.epoch + 1, batch + 1)
            self.message = (
                f"TerminateOnNaN: loss is {loss} at epoch {self.epoch + 1}, batch "
                f"{batch + 1}; stopping training"
            )
            emit(self.message)
            self.model.stop_training = True


class LearningRateScheduler(Callback):
    """At each epoch's start set the optimizer's learning rate to ``schedule(epoch, lr)`` (or
    ``schedule(epoch)``), epoch counted from 0. The rate used is logged as ``lr``."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        opt = self.model.optimizer
        try:
            lr = self.schedule(epoch, opt.base_lr())
        except TypeError:
            lr = self.schedule(epoch)
        opt.lr = float(lr)
        if self.verbose:
            emit(
                f"Epoch {epoch + 1:05d}: LearningRateScheduler setting learning rate to {float(lr)}."
            )

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr"] = self.model.optimizer.current_lr()


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved for ``patience``
    epochs (not below ``min_lr``), then wait ``cooldown`` epochs."""

    def __init__(
        self,
        monitor="val_loss",
        factor=0.1,
        patience=10,
        verbose=0,
        mode="auto",
        min_delta=1e-4,
        cooldown=0,
        min_lr=0.0,
    ):
        super().__init__()
        if not 0 < factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1), got {factor}")
        self.monitor, self.factor, self.patience, self.verbose = monitor, factor, patience, verbose
        self.cooldown, self.min_lr = cooldown, min_lr
        self.op, self.start_best = _monitor_op(monitor, mode, "ReduceLROnPlateau")
        self.min_delta = abs(min_delta) if self.op is np.greater else -abs(min_delta)

    def on_train_begin(self, logs=None):
        self.best, self.wait, self.cooldown_left = self.start_best, 0, 0

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(
                f"ReduceLROnPlateau: {self.monitor!r} is not in the logs "
                f"({', '.join(logs or {})}); the learning rate is left unchanged",
                RuntimeWarning,
            )
            return
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.wait = 0
        if self.op(current - self.min_delta, self.best):
            self.best, self.wait = current, 0
            return
        self.wait += 1
        if self.wait >= self.patience and self.cooldown_left == 0:
            opt = self.model.optimizer
            old = opt.base_lr()
            new = max(old * self.factor, self.min_lr)
            if new < old:
                opt.lr = new
                if self.verbose:
                    emit(
                        f"Epoch {epoch + 1:05d}: ReduceLROnPlateau reducing learning rate to {new}."
                    )
            self.cooldown_left, self.wait = self.cooldown, 0


class LambdaCallback(Callback):
    """Callbacks from plain functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``."""

    def __init__(self, **hooks):
        super().__init__()
        for name, fn in hooks.items():
            if not name.startswith("on_") or not hasattr(Callback, name):
                raise TypeError(f"LambdaCallback: unknown hook {name!r}")
            setattr(self, name, fn)


# ----- studying backpropagation -----
STATS = (
    "act_mean",
    "act_std",
    "act_norm",
    "grad_mean",
    "grad_std",
    "grad_norm",
    "weight_grad_norm",
)


class GradientStats(Callback):
    """Every ``every`` training batches, record (through forward hooks) for each top-level layer the mean, std and L2 norm
    of its output ("act_") and of the loss gradient with respect to that output ("grad_"), and
    the L2 norm of the gradient of its trainable weights ("weight_grad_norm", NaN for layers
    without weights). A layer whose activation the loss fuses (softmax / sigmoid before
    cross-entropy) records its logits.

    After training: ``stats.steps`` (global batch numbers), ``stats.layer_names``,
    ``stats.history[layer_name][stat]`` (lists aligned with ``steps``);
    ``tinynet.plot.plot_gradient_norms(stats)`` draws them.
    """

    def __init__(self, every=10, layers=None):
        super().__init__()
        if every < 1:
            raise ValueError(f"GradientStats: every must be >= 1, got {every}")
        self.every, self.only = int(every), None if layers is None else set(layers)
        self.steps, self.epochs, self.layer_names, self.history = [], [], [], {}
        self.step = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_batch_begin(self, batch, logs=None):
        self.recording = self.step % self.every == 0
        if self.recording:
            self.outputs = []
            self.handles = [layer.register_forward_hook(self._keep) for layer in self.model.layers]

    def _keep(self, layer, inputs, output):
        self.outputs.append((layer, output.retain_grad()))

    def _unhook(self):
        for handle in getattr(self, "handles", ()):
            handle.remove()
        self.handles = []

    def on_batch_end(self, batch, logs=None):
        if self.recording:
            self._unhook()
            self._record(self.outputs)
            self.outputs = []
        self.step += 1

    def on_train_end(self, logs=None):
        self._unhook()

    def _record(self, recorded):
        rows, names = [], []
        for layer, out in recorded:
            if self.only is not None and layer.name not in self.only:
                continue
            rows.append(_stats_row(layer, out))
            names.append(layer.name)
        if not rows:
            return
        xp = get_array_module(rows[0][0])
        values = asnumpy(xp.stack([xp.asarray(v, dtype=xp.float64) for row in rows for v in row]))
        values = values.reshape(len(rows), len(STATS))
        self.steps.append(self.step)
        self.epochs.append(getattr(self, "epoch", 0))
        for name, row in zip(names, values):
            if name not in self.history:
                self.layer_names.append(name)
                self.history[name] = {s: [math.nan] * (len(self.steps) - 1) for s in STATS}
            for s, v in zip(STATS, row):
                self.history[name][s].append(float(v))
        for name in self.layer_names:  # keep lists aligned if a layer was skipped
            for s in STATS:
                if len(self.history[name][s]) < len(self.steps):
                    self.history[name][s].append(math.nan)

    def as_arrays(self, stat="grad_norm"):
        """(steps (T,), {layer: values (T,)}) for one statistic."""
        return np.array(self.steps), {n: np.array(self.history[n][stat]) for n in self.layer_names}


def _moments(a):
    xp = get_array_module(a)
    a64 = a.astype(xp.float64)
    return a64.mean(), a64.std(), xp.sqrt((a64 * a64).sum())


def _stats_row(layer, out):
    xp = get_array_module(out.data)
    nan = xp.asarray(math.nan)
    act = _moments(out.data)
    grad = _moments(out.grad) if out.grad is not None else (nan, nan, nan)
    grads = [w.grad for w in layer.trainable_weights if w.grad is not None]
    wnorm = xp.sqrt(sum((g.astype(xp.float64) ** 2).sum() for g in grads)) if grads else nan
    return (*act, *grad, wnorm)

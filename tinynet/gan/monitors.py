"""Callbacks for GAN.fit: sample grids from a fixed z, per-batch loss records, a plain-text log.

grid = SampleGrid("out/samples-epoch{epoch:03d}.png", steps=(50, 200))
losses = LossRecorder()
gan.fit(x, epochs=5, callbacks=[grid, losses, TextLog("out/train.log")])
tinynet.plot.plot_gan_losses(losses)
"""

import json
import os
import time

import numpy as np

from ..training.callbacks import Callback


class SampleGrid(Callback):
    """Save a grid of images generated from one fixed set of z (drawn once from ``seed``, so
    every picture shows the same latent points) after every epoch, and after the global batch
    numbers in ``steps`` (the lecture's "after a few iterations"). ``path`` may use {epoch};
    ``step_path`` may use {step}. A conditional GAN gets one class per row (row i shows class
    i mod num_classes), labelled with the class names. ``epochs``: the epoch numbers (from 1)
    to save, default all. ``saved`` lists the files written."""

    def __init__(
        self,
        path="samples-epoch{epoch:03d}.png",
        n=100,
        nrow=10,
        seed=1234,
        steps=(),
        step_path=None,
        title="epoch {epoch}",
        epochs=None,
    ):
        super().__init__()
        self.path, self.n, self.nrow, self.seed = os.fspath(path), int(n), int(nrow), seed
        self.steps = set(int(s) for s in steps)
        self.step_path = step_path or os.path.join(
            os.path.dirname(self.path), "samples-step{step:05d}.png"
        )
        self.title = title
        self.epochs = None if epochs is None else set(int(e) for e in epochs)
        self.saved, self.step = [], 0

    def on_train_begin(self, logs=None):
        rng = np.random.default_rng(self.seed)
        self.z = self.model.sample_z(self.n, rng)
        k = self.model.num_classes
        self.labels = None if k is None else (np.arange(self.n) // self.nrow) % k

    def _save(self, path, title):
        from ..plot import save_sample_grid

        images = self.model.generate(z=self.z, labels=self.labels)
        names = None
        if self.labels is not None:
            names = [
                self.model.class_names[self.labels[i * self.nrow]]
                for i in range(len(self.labels) // self.nrow)
            ]
        save_sample_grid(images, path, nrow=self.nrow, title=title, row_labels=names)
        self.saved.append(path)

    def on_batch_end(self, batch, logs=None):
        self.step += 1
        if self.step in self.steps:
            self._save(self.step_path.format(step=self.step), f"after {self.step} iterations")

    def on_epoch_end(self, epoch, logs=None):
        if self.epochs is None or epoch + 1 in self.epochs:
            self._save(self.path.format(epoch=epoch + 1), self.title.format(epoch=epoch + 1))


class LossRecorder(Callback):
    """Every batch's logs: ``steps`` (global batch numbers from 1) and ``values[name]`` lists
    (NaN where a batch lacks the value, e.g. g_loss between generator steps when d_steps > 1).
    ``keys`` maps each recorded name to the log key it reads (default: d_loss, g_loss, d_acc as
    logged by GAN.fit; for an AdversarialModel e.g. {"d_loss": "discriminator_loss",
    "g_loss": "generator_yfake_loss"}). ``previous``: values recorded by an earlier session of
    the same run ({name: list}, e.g. from a checkpoint), continued from."""

    def __init__(self, keys=None, previous=None):
        super().__init__()
        self.keys = (
            dict(keys) if keys is not None else {k: k for k in ("d_loss", "g_loss", "d_acc")}
        )
        previous = previous or {}
        n = max((len(v) for v in previous.values()), default=0)
        self.steps = list(range(1, n + 1))
        self.values = {k: [float(v) for v in previous.get(k, [np.nan] * n)] for k in self.keys}
        if any(len(v) != n for v in self.values.values()):
            raise ValueError(f"LossRecorder: previous values of unequal lengths: {previous!r:.200}")

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        self.steps.append(len(self.steps) + 1)
        for name, key in self.keys.items():
            self.values[name].append(float(logs.get(key, np.nan)))


class TextLog(Callback):
    """Append one JSON line per epoch (epoch number, its logs, wall time since training began)
    to ``path``."""

    def __init__(self, path):
        super().__init__()
        self.path = os.fspath(path)

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        row = {
            "epoch": epoch + 1,
            **{k: round(float(v), 6) for k, v in (logs or {}).items()},
            "elapsed": round(time.perf_counter() - self.start, 2),
        }
        with open(self.path, "a") as f:
            f.write(json.dumps(row) + "\n")


class TimeBudget(Callback):
    """Stop training when ``seconds`` of wall time are spent: at an epoch's end when another
    epoch (as long as the slowest so far) would not fit, or after any batch once the budget is
    gone. ``stopped_early`` is True only when it cut the run short: a run that finished its
    last requested epoch (or batch) is not cut, however little time was left."""

    def __init__(self, seconds):
        super().__init__()
        if seconds <= 0:
            raise ValueError(f"TimeBudget: seconds must be positive, got {seconds}")
        self.seconds = float(seconds)
        self.stopped_early = False

    def on_train_begin(self, logs=None):
        self.start = self.epoch_start = time.perf_counter()
        self.longest, self.epoch, self.stopped_early = 0.0, 0, False

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self.epoch_start = epoch, time.perf_counter()

    def _last_epoch(self):
        return self.epoch + 1 >= self.params.get("epochs", 0)

    def _stop(self):
        self.model.stop_training = self.stopped_early = True

    def on_batch_end(self, batch, logs=None):
        steps = self.params.get("steps")
        if self._last_epoch() and steps is not None and batch + 1 >= steps:
            return  # the final batch of the final epoch: nothing left to cut
        if time.perf_counter() - self.start > self.seconds:
            self._stop()

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        self.longest = max(self.longest, now - self.epoch_start)
        if not self._last_epoch() and now - self.start + self.longest > self.seconds:
            self._stop()

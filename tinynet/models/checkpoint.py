"""Checkpoint and resume a long fit: the model (with its optimizer state) and the run so far
saved after every epoch in one file, written atomically, so a run cut off at any instant goes on
from its last finished epoch.

    timer = EpochTimer(); checkpoint = RunCheckpoint(out, timer, state)
    model.fit(..., initial_epoch=checkpoint.epochs_done, callbacks=[timer, checkpoint])
    model, state = resume(out)          # (None, None) when there is no checkpoint
"""

import json
import os
import time
from pathlib import Path

from ..training.callbacks import Callback
from .saving import load_model, read_header, save_model


class EpochTimer(Callback):
    """Wall-clock seconds of each epoch: ``epoch_seconds`` (training and validation) and
    ``train_seconds`` (up to the last batch's end, without validation); ``total`` for the fit."""

    def on_train_begin(self, logs=None):
        self.epoch_seconds, self.train_seconds, self.total = [], [], 0.0
        self._fit_start = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self._start = self._last_batch = time.perf_counter()

    def on_batch_end(self, batch, logs=None):
        self._last_batch = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_seconds.append(time.perf_counter() - self._start)
        self.train_seconds.append(self._last_batch - self._start)

    def on_train_end(self, logs=None):
        self.total = time.perf_counter() - self._fit_start


class RunCheckpoint(Callback):
    """After every epoch, save the model with its optimizer state to ``out/checkpoint.tnz`` and the
    run so far (per-epoch logs, epoch times) to ``out/checkpoint.json``, so that a long run cut
    off can go on from its last finished epoch (:func:`resume`).

    Passed to :func:`save_results` it serves as both the history and the timer of the whole run,
    earlier sessions included. Put it after the :class:`EpochTimer` in the callback list.
    ``session``: a JSON-able record of this session (its settings, its machine), appended to
    the state's "session_log", one entry per session that passed one."""

    def __init__(self, out_dir, timer, previous=None, session=None):
        super().__init__()
        self.dir, self.timer = Path(out_dir), timer
        state = previous or {}
        self.history = {k: list(v) for k, v in state.get("history", {}).items()}
        self.epoch_seconds = list(state.get("epoch_seconds", []))
        self.train_seconds = list(state.get("train_seconds", []))
        self.total = float(state.get("fit_seconds", 0.0))
        self.sessions = int(state.get("sessions", 0)) + 1
        self.session_log = list(state.get("session_log", [])) + ([session] if session else [])

    @property
    def epochs_done(self):
        return len(self.epoch_seconds)

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        self.epoch_seconds.append(self.timer.epoch_seconds[-1])
        self.train_seconds.append(self.timer.train_seconds[-1])
        self.total += self.timer.epoch_seconds[-1]
        self.dir.mkdir(parents=True, exist_ok=True)
        state = {
            "epochs": epoch + 1,
            "history": self.history,
            "epoch_seconds": self.epoch_seconds,
            "train_seconds": self.train_seconds,
            "fit_seconds": self.total,
            "sessions": self.sessions,
        }
        if self.session_log:
            state["session_log"] = self.session_log
        self.save(self.dir / "checkpoint.tnz", state)
        # a readable copy for people and tools; resume reads the model file's own
        _write_json_atomic(self.dir / "checkpoint.json", state)

    def save(self, path, state):
        """Write the model and ``state`` into one file. The run state rides in the model file's
        header: one atomic rename commits both, so a kill at any instant leaves the previous
        pair or the new one, never a mix."""
        save_model(self.model, path, run_state=state)


def _write_json_atomic(path, obj):
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(obj))
    os.replace(tmp, path)


def resume(out_dir):
    """The model and state saved by :class:`RunCheckpoint` in ``out_dir``, as ``(model, state)``
    (``state["epochs"]`` epochs done), or ``(None, None)`` when there is no checkpoint.

    The state is the one inside checkpoint.tnz (committed with the model); checkpoints written
    before it was kept there fall back to checkpoint.json. A file that cannot be read is a
    ModelFileError or CheckpointError naming it."""
    out = Path(out_dir)
    model_path, json_path = out / "checkpoint.tnz", out / "checkpoint.json"
    if not model_path.exists():
        return None, None
    state = read_header(model_path).get("run_state")
    if state is None:
        if not json_path.exists():
            return None, None
        try:
            state = json.loads(json_path.read_text())
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise CheckpointError(
                f"{json_path}: the run state cannot be read ({e}; truncated or corrupt). "
                f"Remove {out} to start afresh"
            ) from None
    if not isinstance(state, dict) or not isinstance(state.get("epochs"), int):
        raise CheckpointError(f"{model_path}: the run state has no epoch count: {state!r:.200}")
    return load_model(model_path), state


class CheckpointError(ValueError):
    """A checkpoint whose run state cannot be read; the message names the file."""

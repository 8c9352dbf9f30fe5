"""Checkpoint and resume a GAN's training: both players' weights, both optimizers' state, the
generator's weight average and the run so far, in one file written atomically after every epoch.

    timer = EpochTimer(); checkpoint = GANCheckpoint(gan, out, timer, state)
    gan.fit(x, epochs=E, initial_epoch=checkpoint.epochs_done, callbacks=[timer, checkpoint])
    state = resume_gan(gan, out)     # None when out has no checkpoint; else the run so far

``gan`` must be built and compiled as the saved one was (same architecture, optimizers and
ema_decay); resuming loads the numbers into it. The file is a tinynet weights file
(``out/checkpoint.tnz``, entries named ``generator/<i>`` for weight i, ``generator.optimizer/<i>/<slot>``
for its trainable weight i, ``discriminator/...``, ``ema/<i>``) whose header carries the optimizers' configs (with their
iteration counts), the average's update count and the run state of :class:`RunCheckpoint`.
The shuffling and z streams are drawn afresh on resuming, so a resumed run is a faithful
continuation but not the bit-identical twin of an uninterrupted one.
"""

from pathlib import Path

from ..models.checkpoint import RunCheckpoint
from ..models.saving import ModelFileError, load_arrays, save_arrays
from ..training import optimizers


def _parts(gan):
    """(prefix, model, optimizer) for each saved part; the average has no optimizer."""
    parts = [
        ("generator", gan.generator, gan.g_optimizer),
        ("discriminator", gan.discriminator, gan.d_optimizer),
    ]
    if gan.ema is not None:
        parts.append(("ema", gan.ema.model, None))
    return parts


def save_gan_checkpoint(gan, path, state=None):
    """Write gan's training state (and ``state``, a JSON-able run state) to ``path``."""
    gan.check_compiled("save_gan_checkpoint")
    names, arrays = [], []
    for prefix, model, opt in _parts(gan):
        for i, w in enumerate(model.weights):
            names.append(f"{prefix}/{i}")
            arrays.append(w.data)
        if opt is not None:
            for key, a in opt.state_arrays(model.trainable_weights).items():
                names.append(f"{prefix}.optimizer/{key}")
                arrays.append(a)
    extra = {
        "gan": {
            "optimizers": {
                "generator": optimizers.serialize(gan.g_optimizer),
                "discriminator": optimizers.serialize(gan.d_optimizer),
            },
            "ema_updates": None if gan.ema is None else gan.ema.updates,
        },
        "run_state": state,
    }
    save_arrays(path, names, arrays, extra)


def load_gan_checkpoint(gan, path):
    """Load the state saved by save_gan_checkpoint into ``gan``; returns the run state. A file
    for another architecture, or without a part ``gan`` has, is a ModelFileError naming it."""
    gan.check_compiled("load_gan_checkpoint")
    header, entries = load_arrays(path)
    saved = header.get("gan")
    if not isinstance(saved, dict):
        raise ModelFileError(path, "is not a GAN checkpoint (no 'gan' section)", "gan")
    values = dict(entries)
    for prefix, model, opt in _parts(gan):
        weights = []
        for i, (name, w) in enumerate(zip(model.weight_names(), model.weights)):
            v = values.get(f"{prefix}/{i}")
            if v is None or v.shape != w.shape:
                got = "missing" if v is None else f"shape {v.shape}"
                raise ModelFileError(
                    path,
                    f"{prefix} weight {i} ({name}): {got}, the model's is {w.shape} (a "
                    f"checkpoint of another architecture or ema_decay?)",
                    prefix,
                )
            weights.append(v)
        if f"{prefix}/{len(weights)}" in values:
            raise ModelFileError(
                path, f"holds more {prefix} weights than the model's {len(weights)}", prefix
            )
        model.set_weights(weights)
        if opt is not None:
            slots = f"{prefix}.optimizer/"
            state = {k[len(slots) :]: v for k, v in values.items() if k.startswith(slots)}
            config = saved["optimizers"][prefix]
            opt.load_state(model.trainable_weights, state, config.get("iterations", 0))
    if gan.ema is not None:
        gan.ema.updates = int(saved.get("ema_updates") or 0)
        gan.ema.stale = True
    return header.get("run_state")


class GANCheckpoint(RunCheckpoint):
    """RunCheckpoint for GAN.fit: after every epoch, out/checkpoint.tnz (save_gan_checkpoint)
    and out/checkpoint.json (the run so far, readable). With a ``recorder`` (LossRecorder), its
    per-batch losses join the run state as "batch_losses", so a resumed run's loss curve
    starts at its first batch."""

    def __init__(self, gan, out_dir, timer, previous=None, recorder=None, session=None):
        super().__init__(out_dir, timer, previous, session)
        self.gan, self.recorder = gan, recorder

    def save(self, path, state):
        if self.recorder is not None:
            state["batch_losses"] = {
                k: [round(v, 5) for v in vs] for k, vs in self.recorder.values.items()
            }
        save_gan_checkpoint(self.gan, path, state)


def resume_gan(gan, out_dir):
    """Load out_dir/checkpoint.tnz into ``gan`` and return its run state (``state["epochs"]``
    epochs done), or None when there is no checkpoint."""
    path = Path(out_dir) / "checkpoint.tnz"
    if not path.exists():
        return None
    state = load_gan_checkpoint(gan, path)
    if not isinstance(state, dict) or not isinstance(state.get("epochs"), int):
        raise ModelFileError(path, f"the run state has no epoch count: {state!r:.200}", "run_state")
    return state

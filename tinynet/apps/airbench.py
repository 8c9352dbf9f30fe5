"""airbench94's recipe (tinynet.zoo.airbench) on CIFAR-10, checkpointed and resumable.

``tinynet train cifar10-airbench`` (and examples/cifar10_airbench.py): a checkpoint after every
epoch, a per-session time limit.

    tinynet train cifar10-airbench [--epochs 9.9] [--batch-size 1024] [--seed 0]
        [--out runs/cifar10_airbench] [--resume] [--max-minutes M] [--stop-after N]

--max-minutes / --stop-after end this session at an epoch's end (the first past M minutes of
training, or after N epochs); --resume goes on from OUT/checkpoint.tnz exactly as if it had never
stopped (the batches of an epoch depend only on the seed and the epoch). The test set is the
validation data of the curves (it chooses nothing). OUT gets checkpoint.tnz, model.tnz,
metrics.json (with the TTA test accuracy, the FLOPs and the share of time), curves.png,
misclassified.png, confusion.png and train.log (one line per epoch, appended by each session).
A run stopped before the schedule's end writes the same files, marked "partial": true.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from ..models.checkpoint import EpochTimer, RunCheckpoint, resume
from ..training.callbacks import Callback
from ..zoo.airbench import AirbenchRecipe, airbench94, training_flops
from ..zoo.airbench_data import FlipTranslateBatches, tta_logits
from . import runs

DEFAULT_OUT = "runs/cifar10_airbench"


def parser():
    p = argparse.ArgumentParser(
        prog="tinynet train cifar10-airbench",
        description=__doc__.strip().splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    p.add_argument("--epochs", type=float, default=9.9, help="default 9.9 (airbench94's)")
    p.add_argument("--batch-size", type=int, default=1024, help="default 1024")
    p.add_argument("--device", choices=["cpu", "gpu"], default="cpu")
    p.add_argument(
        "--out",
        default=DEFAULT_OUT,
        help=f"folder for the run (default {DEFAULT_OUT}); refused when it holds another run's "
        f"files, unless --overwrite or --resume",
    )
    p.add_argument("--overwrite", action="store_true", help="replace a run already in --out")
    p.add_argument("--resume", action="store_true", help="go on from OUT/checkpoint.tnz")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int, default=None, help="first N images of each split only")
    p.add_argument(
        "--max-minutes",
        type=float,
        default=None,
        help="end this session at the first epoch's end past M minutes of training",
    )
    p.add_argument("--stop-after", type=int, default=None, help="end this session after N epochs")
    p.add_argument("--widths", default="64,256,256", help="the three groups' widths")
    p.add_argument(
        "--gelu",
        choices=["tanh", "none"],
        default="tanh",
        help="GELU's form: tanh approximation (default; cheap on the CPU) or none (exact erf)",
    )
    p.add_argument("--tta-level", type=int, choices=[0, 1, 2], default=2)
    p.add_argument(
        "--whitening-images",
        type=int,
        default=5000,
        help="training images whose patches set the whitening layer (default 5000)",
    )
    runs.add_verbose(p)
    return p


class SessionLimit(Callback):
    """Stop fit at the end of the first epoch past ``minutes`` of this session, or after
    ``epochs`` epochs of it (either may be None)."""

    def __init__(self, minutes=None, epochs=None):
        super().__init__()
        self.minutes, self.epochs = minutes, epochs
        self.start, self.done, self.stopped = time.perf_counter(), 0, False

    def on_epoch_end(self, epoch, logs=None):
        self.done += 1
        late = self.minutes is not None and time.perf_counter() - self.start >= 60 * self.minutes
        if late or (self.epochs is not None and self.done >= self.epochs):
            self.model.stop_training = self.stopped = True


class EpochLog(Callback):
    """Append one line per epoch to ``path``: the step, the logs, the epoch's seconds and the
    run's training seconds so far (from the RunCheckpoint)."""

    def __init__(self, path, checkpoint):
        super().__init__()
        self.path, self.checkpoint = Path(path), checkpoint

    def log(self, text):
        print(text, flush=True)
        with open(self.path, "a") as f:
            f.write(text + "\n")

    def on_epoch_end(self, epoch, logs=None):
        values = " ".join(f"{k} {v:.4f}" for k, v in (logs or {}).items())
        c = self.checkpoint
        self.log(
            f"epoch {epoch + 1} step {self.model.optimizer.iterations} {values} "
            f"epoch_s {c.epoch_seconds[-1]:.1f} train_s {sum(c.train_seconds):.1f} "
            f"lr {self.model.optimizer.current_lr():.5f}"
        )


def main(argv=None):
    args = parser().parse_args(argv)
    info = runs.start(args)
    if args.max_minutes is not None and not args.max_minutes > 0:
        raise SystemExit(f"--max-minutes must be > 0, got {args.max_minutes}")
    runs.check_positive(args, "stop_after", "whitening_images")
    widths = tuple(int(w) for w in args.widths.split(","))
    out = Path(args.out)
    (x, y), (x_test, y_test) = runs.load_images("cifar10", args.limit)
    recipe = AirbenchRecipe(len(x), args.batch_size, args.epochs)
    model, state = resume(out) if args.resume else (None, None)
    whitening_seconds = None
    if model is None:
        start = time.perf_counter()
        model = airbench94(
            widths=widths, gelu=args.gelu, whitening_images=x[: args.whitening_images]
        )
        whitening_seconds = time.perf_counter() - start
        model.compile(optimizer=recipe.optimizer(), loss=recipe.loss, metrics=["accuracy"])
    elif getattr(model.optimizer.lr, "total_steps", None) != recipe.total_steps:
        raise SystemExit(
            f"--resume: {out / 'checkpoint.tnz'} was made for a schedule of "
            f"{getattr(model.optimizer.lr, 'total_steps', '?')} steps; --epochs {args.epochs} "
            f"--batch-size {args.batch_size} make {recipe.total_steps}"
        )
    model = model.to(args.device)
    out.mkdir(parents=True, exist_ok=True)
    timer = EpochTimer()
    checkpoint = RunCheckpoint(out, timer, state)
    log = EpochLog(out / "train.log", checkpoint)
    done = checkpoint.epochs_done
    limit = SessionLimit(args.max_minutes, args.stop_after)
    log.log(
        f"session {checkpoint.sessions}: {runs.machine_info(args.device)['cpu']}, load "
        f"{info['machine'].get('load_average_start')}, from epoch {done + 1} (step "
        f"{model.optimizer.iterations} of {recipe.total_steps})"
    )
    if model.optimizer.iterations < recipe.total_steps:
        batches = FlipTranslateBatches(
            x, runs.one_hot(y), recipe.batch_size, seed=args.seed, epoch=done
        )
        model.fit(
            batches,
            epochs=recipe.epochs_to_run,
            initial_epoch=done,
            validation_data=(x_test, runs.one_hot(y_test)),
            verbose=args.verbose,
            callbacks=[timer, *recipe.callbacks(model), checkpoint, log, limit],
        )
    steps = model.optimizer.iterations
    finished = steps >= recipe.total_steps
    start = time.perf_counter()
    tta = tta_logits(model, x_test, args.tta_level)
    tta_acc = float(np.mean(tta.argmax(axis=1) == y_test))
    tta_seconds = time.perf_counter() - start
    forward, backward = training_flops(model, 1)
    train_seconds = float(sum(checkpoint.train_seconds))
    flops = _run_flops(model, recipe, steps)
    info.update(
        recipe.describe(),
        partial=not finished,
        steps_done=steps,
        widths=list(widths),
        gelu=args.gelu,
        augmentation="alternating flips, translations up to 2 px (reflect-padded)",
        validation="test set (no TTA)",
        tta_level=args.tta_level,
        tta_test_accuracy=tta_acc,
        tta_seconds=round(tta_seconds, 1),
        whitening_seconds=None if whitening_seconds is None else round(whitening_seconds, 2),
        train_flops_per_image_step=forward + backward,
        train_flops=flops,
        train_seconds_total=round(train_seconds, 1),
        achieved_gflops=round(flops / train_seconds / 1e9, 2) if train_seconds else None,
        command="tinynet train cifar10-airbench "
        + " ".join(sys.argv[1:] if argv is None else argv),
        sessions=checkpoint.sessions,
    )
    metrics = runs.save_results(
        out, model, checkpoint.history, x_test, y_test, "cifar10", checkpoint, info
    )
    state = "finished" if finished else f"partial: step {steps} of {recipe.total_steps}"
    log.log(
        f"{state}; test accuracy {metrics['test_accuracy']:.4f} (TTA level {args.tta_level}: "
        f"{tta_acc:.4f}), {train_seconds / 60:.1f} min of training "
        f"({info['achieved_gflops']} GFLOP/s); results in {out}"
    )
    return 0


def _run_flops(model, recipe, steps):
    """Training FLOPs of ``steps`` optimizer steps of the recipe's batches: the whitening bias
    trains (and the first group's input gradient is computed) for the first whiten_bias_epochs."""
    layer = next(la for la in model.layers if hasattr(la, "bias_trainable"))
    before = layer.bias_trainable
    try:
        layer.bias_trainable = True
        early = sum(training_flops(model, recipe.batch_size))
        layer.bias_trainable = False
        late = sum(training_flops(model, recipe.batch_size))
    finally:
        layer.bias_trainable = before
    n_early = min(steps, recipe.whiten_bias_epochs * recipe.steps_per_epoch)
    return int(n_early * early + (steps - n_early) * late)


if __name__ == "__main__":
    sys.exit(main())

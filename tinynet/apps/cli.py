"""The ``tinynet`` command.

    tinynet train lenet|cifar10-cnn|cifar10-deep [--augment] [--epochs N] [--batch-size N]
                  [--device cpu|gpu] [--out DIR] [--seed N] [--resume] [--distributed]
    tinynet train cifar10-airbench [...]   airbench94's recipe (its own options: --help)
    tinynet evaluate MODEL_FILE [--dataset mnist|cifar10]
    tinynet bench [...]          the benchmark suite (benchmarks/ of a source checkout)
    tinynet gan lecture|dcgan|conditional|arithmetic [--epochs N] [--out DIR] [--device cpu|gpu]
    tinynet wavenet train|evaluate|generate|baselines [...]   WaveNet on spoken digits

Each subcommand is registered with :func:`subcommand`: a ``configure(parser)`` function adding
its options and a ``run(args)`` function returning the exit status, e.g.

    @subcommand("gan", "train the lecture's GAN", configure=_gan_options)
    def _gan(args): ...
"""

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Callable, NamedTuple, Optional

from .. import threads
from ..backend import tune_malloc


class Subcommand(NamedTuple):
    help: str
    configure: Optional[Callable]  # None: run(argv) gets the remaining arguments unparsed
    run: Callable


SUBCOMMANDS = {}


def subcommand(name, help, configure=None):
    """Register the decorated ``run`` as ``tinynet <name>``. With ``configure=None`` the
    subcommand parses its own arguments: ``run`` gets the list of strings after ``name``."""

    def register(run):
        SUBCOMMANDS[name] = Subcommand(help, configure, run)
        return run

    return register


class CommandError(Exception):
    """A user error: printed as ``tinynet <command>: <message>`` with exit status 1."""


# ----- train -----
class Recipe(NamedTuple):
    dataset: str
    optimizer: str
    epochs: int
    batch_size: int = 128


# The lecture's settings: Adam for LeNet, RMSprop for the CIFAR-10 nets, 20% held out.
RECIPES = {
    "lenet": Recipe("mnist", "adam", 20),
    "cifar10-cnn": Recipe("cifar10", "rmsprop", 20),
    "cifar10-deep": Recipe("cifar10", "rmsprop", 40),
}


def _train_runs():
    """runs.TRAIN_RUNS resolved: name -> main(argv) (runs with their own options)."""
    import importlib

    from .runs import TRAIN_RUNS

    def entry(spec):
        module, func = spec.split(":")
        return lambda argv: getattr(importlib.import_module(module), func)(argv)

    return {name: entry(spec) for name, spec in TRAIN_RUNS.items()}


def _train_options(p):
    p.add_argument(
        "model",
        choices=list(RECIPES) + list(_train_runs()),
        help="which of the lecture's models, or a recipe with its own options "
        "(tinynet train cifar10-airbench --help)",
    )
    p.add_argument(
        "--augment",
        action="store_true",
        help="CIFAR-10 only: train through ImageDataGenerator (rotations up to 15 degrees, "
        "shifts and zoom up to 10%%, horizontal flips) on all 50,000 images, validating "
        "on the test set, Adam 1e-3 stepped down after epochs 30 and 40 (default "
        "50 epochs)",
    )
    p.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="default: the lecture's (lenet 20, cifar10-cnn 20, cifar10-deep 40)",
    )
    p.add_argument("--batch-size", type=int, default=None, help="default 128")
    p.add_argument("--device", choices=["cpu", "gpu"], default="cpu")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="results folder (default runs/<model>, scratch); refused when it holds another "
        "run's files, unless --overwrite or --resume",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace the files of a run already in OUT"
    )
    p.add_argument("--seed", type=int, default=0)
    _verbose_option(p)
    p.add_argument(
        "--resume",
        action="store_true",
        help="go on from the last finished epoch saved in OUT/checkpoint.tnz, if any",
    )
    p.add_argument(
        "--limit",
        type=int,
        default=None,
        help="use only the first N images of each split (a quick run: --epochs 1 --limit 5000)",
    )
    p.add_argument(
        "--distributed",
        action="store_true",
        help="data-parallel over the processes of mpiexec (mpiexec -n 2 tinynet train lenet "
        "--distributed); --batch-size is the global batch (with --augment, every rank draws "
        "each augmented batch and keeps its rows); rank 0 writes the files",
    )


def _verbose_option(p):
    from .runs import add_verbose

    add_verbose(p)


def _default(value, default):
    """``value`` unless it was not given (None); 0 stays 0, to be refused, not replaced."""
    return default if value is None else value


@subcommand(
    "train",
    "train one of the lecture's models and save the model, metrics and figures",
    _train_options,
)
def _train(args):
    from .. import zoo
    from ..models.checkpoint import EpochTimer, RunCheckpoint, resume
    from . import runs

    recipe = RECIPES[args.model]
    if args.augment and recipe.dataset != "cifar10":
        raise CommandError(f"--augment is for the CIFAR-10 models, not {args.model}")
    epochs = _default(args.epochs, runs.AUGMENT_EPOCHS if args.augment else recipe.epochs)
    args.batch_size = _default(args.batch_size, recipe.batch_size)
    out = args.out or Path("runs") / (args.model + ("-augment" if args.augment else ""))
    try:  # all before any data is loaded or anything trained
        runs.check_positive(args, "batch_size", "limit")
        runs.check_positive(argparse.Namespace(epochs=epochs), "epochs")
        runs.check_out_dir(out, args.overwrite, args.resume)
    except runs.RunFolderError as e:
        raise CommandError(str(e)) from None
    args.out = out
    comm = None
    if args.distributed:
        from ..distributed import init

        comm = init()
    main = comm is None or comm.is_main
    info = runs.start(args)
    # distributed: rank 0 reads the checkpoint; fit gives its weights and state to the others
    model, state = resume(out) if args.resume and main else (None, None)
    if comm is not None:
        state = comm.broadcast_object(state)
    if model is None:
        model = zoo.get(args.model)
        optimizer = runs.AUGMENT_OPTIMIZER if args.augment else recipe.optimizer
        model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    elif tuple(model.input_shape) != runs.INPUT_SHAPES[recipe.dataset]:
        raise CommandError(
            f"--resume: {out / 'checkpoint.tnz'} holds a model for input "
            f"{tuple(model.input_shape)}, not {args.model}"
        )
    (x, y), (x_test, y_test) = runs.load_images(recipe.dataset, args.limit)
    model = model.to(args.device)
    timer = EpochTimer()
    checkpoint = RunCheckpoint(out, timer, state)
    callbacks = [timer, checkpoint] if main else [timer]
    if checkpoint.epochs_done and main:
        print(f"resuming after epoch {checkpoint.epochs_done} from {out / 'checkpoint.tnz'}")
    if args.augment:
        from ..callbacks import LearningRateScheduler
        from ..preprocessing import ImageDataGenerator

        callbacks.insert(0, LearningRateScheduler(runs.augment_learning_rate))
        with ImageDataGenerator(**runs.CIFAR10_AUGMENTATION).flow(
            x,
            runs.one_hot(y),
            batch_size=args.batch_size,
            seed=args.seed + checkpoint.epochs_done,
            background=True,
        ) as batches:
            model.fit(
                batches,
                epochs=epochs,
                initial_epoch=checkpoint.epochs_done,
                validation_data=(x_test, runs.one_hot(y_test)),
                verbose=args.verbose,
                callbacks=callbacks,
                distributed=comm,  # each rank draws every batch alike and keeps its rows
            )
        info.update(
            augmentation=runs.CIFAR10_AUGMENTATION,
            validation="test set",
            learning_rate=runs.AUGMENT_LEARNING_RATES,
        )
    else:
        model.fit(
            x,
            runs.one_hot(y),
            batch_size=args.batch_size,
            epochs=epochs,
            initial_epoch=checkpoint.epochs_done,
            validation_split=0.2,
            verbose=args.verbose,
            callbacks=callbacks,
            distributed=comm,
        )
        info.update(validation_split=0.2)
    if not main:
        return 0
    if comm is not None:
        info.update(ranks=comm.size)
    info.update(
        optimizer=type(model.optimizer).__name__.lower(),
        command="tinynet " + " ".join(sys.argv[1:]),
        sessions=checkpoint.sessions,
    )
    metrics = runs.save_results(
        out, model, checkpoint.history, x_test, y_test, recipe.dataset, checkpoint, info
    )
    print(
        f"{args.model}: test accuracy {metrics['test_accuracy']:.4f}, test loss "
        f"{metrics['test_loss']:.4f} after {epochs} epoch{'' if epochs == 1 else 's'} "
        f"({metrics['seconds_per_epoch']} s/epoch); "
        f"model, metrics.json and figures in {out}"
    )
    return 0


# ----- evaluate -----
def _evaluate_options(p):
    p.add_argument(
        "model_file", type=Path, metavar="MODEL_FILE", help="a model saved by tinynet (.tnz)"
    )
    p.add_argument(
        "--dataset",
        choices=["mnist", "cifar10"],
        default=None,
        help="test set to use (default: chosen from the model's input shape)",
    )
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument("--device", choices=["cpu", "gpu"], default="cpu")
    p.add_argument(
        "--limit", type=int, default=None, help="evaluate on the first N test images only"
    )


@subcommand(
    "evaluate",
    "test loss and accuracy of a saved model on the MNIST or CIFAR-10 test set",
    _evaluate_options,
)
def _evaluate(args):
    from ..backend import gpu_available
    from ..models import load_model
    from ..models.saving import ModelFileError
    from . import runs

    if not args.model_file.is_file():
        raise CommandError(f"{args.model_file}: no such file")
    try:
        runs.check_positive(args, "batch_size", "limit")
    except runs.RunFolderError as e:
        raise CommandError(str(e)) from None
    try:
        model = load_model(args.model_file)
    except ModelFileError as e:
        raise CommandError(str(e)) from None
    dataset = args.dataset
    if dataset is None:
        dataset = next(
            (d for d, s in runs.INPUT_SHAPES.items() if s == tuple(model.input_shape)), None
        )
        if dataset is None:
            raise CommandError(
                f"{args.model_file}: input shape {tuple(model.input_shape)} is neither "
                f"MNIST's {runs.INPUT_SHAPES['mnist']} nor CIFAR-10's "
                f"{runs.INPUT_SHAPES['cifar10']}"
            )
    elif tuple(model.input_shape) != runs.INPUT_SHAPES[dataset]:
        raise CommandError(
            f"{args.model_file}: the model takes input {tuple(model.input_shape)}, "
            f"{dataset} images are {runs.INPUT_SHAPES[dataset]}"
        )
    if args.device == "gpu":
        if not gpu_available():
            raise CommandError("--device gpu: no CUDA GPU is available")
        model.to("gpu")
    if model.loss is None:
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    _, (x_test, y_test) = runs.load_images(dataset, args.limit)
    # the targets in the form the model's loss takes: integer labels or one-hot rows
    sparse = getattr(model.loss, "name", "") == "sparse_categorical_crossentropy"
    labels = y_test if sparse else runs.one_hot(y_test, len(runs.CLASS_NAMES[dataset]))
    values = model.evaluate(x_test, labels, batch_size=args.batch_size, verbose=0)
    values = values if isinstance(values, list) else [values]
    shown = ", ".join(
        f"{'accuracy' if k == 'acc' else k} {v:.4f}" for k, v in zip(model.metrics_names, values)
    )
    print(f"{args.model_file}: {shown} on {len(y_test)} {dataset} test images")
    return 0


# ----- bench -----
@subcommand(
    "bench",
    "run the benchmark suite (benchmarks/ of a tinynet source checkout; "
    "'tinynet bench --help' for its options)",
)
def _bench(argv):
    """Runs ``python -m benchmarks`` in the current folder: the suite is part of a source
    checkout, not of the installed package."""
    if not (Path.cwd() / "benchmarks" / "__main__.py").is_file():
        raise CommandError(
            f"no benchmarks/ folder in {Path.cwd()}: the benchmark suite is part of a "
            f"tinynet source checkout, not of the installed package. Run 'tinynet bench' "
            f"(or 'python -m benchmarks') from the root of a checkout"
        )
    return subprocess.call([sys.executable, "-m", "benchmarks", *argv])


# ----- gan -----
def _gan_options(p):
    from .gan_cli import configure

    configure(p)


@subcommand(
    "gan",
    "train and measure a GAN on MNIST: lecture, dcgan, conditional, or latent arithmetic",
    _gan_options,
)
def _gan(args):
    from .gan_cli import run

    return run(args)


def _wavenet_options(p):
    from .wavenet_cli import configure

    configure(p)


@subcommand(
    "wavenet",
    "WaveNet on spoken digits: train, evaluate, generate, baselines",
    _wavenet_options,
)
def _wavenet(args):
    threads.disable()  # WaveNet's GEMMs are small: OpenBLAS's own threads run them faster
    return args.run(args)


# ----- the command -----
def build_parser():
    parser = argparse.ArgumentParser(
        prog="tinynet",
        description="tinynet: train and evaluate the lecture's models, run the benchmarks.",
        epilog="'tinynet <command> --help' describes each command's options.",
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"tinynet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, cmd in SUBCOMMANDS.items():
        p = sub.add_parser(
            name, help=cmd.help, description=cmd.help, add_help=cmd.configure is not None
        )
        if cmd.configure is not None:
            cmd.configure(p)
    return parser


def main(argv=None):
    """Run ``tinynet`` with ``argv`` (default sys.argv[1:]); returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    tune_malloc()
    threads.enable()  # both cores on every large pass (TINYNET_THREADS=0: off)
    try:
        if argv and argv[0] in SUBCOMMANDS and SUBCOMMANDS[argv[0]].configure is None:
            return SUBCOMMANDS[argv[0]].run(argv[1:])
        if argv[:1] == ["train"] and len(argv) > 1 and argv[1] in _train_runs():
            return _train_runs()[argv[1]](argv[2:])
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        return SUBCOMMANDS[args.command].run(args)
    except CommandError as e:
        print(f"tinynet {argv[0] if argv else ''}: {e}", file=sys.stderr)
        return 1
    except FileNotFoundError as e:  # a dataset that is missing and cannot be downloaded
        print(f"tinynet {argv[0] if argv else ''}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""Training runs of the zoo's models: the data scaled for them, per-epoch timing, and the files a
finished run leaves behind (used by ``tinynet train`` and the scripts in examples/).

    (x, y), (x_test, y_test) = runs.load_images("cifar10")      # float32 (N, 3, 32, 32) in [0, 1]
    timer = EpochTimer()  # tinynet.models.checkpoint
    history = model.fit(x, runs.one_hot(y), callbacks=[timer], ...)
    metrics = runs.save_results("runs/cifar10-deep", model, history, x_test, y_test, "cifar10", timer)

A run folder holds model.tnz, metrics.json (test loss and accuracy, the history, seconds per
epoch, the machine), curves.png, misclassified.png and confusion.png.
"""

import json
import os
import platform
import sys
from pathlib import Path

import numpy as np

from .. import plot
from ..backend import blas_kernels, gpu_available
from ..datasets import cifar10

CLASS_NAMES = {
    "mnist": tuple(str(d) for d in range(10)),
    "cifar10": cifar10.CLASS_NAMES,
}
INPUT_SHAPES = {"mnist": (1, 28, 28), "cifar10": (3, 32, 32)}

# tinynet's recipe for the lecture's augmented CIFAR-10 run (ImageDataGenerator arguments, 50
# epochs, Adam with the rate for each epoch counted from 0: 1e-3, then about 3 times smaller after
# epochs 30 and 40). Milder than the course's own arguments (rotation 40, shifts and zoom 0.2 with
# RMSprop), which leave this net underfitting; both runs are in the results folder.
CIFAR10_AUGMENTATION = dict(
    rotation_range=15,
    width_shift_range=0.1,
    height_shift_range=0.1,
    zoom_range=0.1,
    horizontal_flip=True,
    fill_mode="nearest",
)
AUGMENT_EPOCHS = 50
AUGMENT_OPTIMIZER = "adam"


def augment_learning_rate(epoch):
    return 1e-3 if epoch < 30 else 3e-4 if epoch < 40 else 1e-4


AUGMENT_LEARNING_RATES = (
    "1e-3 / 3e-4 (epoch 31) / 1e-4 (epoch 41)"  # augment_learning_rate, in words
)

# ``tinynet train NAME ...`` runs that parse their own options: NAME -> "module:function"
# (the function takes the arguments after NAME and returns the exit status)
TRAIN_RUNS = {"cifar10-airbench": "tinynet.apps.airbench:main"}


def _check_dataset(dataset, who):
    if dataset not in CLASS_NAMES:
        raise ValueError(f"{who}: unknown dataset {dataset!r}; known: {', '.join(CLASS_NAMES)}")


def load_images(dataset, limit=None, path=None):
    """``((x_train, y_train), (x_test, y_test))`` of ``dataset`` ('mnist' or 'cifar10'):
    images float32 (N, C, H, W) scaled to [0, 1], labels int64 (N,). ``limit`` keeps the first
    ``limit`` samples of each split (for quick trials and tests)."""
    _check_dataset(dataset, "load_images")
    from ..datasets import mnist

    loader = mnist if dataset == "mnist" else cifar10
    (x_train, y_train), (x_test, y_test) = loader.load_data(path)
    if limit is not None:
        if limit < 1:
            raise ValueError(
                f"load_images: limit must be a positive number of samples, got {limit}"
            )
        x_train, y_train, x_test, y_test = (
            x_train[:limit],
            y_train[:limit],
            x_test[:limit],
            y_test[:limit],
        )

    def scale(x):
        x = x.reshape((len(x),) + INPUT_SHAPES[dataset])
        return np.multiply(x, np.float32(1 / 255), dtype=np.float32)

    return (
        (scale(x_train), y_train.reshape(-1).astype(np.int64)),
        (scale(x_test), y_test.reshape(-1).astype(np.int64)),
    )


def one_hot(labels, classes=10):
    """Class indices (N,) -> float32 one-hot rows (N, classes)."""
    labels = np.asarray(labels).reshape(-1)
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(
            f"one_hot: labels must be in 0..{classes - 1}, got {labels.min()}..{labels.max()}"
        )
    return np.eye(classes, dtype=np.float32)[labels]


def machine_info(device="cpu"):
    """CPU model, cores, NumPy version, load averages (and the GPU's name when ``device`` is gpu)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu
            )
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "numpy": np.__version__,
        "python": platform.python_version(),
        "device": device,
        "threads": {
            k: os.environ[k] for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS") if k in os.environ
        },
        "blas_kernels": blas_kernels(),
    }
    if hasattr(os, "getloadavg"):
        info["load_average"] = [round(v, 2) for v in os.getloadavg()]
    if device == "gpu" and gpu_available():
        import cupy

        info["gpu"] = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
    return info


def save_results(
    out_dir, model, history, x_test, y_test, dataset, timer=None, info=None, batch_size=500
):
    """Evaluate ``model`` on the test set and write the run's files into ``out_dir``:
    model.tnz, metrics.json, curves.png (accuracy and loss per epoch), misclassified.png (test
    images with true and predicted labels), confusion.png. x_test (N, C, H, W) float in [0, 1],
    y_test (N,) class indices. Returns the metrics dict written to metrics.json."""
    _check_dataset(dataset, "save_results")
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = CLASS_NAMES[dataset]
    loss, acc = model.evaluate(
        x_test, one_hot(y_test, len(names)), batch_size=batch_size, verbose=0
    )
    predicted = model.predict(x_test, batch_size=batch_size).argmax(axis=1)
    model.save(out / "model.tnz")
    hist = {
        k: [float(v) for v in vals]
        for k, vals in (history.history if hasattr(history, "history") else dict(history)).items()
    }
    metrics = {
        "model": model.name,
        "dataset": dataset,
        "params": int(model.count_params()),
        "epochs": len(next(iter(hist.values()), [])),
        "test_loss": float(loss),
        "test_accuracy": float(acc),
        "test_samples": int(len(y_test)),
        "history": hist,
        **(info or {}),
    }
    if timer is not None:
        metrics.update(
            fit_seconds=round(timer.total, 1),
            epoch_seconds=[round(s, 1) for s in timer.epoch_seconds],
            train_seconds=[round(s, 1) for s in timer.train_seconds],
            seconds_per_epoch=round(float(np.mean(timer.epoch_seconds)), 1)
            if timer.epoch_seconds
            else None,
        )
    metrics["machine"] = {
        **machine_info(getattr(model, "device", "cpu")),
        **metrics.get("machine", {}),
    }
    val_label = f"validation ({metrics['validation']})" if "validation" in metrics else "validation"
    title = f"{model.name} on {dataset}: test accuracy {acc:.2%}"
    for fname, fig in (
        ("curves.png", lambda: plot.plot_history(history, title=title, val_label=val_label)),
        ("misclassified.png", lambda: plot.plot_misclassified(x_test, y_test, predicted, names)),
        ("confusion.png", lambda: plot.plot_confusion_matrix(y_test, predicted, names)),
    ):
        figure = fig()
        figure.savefig(out / fname, dpi=100)
        plt.close(figure)
    write_json(out / "metrics.json", metrics, indent=1)
    return metrics


def write_json(path, data, indent=2):
    """``data`` as JSON at ``path`` (NumPy scalars and arrays as numbers and lists), written to a
    temporary file beside it and renamed onto it: a reader never sees half a file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    with open(tmp, "w") as f:
        json.dump(data, f, indent=indent, default=_jsonable)
        f.write("\n")
    os.replace(tmp, path)
    return path


def _jsonable(v):
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    raise TypeError(f"not JSON-able: {type(v).__name__}")


class RunFolderError(ValueError):
    """An output folder a run must not write into (a file, or another run's files)."""


def check_out_dir(out, overwrite=False, resume=False):
    """Refuse, before anything is trained, an ``out`` that is a file, or a folder already
    holding files (another run's) unless ``overwrite`` (replace them) or ``resume`` (go on from
    its checkpoint.tnz) is given. Returns ``out`` as a Path."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise RunFolderError(f"--out {out} is a file; give a folder for the run's files")
    held = sorted(p.name for p in out.iterdir()) if out.is_dir() else []
    if not held or overwrite:
        return out
    if resume:
        if (out / "checkpoint.tnz").is_file():
            return out
        raise RunFolderError(
            f"--resume: {out} has no checkpoint.tnz to go on from, but holds other files "
            f"({', '.join(held[:4])}{' ...' if len(held) > 4 else ''}); pass --overwrite to "
            f"replace them, or another --out"
        )
    raise RunFolderError(
        f"--out {out} already holds another run's files ({', '.join(held[:4])}"
        f"{' ...' if len(held) > 4 else ''}); pass --overwrite to replace them"
        + (", --resume to go on from its checkpoint" if (out / "checkpoint.tnz").is_file() else "")
        + ", or another --out"
    )


def default_verbose(verbose):
    """--verbose as given, else 1 (the live bar) on a terminal and 2 (one line per epoch) when
    stdout goes to a file or a pipe, so logs hold no bar redraws."""
    if verbose is not None:
        return verbose
    return 1 if sys.stdout.isatty() else 2


def check_positive(args, *names):
    """Refuse a --name N below 1 (0 must not mean "the default")."""
    for name in names:
        value = getattr(args, name, None)
        if value is not None and value < 1:
            flag = "--" + name.replace("_", "-")
            raise RunFolderError(f"{flag} must be a positive integer, got {value}")


def example_parser(doc, epochs, batch_size, out, resumable=False):
    """The command-line options shared by the scripts in examples/ (their defaults are the
    lecture's run): --epochs, --batch-size, --device, --out, --overwrite, --seed, --limit,
    --verbose, and --resume when ``resumable`` (long runs that save a :class:`RunCheckpoint`
    every epoch). :func:`start` checks them."""
    import argparse

    p = argparse.ArgumentParser(
        description=doc.strip().splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=doc,
    )
    p.add_argument("--epochs", type=int, default=epochs, help=f"default {epochs}")
    p.add_argument("--batch-size", type=int, default=batch_size, help=f"default {batch_size}")
    p.add_argument("--device", choices=["cpu", "gpu"], default="cpu")
    p.add_argument(
        "--out",
        default=out,
        help=f"folder for the results (default {out}); refused when it holds another run's "
        f"files, unless --overwrite",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace the files of a run already in --out"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--limit", type=int, default=None, help="use only the first N images of each split"
    )
    add_verbose(p)
    if resumable:
        p.add_argument(
            "--resume",
            action="store_true",
            help="go on from the last finished epoch saved in OUT/checkpoint.tnz, if any",
        )
    return p


def add_verbose(p):
    p.add_argument(
        "--verbose",
        type=int,
        choices=[0, 1, 2],
        default=None,
        help="0: silent; 1: live progress bar; 2: one line per epoch (default: 1 on a "
        "terminal, 2 when the output goes to a file or pipe)",
    )


def start(args):
    """Check the arguments (positive sizes, --out, the device), seed tinynet; returns the info
    dict for :func:`save_results`. A refused argument exits with its message."""
    from ..backend import seed

    try:
        check_positive(args, "epochs", "batch_size", "limit")
        if getattr(args, "out", None) is not None:
            check_out_dir(
                args.out, getattr(args, "overwrite", False), getattr(args, "resume", False)
            )
    except RunFolderError as e:
        raise SystemExit(str(e)) from None
    args.verbose = default_verbose(getattr(args, "verbose", None))
    if args.device == "gpu" and not gpu_available():
        raise SystemExit(
            "--device gpu: no CUDA GPU is available (install CuPy, e.g. "
            "pip install cupy-cuda13x, on a machine with an NVIDIA GPU)"
        )
    seed(args.seed)
    return {
        "seed": args.seed,
        "batch_size": args.batch_size,
        "limit": args.limit,
        "machine": {"load_average_start": [round(v, 2) for v in os.getloadavg()]}
        if hasattr(os, "getloadavg")
        else {},
    }

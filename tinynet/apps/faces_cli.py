"""``tinynet gan faces classifiers|train|arithmetic|sample``: the 64x64 face DCGAN on CelebA and
its attribute judges (also ``python -m tinynet.apps.faces_cli ACTION ...``).

    tinynet gan faces classifiers --out runs/faces/classifiers
    tinynet gan faces train --width 32 --epochs 20 --max-minutes 120 --out runs/faces/dcgan
    tinynet gan faces arithmetic --generator runs/faces/dcgan/generator_ema.tnz \
        --classifier results/faces/classifiers/classifier.tnz --out runs/faces/arithmetic
    tinynet gan faces sample --generator ... --classifier ... --n 5000 --out runs/faces/sample

Every action writes into --out (refused when it holds another run's files, unless --overwrite,
or for train --resume, which goes on from the checkpoint.tnz saved there after every epoch);
CelebA is read through TINYNET_DATA and never written out.
"""

import argparse
import sys

from ..gan.faces import EMA_DECAY

ACTIONS = {
    "classifiers": "train the Eyeglasses / Smiling / Male classifier on the training faces and "
    "test it on the held-out ones (balanced accuracy)",
    "train": "train the 64x64 DCGAN on the CelebA faces (sample grids, losses, interpolation)",
    "arithmetic": "the two face equations over many cases, with random-vector controls, read by "
    "the classifier; the slide's figure",
    "sample": "Fréchet distance on the classifier's features and attribute shares, generated vs "
    "held-out real faces",
}
DEFAULT_CLASSIFIER = "results/faces/classifiers/classifier.tnz"
DESCRIPTION = "the 64x64 face DCGAN on CelebA: " + ", ".join(ACTIONS)


def configure(p):
    """One sub-parser per action, each with its own options."""
    from .runs import add_verbose

    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    parsers = {}
    for name, text in ACTIONS.items():
        q = sub.add_parser(name, help=text, description=text)
        q.add_argument("--out", default=None, help=f"output folder (default runs/faces/{name})")
        q.add_argument("--overwrite", action="store_true", help="replace a run already in --out")
        q.add_argument("--seed", type=int, default=0)
        q.add_argument("--device", choices=["cpu", "gpu"], default="cpu")
        parsers[name] = q
    q = parsers["classifiers"]
    q.add_argument("--epochs", type=int, default=15)
    q.add_argument("--batch-size", type=int, default=64)
    q.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate")
    q.add_argument("--limit", type=int, default=None, help="train on the first N faces only")
    add_verbose(q)
    q = parsers["train"]
    q.add_argument("--width", type=int, default=32, help="w: the channels are 8w, 4w, 2w, w")
    q.add_argument("--epochs", type=int, default=20)
    q.add_argument("--batch-size", type=int, default=64)
    q.add_argument("--limit", type=int, default=None, help="train on the first N faces only")
    q.add_argument("--steps-per-epoch", type=int, default=None)
    q.add_argument(
        "--ema-decay",
        type=float,
        default=EMA_DECAY,
        help=f"sample from this average of the generator's weights (default {EMA_DECAY}); 0: off",
    )
    q.add_argument(
        "--max-minutes", type=float, default=None, help="stop when another epoch would not fit"
    )
    q.add_argument(
        "--oversample",
        action="append",
        default=[],
        metavar="ATTR[&~ATTR]=K",
        help="show the faces with these attributes K times an epoch (repeatable), "
        "e.g. Eyeglasses=3 or 'Eyeglasses&~Male=8'",
    )
    q.add_argument("--models-dir", default=None, help="where the .tnz files go (default --out)")
    q.add_argument(
        "--resume",
        action="store_true",
        help="go on from OUT/checkpoint.tnz up to --epochs in all "
        "(same --width, --ema-decay, --oversample)",
    )
    add_verbose(q)
    for name in ("arithmetic", "sample"):
        q = parsers[name]
        q.add_argument("--generator", required=True, help="a trained generator_ema.tnz")
        q.add_argument(
            "--classifier", default=DEFAULT_CLASSIFIER, help=f"default {DEFAULT_CLASSIFIER}"
        )
    parsers["arithmetic"].add_argument("--cases", type=int, default=100)
    parsers["arithmetic"].add_argument(
        "--pool", type=int, default=20000, help="generated faces the concepts are chosen among"
    )
    parsers["arithmetic"].add_argument(
        "--confidence", type=float, default=0.9, help="P a concept's members must reach"
    )
    parsers["sample"].add_argument("--n", type=int, default=5000, help="samples measured")
    return p


RANGES = {  # option: (low, high, whether low itself is allowed, the range in words)
    "confidence": (0.5, 1.0, False, "in (0.5, 1)"),
    "ema_decay": (0.0, 1.0, True, "in [0, 1) (0: no average)"),
    "max_minutes": (0.0, float("inf"), False, "above 0 (leave it out for no limit)"),
    "lr": (0.0, float("inf"), False, "above 0"),
    "n": (2, float("inf"), True, "at least 2 (a Fréchet distance needs two samples)"),
}


def default_classifier():
    """The committed classifier: DEFAULT_CLASSIFIER from the current folder, else from the
    repository this package sits in; None when neither holds it (an installed package)."""
    from pathlib import Path

    for root in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (root / DEFAULT_CLASSIFIER).is_file():
            return str(root / DEFAULT_CLASSIFIER)
    return None


def check_ranges(args):
    """Refuse an option outside its range (RANGES) by name and value, before anything runs."""
    for name, (low, high, closed, words) in RANGES.items():
        value = getattr(args, name, None)
        if value is not None and not ((low <= value if closed else low < value) and value < high):
            raise ValueError(f"--{name.replace('_', '-')} must be {words}, got {value}")


def run(args):
    """Run the action; print its headline figures; return the exit status."""
    from ..datasets._files import DatasetFileError
    from ..models.saving import ModelFileError
    from . import faces_runs as runs
    from .runs import RunFolderError, check_out_dir, check_positive, default_verbose

    out = args.out or f"runs/faces/{args.action}"
    who = f"tinynet gan faces {args.action}"
    if args.device == "gpu":
        from ..backend import gpu_available

        if not gpu_available():
            print(
                f"{who}: --device gpu: no CUDA GPU is available (is CuPy installed?)",
                file=sys.stderr,
            )
            return 1
    try:
        check_positive(args, "epochs", "batch_size", "limit", "steps_per_epoch", "width")
        check_positive(args, "cases", "pool")
        check_ranges(args)
        if getattr(args, "classifier", None) == DEFAULT_CLASSIFIER:
            args.classifier = default_classifier()
            if args.classifier is None:
                raise ValueError(
                    f"--classifier: the default, {DEFAULT_CLASSIFIER}, is neither in the current "
                    f"folder nor beside this package (it is committed in tinynet's repository); "
                    f"pass --classifier PATH, or train one with `tinynet gan faces classifiers`"
                )
        runs.check_oversample(getattr(args, "oversample", []))
        check_out_dir(out, args.overwrite, getattr(args, "resume", False))
    except (RunFolderError, ValueError) as e:
        print(f"{who}: {e}", file=sys.stderr)
        return 1
    try:
        if args.action == "classifiers":
            m = runs.run_classifiers(
                out,
                args.epochs,
                args.batch_size,
                args.lr,
                limit=args.limit,
                seed=args.seed,
                verbose=default_verbose(args.verbose),
                device=args.device,
            )
            bal = ", ".join(f"{k} {v:.1%}" for k, v in m["balanced_accuracy"].items())
            print(
                f"balanced accuracy on {m['test_faces']} held-out faces: {bal}; "
                f"{m['train_seconds']:.0f} s of training. Files in {out}"
            )
        elif args.action == "train":
            r = runs.run_train(
                out,
                args.width,
                args.epochs,
                args.batch_size,
                args.limit,
                None if args.max_minutes is None else args.max_minutes * 60,
                args.steps_per_epoch,
                args.ema_decay,
                args.seed,
                default_verbose(args.verbose),
                args.models_dir,
                device=args.device,
                resume=args.resume,
                oversample=args.oversample,
            )
            print(
                f"{r['epochs']} epochs of {r['train_images']} faces in {r['train_seconds']:.0f} s "
                f"(width {r['width']}). Files in {out}"
            )
        elif args.action == "arithmetic":
            r = runs.run_arithmetic(
                out,
                args.generator,
                args.classifier,
                args.cases,
                args.pool,
                args.confidence,
                args.seed,
                device=args.device,
            )
            failed = [name for name in ("glasses", "smiling") if "error" in r[name]]
            for name in ("glasses", "smiling"):
                v = r[name]
                if name in failed:
                    print(f"{name}: not measured: {v['error']}", file=sys.stderr)
                    continue
                print(
                    f"{v['equation']}: {v['success_rate']:.1%} of {v['cases']} cases "
                    f"(control {v['control_success_rate']:.1%}, the pool's vector "
                    f"{v['pool_vector_success_rate']:.1%}, with half the cases' noise "
                    f"{v['pool_vector_plus_noise_success_by_scale']['0.5']:.1%})"
                )
            print(f"results.json{'' if len(failed) == 2 else ' and the figure'} in {out}")
            return 1 if failed else 0
        else:
            q = runs.run_sample(
                out, args.generator, args.classifier, args.n, args.seed, device=args.device
            )
            shares = ", ".join(
                f"{k} {v['generated']:.1%} (real {v['real_classified']:.1%})"
                for k, v in q["shares"].items()
            )
            print(
                f"Fréchet distance {q['fid']:.3f} ({q['samples']} vs {q['real']} held-out); "
                f"same size {q['fid_same_size']:.3f}, real halves {q['fid_real_halves']:.3f}; "
                f"shares {shares}. Files in {out}"
            )
    except (FileNotFoundError, ModelFileError, DatasetFileError, RunFolderError) as e:
        print(f"{who}: {e}", file=sys.stderr)
        return 1
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(prog="tinynet gan faces", description=DESCRIPTION)
    configure(p)
    return run(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

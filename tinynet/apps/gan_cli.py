"""``tinynet gan lecture|dcgan|conditional|arithmetic|all`` (one sub-command each, with its own
options) and the examples' command lines.

tinynet gan dcgan --epochs 5 --out runs/gan/dcgan --device gpu
tinynet gan arithmetic --generator runs/gan/dcgan/generator_ema.tnz --out runs/gan/arithmetic
mpiexec -n 2 tinynet gan dcgan --distributed --out runs/gan/dcgan-2ranks

--distributed (dcgan, conditional, arithmetic when it trains its DCGAN) trains data-parallel
over the processes of mpiexec, --batch-size the global batch; rank 0 measures the GAN and
writes every file, the other ranks train only (their callbacks write into a temporary folder).
"""

import argparse
import statistics
import sys
import tempfile

DISTRIBUTED = ("dcgan", "conditional", "arithmetic")  # what trains a tinynet.gan.GAN

EXPERIMENTS = {
    "lecture": "the lecture's generator_model / discriminator_model, trained through the "
    "keras-adversarial API (simple_gan, AdversarialModel) as in keras-dcgan",
    "dcgan": "the DCGAN pair (Radford et al., with InfoGAN's hidden dense layers) trained with "
    "tinynet.gan.GAN, sampled from a moving average of its generator's weights",
    "conditional": "a class-conditional DCGAN: the digit (or its name) chooses what is drawn",
    "arithmetic": "vector arithmetic in a trained DCGAN's latent space (thick/thin, slant), measured",
    "all": "dcgan, then arithmetic on its generator, conditional and lecture, in one process "
    "(one CuPy start-up; --max-minutes bounds each training), into OUT/<experiment>",
}
DEFAULT_EPOCHS = {"lecture": 5, "dcgan": 5, "conditional": 5, "arithmetic": 5, "all": 5}
ORDER = ("dcgan", "arithmetic", "conditional", "lecture")


# the experiment-specific options' defaults, for the experiments that do not take them
SPECIFIC_DEFAULTS = dict(
    dense=1024, ema_decay=0.999, generator=None, trials=3, group=10, mean_group=100, pool=30000
)


def configure(p, experiment=None):
    """Add the options of one experiment; with experiment=None, one sub-command per experiment,
    each with its own options (``tinynet gan dcgan --help`` lists the DCGAN's)."""
    if experiment is None:
        sub = p.add_subparsers(dest="experiment", metavar="EXPERIMENT", required=True)
        for name, text in EXPERIMENTS.items():
            configure(sub.add_parser(name, help=text, description=text), name)
        from . import faces_cli  # the 64x64 face DCGAN on CelebA: actions of its own

        faces = sub.add_parser(
            "faces", help=faces_cli.DESCRIPTION, description=faces_cli.DESCRIPTION
        )
        faces.set_defaults(experiment="faces")
        faces_cli.configure(faces)
        return p
    p.set_defaults(experiment=experiment, **SPECIFIC_DEFAULTS)
    p.add_argument("--epochs", type=int, default=None, help="training epochs (default 5)")
    p.add_argument(
        "--out",
        default=None,
        help="folder for every output (default runs/gan/<experiment>, scratch); refused when "
        "it holds another run's files, unless --overwrite",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace the files of a run already in --out"
    )
    p.add_argument("--device", choices=["cpu", "gpu"], default="cpu")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument(
        "--limit", type=int, default=None, help="train on the first N images only (quick runs)"
    )
    p.add_argument(
        "--steps-per-epoch", type=int, default=None, help="at most this many batches per epoch"
    )
    p.add_argument("--seed", type=int, default=0)
    if experiment in DISTRIBUTED:
        p.add_argument(
            "--distributed",
            action="store_true",
            help=f"data-parallel over the processes of mpiexec (mpiexec -n 2 tinynet gan "
            f"{experiment} --distributed); --batch-size is the global batch; rank 0 writes the "
            f"files",
        )
    from .runs import add_verbose

    add_verbose(p)
    p.add_argument(
        "--latent",
        choices=["normal", "uniform"],
        default="normal",
        help="z distribution of the DCGANs (the lecture's GAN always uses uniform [-1, 1])",
    )
    p.add_argument(
        "--n-eval", type=int, default=5000, help="generated samples measured (per class: / 10)"
    )
    p.add_argument(
        "--max-minutes",
        type=float,
        default=None,
        help="stop each training when another epoch would not fit in this many minutes",
    )
    p.add_argument(
        "--models-dir",
        default=None,
        help="where the trained models (.tnz) go (default: --out); keep them out of a folder "
        "that is copied back when they are not needed",
    )
    p.add_argument(
        "--classifier",
        default=None,
        help="the digit classifier file (default $TINYNET_GAN_CLASSIFIER or "
        "~/.cache/tinynet/models/mnist_lenet.tnz, trained there when absent)",
    )
    if experiment in ("dcgan", "arithmetic", "all"):
        p.add_argument(
            "--dense",
            type=int,
            default=1024,
            help="dcgan: width of the players' hidden dense layer (InfoGAN's pair); 0: none",
        )
        p.add_argument(
            "--ema-decay",
            type=float,
            default=0.999,
            help="dcgan: sample from this moving average of the generator's weights; 0: off",
        )
    if experiment in ("arithmetic", "all"):
        p.add_argument(
            "--generator",
            default=None,
            help="arithmetic: a trained DCGAN generator (.tnz); default: train one first",
        )
        p.add_argument(
            "--trials", type=int, default=3, help="arithmetic: cases per digit pair and direction"
        )
        p.add_argument(
            "--group",
            type=int,
            default=10,
            help="arithmetic: samples averaged per attribute group in the 'vector' recipe",
        )
        p.add_argument(
            "--mean-group",
            type=int,
            default=100,
            help="arithmetic: samples averaged per attribute group in the 'means' recipe",
        )
        p.add_argument(
            "--pool",
            type=int,
            default=30000,
            help="arithmetic: generated samples the groups are drawn from",
        )
    return p


def run(args):
    """Run the chosen experiment; print its headline figures; return the exit status."""
    from ..backend import gpu_available
    from ..gan import quality as metrics

    name = args.experiment
    if name == "faces":
        from . import faces_cli

        return faces_cli.run(args)
    if args.device == "gpu" and not gpu_available():
        print(
            "tinynet gan: --device gpu: no CUDA GPU is available (is CuPy installed?)",
            file=sys.stderr,
        )
        return 1
    from .runs import RunFolderError, check_out_dir, check_positive, default_verbose

    epochs = args.epochs if args.epochs is not None else DEFAULT_EPOCHS[name]
    if epochs < 1 or args.batch_size < 2:
        print(
            f"tinynet gan: --epochs must be >= 1 and --batch-size >= 2, got {epochs} and {args.batch_size}",
            file=sys.stderr,
        )
        return 1
    out = args.out or ("runs/gan" if name == "all" else f"runs/gan/{name}")
    comm = _communicator(args)
    problem = None
    if comm is None or comm.is_main:  # rank 0 checks; every rank stops alike
        try:
            check_positive(args, "limit", "steps_per_epoch", "n_eval")
            check_out_dir(out, getattr(args, "overwrite", False))
        except RunFolderError as e:
            problem = str(e)
    if comm is not None:
        problem = comm.broadcast_object(problem)
    if problem:
        print(f"tinynet gan {name}: {problem}", file=sys.stderr)
        return 1
    args.verbose = default_verbose(args.verbose)
    if comm is not None and not comm.is_main:
        return _train_only(name, args, epochs, comm)
    clf = metrics.digit_classifier(args.classifier, device=args.device, verbose=args.verbose)
    if name != "all":
        r = _run_one(name, args, epochs, out, args.models_dir, clf, comm)
        print(summary(name, r, out))
        return 0
    import os
    import traceback

    from . import gan_experiments as experiments
    from .runs import write_json

    lines, failed, dcgan_models = {}, [], None
    for step in ORDER:
        sub = os.path.join(out, step)
        models = os.path.join(args.models_dir, step) if args.models_dir else None
        if step == "arithmetic" and dcgan_models is not None and args.generator is None:
            args.generator = experiments.sampling_generator(dcgan_models)
        try:
            r = _run_one(step, args, epochs, sub, models, clf)
            lines[step] = summary(step, r, sub)
        except Exception as e:  # one failed experiment must not cost the others their run
            traceback.print_exc()
            lines[step] = f"{step}: failed: {type(e).__name__}: {e}"
            failed.append(step)
        if step == "dcgan":
            dcgan_models = models or sub
        print(lines[step], flush=True)
        write_json(os.path.join(out, "summary.json"), lines)
    return 1 if failed else 0


def _communicator(args):
    """The communicator for --distributed (None without it)."""
    if not getattr(args, "distributed", False):
        return None
    from ..distributed import init

    return init()


def _train_only(name, args, epochs, comm):
    """A rank other than 0: train alongside rank 0, its outputs in a folder deleted after."""
    args.verbose = 0
    with tempfile.TemporaryDirectory(prefix=f"tinynet-gan-rank{comm.rank}-") as scratch:
        _run_one(name, args, epochs, scratch, None, None, comm)
    return 0


def _run_one(name, args, epochs, out, models_dir, clf, comm=None):
    from . import gan_experiments as experiments

    common = dict(out=out, device=args.device, seed=args.seed, verbose=args.verbose, classifier=clf)
    if comm is not None:
        common["distributed"] = comm
    train = dict(
        epochs=epochs,
        batch_size=args.batch_size,
        limit=args.limit,
        models_dir=models_dir,
        max_seconds=args.max_minutes * 60 if args.max_minutes else None,
    )
    if name == "dcgan":
        return experiments.run_dcgan(
            latent=args.latent,
            n_eval=args.n_eval,
            steps_per_epoch=args.steps_per_epoch,
            dense=args.dense,
            ema_decay=args.ema_decay,
            **train,
            **common,
        )
    if name == "lecture":
        return experiments.run_lecture(
            n_eval=args.n_eval, steps_per_epoch=args.steps_per_epoch, **train, **common
        )
    if name == "conditional":
        return experiments.run_conditional(
            n_per_class=max(args.n_eval // 10, 1),
            steps_per_epoch=args.steps_per_epoch,
            **train,
            **common,
        )
    return experiments.run_latent_arithmetic(
        generator=args.generator,
        latent=args.latent,
        trials=args.trials,
        attr_group=args.group,
        mean_group=args.mean_group,
        n_pool=args.pool,
        dense=args.dense,
        ema_decay=args.ema_decay,
        **train,
        **common,
    )


def _median_epoch(seconds):
    """The median of the per-epoch times, rounded to 0.1 s ('?' when none were recorded): the last
    epoch alone is not a typical one."""
    return f"{statistics.median(seconds):.1f}" if seconds else "?"


def summary(name, r, out):
    """One paragraph of headline figures from a results dict."""
    if name == "arithmetic":
        parts = [
            f"{a}/{recipe}: moved {v['moved_rate']:.1%} (beyond control {v['moved_vs_control_rate']:.1%}; "
            f"control alone {v['control_moved_rate']:.1%}), same digit {v['same_digit_rate']:.1%}"
            for a in ("ink", "slant")
            for recipe, v in r[a].items()
        ]
        return (
            f"latent arithmetic over {r['ink']['vector']['cases']} cases each: {'; '.join(parts)}. "
            f"Figures and results.json in {out}"
        )
    q = r["quality"]
    text = (
        f"{name}: {r['epochs']} epoch{'' if r['epochs'] == 1 else 's'}, {_median_epoch(r['seconds_per_epoch'])} s/epoch (median); "
        f"{q['confident_share']:.1%} of {q['samples']} samples confident (>= {q['confidence_threshold']}), "
        f"smallest digit share {q['min_class_share']:.1%}, Fréchet distance {q['fid']:.2f} "
        f"(real halves {q['fid_real_halves']:.2f})"
    )
    if "requested_digit_share" in q:
        text += f", requested digit read back in {q['requested_digit_share']:.1%}"
    return text + f". Figures and results.json in {out}"


def example_main(experiment, argv=None):
    """The command line of examples/<experiment>.py: the options of ``tinynet gan <experiment>``."""
    p = argparse.ArgumentParser(description=EXPERIMENTS[experiment])
    configure(p, experiment)
    return run(p.parse_args(argv))

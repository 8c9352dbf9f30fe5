"""WGAN-GP (Gulrajani et al., 2017) of the project's DCGAN generator on MNIST: a critic without
BatchNorm, kept 1-Lipschitz by a gradient penalty of weight 10 on random interpolates, taken by
double backpropagation (tinynet.grad(create_graph=True)); 5 critic steps per generator step,
Adam(1e-4, beta_1=0, beta_2=0.9), as the paper. Scored like the other GANs (tinynet.gan.quality:
share of confident samples, smallest digit share, Frechet distance next to the real halves').

    gan = WGANGP(dcgan_generator(dense=1024), wgan_critic(), latent_dim=100)
    gan.compile(ema_decay=0.999).fit(x_train, epochs=5, batch_size=64)

Writes into --out (default runs/gan/wgan_gp, refused when it already holds a results.json):
samples-epochNNN.png, samples-final.png, losses.png, class-histogram.png, train.log,
results.json and the models (generator.tnz, generator_ema.tnz, discriminator.tnz: saved after
every epoch, so a stopped run keeps its last epoch).

    TINYNET_DATA=/path/to/data python examples/wgan_gp_mnist.py [--epochs 5] [--max-minutes 40]
        [--batch-size 64] [--limit N] [--critic-dense 0] [--classifier PATH] [--out DIR]

``--rescore DIR`` scores the generators a run saved in DIR again (generator.tnz and
generator_ema.tnz, each on the same z; samples-generator.png and samples-generator_ema.png show
the first 100) and records both in DIR/results.json, ``quality`` being
the one named by ``--sample-from`` (a short run is better sampled from its last weights than
from a 0.999 average that still remembers the initial ones).
"""

import argparse
import json
import os
import sys
import time

import numpy as np

import tinynet as tn
from tinynet.datasets import mnist
from tinynet.gan import LossRecorder, SampleGrid, TextLog, TimeBudget, dcgan_generator
from tinynet.gan import quality as metrics
from tinynet.gan.wgan_gp import WGANGP, wgan_critic
from tinynet.training.callbacks import Callback


class SaveEveryEpoch(Callback):
    """gan.save(directory) at the end of every epoch (a checkpoint a stopped run keeps)."""

    def __init__(self, directory):
        super().__init__()
        self.directory = directory

    def on_epoch_end(self, epoch, logs=None):
        self.model.save(self.directory)


def load_images(split, limit=None, scale="tanh"):
    (x, _), (xt, _) = mnist.load_data()
    x = (xt if split == "test" else x)[:limit, None].astype(np.float32)
    return (x / 127.5 - 1 if scale == "tanh" else x / 255.0).astype(np.float32)


def save_losses(recorder, path, title):
    """Critic loss, Wasserstein estimate, penalty and generator loss per iteration."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot(1, 1, 1)
    steps = np.asarray(recorder.steps)
    for name, color, label in (
        ("w_distance", "tab:green", "Wasserstein estimate D(x) - D(G(z))"),
        ("d_loss", "tab:blue", "critic loss"),
        ("gp", "tab:red", "gradient penalty (before x10)"),
        ("g_loss", "tab:orange", "generator loss -D(G(z))"),
    ):
        v = np.asarray(recorder.values[name], dtype=np.float64)
        ok = np.isfinite(v)
        k = max(1, min(50, int(ok.sum())))
        num = np.convolve(np.where(ok, v, 0), np.ones(k), "same")
        den = np.convolve(ok.astype(float), np.ones(k), "same")
        ax.plot(
            steps, np.where(den > 0, num / np.maximum(den, 1), np.nan), color=color, label=label
        )
    ax.set_xlabel("critic iteration (batch)")
    ax.set_ylabel(f"value (running mean of {k})")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def _write_json(path, data):
    with open(path + ".tmp", "w") as f:
        json.dump(data, f, indent=2, default=float)
        f.write("\n")
    os.replace(path + ".tmp", path)


def rescore(directory, sample_from, classifier, n_eval, seed, verbose):
    """Score every generator saved in ``directory``; update its results.json."""
    from tinynet.models import load_model
    from tinynet.plot import save_sample_grid

    path = os.path.join(directory, "results.json")
    results = json.load(open(path)) if os.path.exists(path) else {"model": "wgan_gp"}
    clf = metrics.digit_classifier(classifier, verbose=verbose)
    real = load_images("test", scale="unit")
    z = np.random.default_rng(seed + 2).normal(size=(n_eval, 100)).astype(np.float32)
    by_file = {}
    for name in ("generator.tnz", "generator_ema.tnz"):
        file = os.path.join(directory, name)
        if os.path.exists(file):
            generated = metrics.to_unit(load_model(file).predict(z, batch_size=500))
            by_file[name] = metrics.quality_report(clf, generated, real)
            grid = os.path.join(directory, f"samples-{name[: -len('.tnz')]}.png")
            save_sample_grid(generated[:100], grid, title=name, value_range=(0.0, 1.0))
            q = by_file[name]
            print(
                f"{name}: confident {q['confident_share']:.1%}, smallest digit share "
                f"{q['min_class_share']:.1%}, Frechet {q['fid']:.2f} (real halves "
                f"{q['fid_real_halves']:.2f})"
            )
    if sample_from not in by_file:
        raise SystemExit(f"wgan_gp_mnist: no {sample_from} in {directory}")
    q = by_file[sample_from]
    results.update(
        quality=q,
        quality_by_generator=by_file,
        sampled_from=sample_from,
        classifier=getattr(clf, "source_file", None),
        targets_met=bool(q["confident_share"] >= 0.9 and q["min_class_share"] >= 0.05),
    )
    _write_json(path, results)
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--max-minutes", type=float, default=None)
    p.add_argument("--limit", type=int, default=None, help="use the first N training images")
    p.add_argument("--critic-dense", type=int, default=0, help="hidden dense width; 0: none")
    p.add_argument("--dense", type=int, default=1024, help="the generator's hidden dense width")
    p.add_argument("--width", type=int, default=64, help="both players' convolution width")
    p.add_argument("--n-critic", type=int, default=5)
    p.add_argument("--gp-weight", type=float, default=10.0)
    p.add_argument("--ema-decay", type=float, default=0.999)
    p.add_argument("--n-eval", type=int, default=5000, help="samples scored; 0: no scoring")
    p.add_argument("--classifier", default=None, help="LeNet .tnz (default: the cached one)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/gan/wgan_gp")
    p.add_argument("--verbose", type=int, default=2)
    p.add_argument("--rescore", metavar="DIR", help="score the generators saved in DIR again")
    p.add_argument("--sample-from", default="generator.tnz", help="with --rescore: the headline")
    args = p.parse_args(argv)
    if args.rescore:
        return rescore(
            args.rescore, args.sample_from, args.classifier, args.n_eval, args.seed, args.verbose
        )
    if os.path.exists(os.path.join(args.out, "results.json")):
        print(f"wgan_gp_mnist: {args.out} already holds results.json; give another --out")
        return 2
    os.makedirs(args.out, exist_ok=True)
    log = os.path.join(args.out, "train.log")
    if os.path.exists(log):
        os.remove(log)
    tn.seed(args.seed)
    x = load_images("train", args.limit)
    gan = WGANGP(
        dcgan_generator(width=args.width, dense=args.dense or None),
        wgan_critic(width=args.width, dense=args.critic_dense or None),
        latent_dim=100,
    )
    gan.compile(n_critic=args.n_critic, gp_weight=args.gp_weight, ema_decay=args.ema_decay or None)
    grid = SampleGrid(os.path.join(args.out, "samples-epoch{epoch:03d}.png"))
    losses = LossRecorder({k: k for k in ("d_loss", "g_loss", "w_distance", "gp")})
    budget = [TimeBudget(args.max_minutes * 60)] if args.max_minutes else []
    start = time.perf_counter()
    history = gan.fit(
        x,
        epochs=args.epochs,
        batch_size=args.batch_size,
        verbose=args.verbose,
        callbacks=[grid, losses, TextLog(log), SaveEveryEpoch(args.out)] + budget,
    )
    train_seconds = time.perf_counter() - start
    gan.save(args.out)
    from tinynet.plot import save_sample_grid

    epochs = len(history.epoch)
    save_losses(losses, os.path.join(args.out, "losses.png"), "WGAN-GP on MNIST")
    save_sample_grid(
        gan.generate(100, rng=np.random.default_rng(args.seed + 1)),
        os.path.join(args.out, "samples-final.png"),
        title=f"WGAN-GP after {epochs} epochs",
    )
    clf, quality = None, None
    if args.n_eval:  # 0: no scoring (a smoke run)
        clf = metrics.digit_classifier(args.classifier, verbose=args.verbose)
        rng = np.random.default_rng(args.seed + 2)
        generated = metrics.to_unit(gan.generate(args.n_eval, rng=rng))
        quality = metrics.quality_report(clf, generated, load_images("test", scale="unit"))
    iterations = len(losses.steps)
    times = history.history.get("time", [])
    results = {
        "model": "wgan_gp",
        "generator": f"dcgan_generator(width={args.width}, dense={args.dense or None})",
        "critic": f"wgan_critic(width={args.width}, dense={args.critic_dense or None})",
        "epochs": epochs,
        "epochs_requested": args.epochs,
        "stopped_by_time_budget": bool(budget and budget[0].stopped_early),
        "batch_size": args.batch_size,
        "train_images": len(x),
        "n_critic": args.n_critic,
        "gp_weight": args.gp_weight,
        "optimizer": "Adam(lr=1e-4, beta_1=0, beta_2=0.9) each",
        "ema_decay": args.ema_decay or None,
        "sampled_from": "generator_ema.tnz" if args.ema_decay else "generator.tnz",
        "critic_iterations": iterations,
        "generator_iterations": int(np.isfinite(losses.values["g_loss"]).sum()),
        "train_seconds": round(train_seconds, 1),
        "seconds_per_epoch": [round(t, 2) for t in times],
        "seconds_per_critic_iteration": round(train_seconds / max(iterations, 1), 4),
        "classifier": getattr(clf, "source_file", None),
        "history": history.history,
        "quality": quality,
        "targets": {"confident_share": 0.9, "every_digit_at_least": 0.05},
        "targets_met": None
        if quality is None
        else bool(quality["confident_share"] >= 0.9 and quality["min_class_share"] >= 0.05),
        "numpy": np.__version__,
    }
    _write_json(os.path.join(args.out, "results.json"), results)
    line = f"wgan_gp_mnist: {epochs} epochs in {train_seconds / 60:.1f} min"
    if quality is not None:
        q = quality
        line += (
            f"; confident {q['confident_share']:.1%}, smallest digit share "
            f"{q['min_class_share']:.1%}, Frechet {q['fid']:.2f} (real halves "
            f"{q['fid_real_halves']:.2f})"
        )
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())

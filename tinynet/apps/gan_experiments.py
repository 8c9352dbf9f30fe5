"""The runs behind examples/*gan*.py and ``tinynet gan``: train, draw, measure, write everything
into one output folder (PNGs, results.json, train.log, the trained models as .tnz).

    run_dcgan("runs/gan/dcgan", epochs=5, device="gpu")
    run_lecture("runs/gan/lecture", epochs=5)
    run_conditional("runs/gan/conditional", epochs=5)
    run_latent_arithmetic("runs/gan/arithmetic", generator="runs/gan/dcgan/generator.tnz")

Every run seeds tinynet, reads MNIST through tinynet.datasets (TINYNET_DATA), keeps the data on
the host and moves each batch to the device, and measures quality with the cached LeNet
(tinynet.gan.metrics.digit_classifier).
"""

import os
import time

import numpy as np

from .. import backend
from ..datasets import mnist
from ..gan import quality as metrics
from ..gan.adversarial import (
    AdversarialModel,
    AdversarialOptimizerAlternating,
    ImageGridCallback,
    gan_targets,
    simple_gan,
    uniform_latent_sampling,
)
from ..gan.gan_model import GAN, ConditionalGAN
from ..gan.latent import ATTRIBUTES, arithmetic_study, interpolate, sample_latent
from ..gan.monitors import LossRecorder, SampleGrid, TextLog, TimeBudget
from ..gan.networks import (
    conditional_discriminator,
    conditional_generator,
    dcgan_discriminator,
    dcgan_generator,
    discriminator_model,
    generator_model,
)
from .runs import write_json

GRID_EPOCHS = (
    1,
    2,
    3,
    5,
    10,
    15,
    20,
    30,
    40,
    50,
)  # sample grids kept (and samples-final.png at the end)
TARGETS = {
    "dcgan": {"confident_share": 0.9, "every_digit_at_least": 0.05},
    "conditional": {"requested_digit_share": 0.9},
    "arithmetic": {"moved_rate": 0.8, "same_digit_rate": 0.8},
}


def load_mnist(split="train", limit=None, scale="tanh"):
    """MNIST images (N, 1, 28, 28) float32 in [-1, 1] ("tanh") or [0, 1] ("unit"), labels (N,) int64."""
    (x, y), (xt, yt) = mnist.load_data()
    if split == "test":
        x, y = xt, yt
    if limit is not None:
        x, y = x[:limit], y[:limit]
    x = x[:, None].astype(np.float32)
    x = x / 127.5 - 1 if scale == "tanh" else x / 255.0
    return x.astype(np.float32), y.astype(np.int64)


def sampling_generator(directory):
    """The generator file a GAN saved in ``directory`` draws its samples from: generator_ema.tnz
    when it kept a weight average, else generator.tnz."""
    ema = os.path.join(directory, "generator_ema.tnz")
    return ema if os.path.isfile(ema) else os.path.join(directory, "generator.tnz")


def _prepare(out, seed):
    os.makedirs(out, exist_ok=True)
    backend.seed(seed)
    log = os.path.join(out, "train.log")
    if os.path.exists(log):
        os.remove(log)
    return log


def _timing(history, iterations_per_epoch):
    times = history.history.get("time", [])
    return {
        "seconds_per_epoch": [round(t, 2) for t in times],
        "seconds_per_iteration": round(float(np.median(times)) / iterations_per_epoch, 4)
        if times
        else None,
        "iterations_per_epoch": iterations_per_epoch,
    }


def _quality(classifier, generated01, out, title, n_real=None):
    """quality_report against the real test set, plus the class histogram PNG."""
    from matplotlib.figure import Figure

    from ..plot import plot_class_histogram

    real01, _ = load_mnist("test", n_real, scale="unit")
    report = metrics.quality_report(classifier, generated01, real01)
    fig = Figure(figsize=(6, 3))
    plot_class_histogram(
        report["class_shares"],
        fig.add_subplot(1, 1, 1),
        title=f"{title}: classes of {report['samples']} samples "
        f"({report['confident_share']:.1%} confident)",
    )
    fig.tight_layout()
    fig.savefig(os.path.join(out, "class-histogram.png"), dpi=80)
    return report


def _budget(max_seconds):
    return [TimeBudget(max_seconds)] if max_seconds else []


def _environment(device):
    return {
        "device": device,
        "numpy": np.__version__,
        "cupy": getattr(backend.cupy, "__version__", None) if device == "gpu" else None,
    }


def _interpolation_strips(generate, latent_dim, distribution, rows=4, steps=10, seed=7):
    rng = np.random.default_rng(seed)
    ends = sample_latent(2 * rows, latent_dim, distribution, rng)
    method = "slerp" if distribution == "normal" else "linear"
    z = np.concatenate(
        [interpolate(ends[2 * i], ends[2 * i + 1], steps, method) for i in range(rows)]
    )
    return generate(z).reshape(rows, steps, 1, 28, 28)


# ----- DCGAN -----
def run_dcgan(
    out="runs/gan/dcgan",
    epochs=5,
    batch_size=128,
    limit=None,
    device="cpu",
    latent="normal",
    d_steps=1,
    label_smoothing=0.0,
    n_eval=5000,
    seed=0,
    verbose=1,
    steps_per_epoch=None,
    classifier=None,
    max_seconds=None,
    models_dir=None,
    dense=1024,
    ema_decay=0.999,
    distributed=None,
):
    """Train the DCGAN pair on MNIST (the first ``limit`` training images) and measure it.
    dense: the width of the players' hidden fully connected layer (InfoGAN's MNIST pair; 0 or
    None: none, the plain DCGAN pair); ema_decay: sample from the average of the generator's
    weights (0 or None: from the trained weights). Writes samples-epochNNN.png,
    samples-stepNNNNN.png, samples-final.png, losses.png, interpolation.png,
    class-histogram.png, results.json, train.log, generator.tnz, discriminator.tnz (and
    generator_ema.tnz). Returns the results dict. distributed: a communicator to train
    data-parallel over (fit's); a rank other than 0 returns None once trained."""
    from ..plot import save_gan_losses, save_interpolation, save_sample_grid

    log = _prepare(out, seed)
    x, _ = load_mnist("train", limit)
    gan = GAN(
        dcgan_generator(dense=dense),
        dcgan_discriminator(dense=dense),
        latent_dim=100,
        latent=latent,
    )
    gan.compile(d_steps=d_steps, label_smoothing=label_smoothing, ema_decay=ema_decay or None).to(
        device
    )
    grid = SampleGrid(
        os.path.join(out, "samples-epoch{epoch:03d}.png"), steps=(50, 200), epochs=GRID_EPOCHS
    )
    losses = LossRecorder()
    start = time.perf_counter()
    budget = _budget(max_seconds)
    history = gan.fit(
        x,
        epochs=epochs,
        batch_size=batch_size,
        verbose=verbose,
        callbacks=[grid, losses, TextLog(log)] + budget,
        steps_per_epoch=steps_per_epoch,
        distributed=distributed,
    )
    if distributed is not None and not distributed.is_main:
        return None
    train_seconds = time.perf_counter() - start
    gan.save(models_dir or out)
    save_gan_losses(losses, os.path.join(out, "losses.png"), title="DCGAN on MNIST")
    save_sample_grid(
        gan.generate(100, rng=np.random.default_rng(seed + 1)),
        os.path.join(out, "samples-final.png"),
        title=f"DCGAN after {len(history.epoch)} epochs",
    )
    save_interpolation(
        _interpolation_strips(lambda z: gan.generate(z=z), 100, latent),
        os.path.join(out, "interpolation.png"),
        title="interpolating between two z",
    )
    clf = classifier or metrics.digit_classifier(device=device, verbose=verbose)
    generated = metrics.to_unit(gan.generate(n_eval, rng=np.random.default_rng(seed + 2)))
    quality = _quality(clf, generated, out, "DCGAN")
    steps = len(losses.steps) // max(len(history.epoch), 1)
    results = {
        "model": "dcgan",
        "epochs": len(history.epoch),
        "batch_size": batch_size,
        "train_images": len(x),
        "latent": latent,
        "d_steps": d_steps,
        "label_smoothing": label_smoothing,
        "dense": dense or None,
        "ema_decay": ema_decay or None,
        "sampled_from": "generator_ema.tnz" if ema_decay else "generator.tnz",
        "classifier": getattr(clf, "source_file", None),
        "train_seconds": round(train_seconds, 1),
        **_timing(history, steps),
        "epochs_requested": epochs,
        "stopped_by_time_budget": bool(budget and budget[0].stopped_early),
        "history": history.history,
        "quality": quality,
        "targets": TARGETS["dcgan"],
        "targets_met": bool(
            quality["confident_share"] >= 0.9 and quality["min_class_share"] >= 0.05
        ),
        **_environment(device),
    }
    write_json(os.path.join(out, "results.json"), results)
    return results


# ----- the lecture's GAN, trained through the keras-adversarial API -----
def run_lecture(
    out="runs/gan/lecture",
    epochs=5,
    batch_size=128,
    limit=None,
    device="cpu",
    n_eval=5000,
    seed=0,
    verbose=1,
    steps_per_epoch=None,
    classifier=None,
    max_seconds=None,
    models_dir=None,
):
    """The lecture's generator_model / discriminator_model trained as in keras-dcgan (z uniform in
    [-1, 1], SGD lr 5e-4 momentum 0.9 Nesterov for both, the discriminator's turn first), written
    with keras-adversarial's simple_gan / AdversarialModel. Same outputs as run_dcgan."""
    from ..optimizers import SGD
    from ..plot import save_gan_losses, save_interpolation, save_sample_grid

    log = _prepare(out, seed)
    x, _ = load_mnist("train", limit)
    generator, discriminator = generator_model(), discriminator_model()
    gan = simple_gan(generator, discriminator, uniform_latent_sampling((100,), -1.0, 1.0))
    model = AdversarialModel(
        base_model=gan,
        player_params=[generator.trainable_weights, discriminator.trainable_weights],
        player_names=["generator", "discriminator"],
    )
    model.adversarial_compile(
        adversarial_optimizer=AdversarialOptimizerAlternating(reverse=True),
        player_optimizers=[
            SGD(lr=5e-4, momentum=0.9, nesterov=True),
            SGD(lr=5e-4, momentum=0.9, nesterov=True),
        ],
        loss="binary_crossentropy",
    )
    model.to(device)
    z_grid = sample_latent(100, 100, "uniform", np.random.default_rng(1234))

    def generator_sampler():
        return metrics.to_unit(generator.predict(z_grid, batch_size=100)).reshape(10, 10, 28, 28)

    grid = ImageGridCallback(os.path.join(out, "samples-epoch{:03d}.png"), generator_sampler)
    losses = LossRecorder({"d_loss": "discriminator_loss", "g_loss": "generator_yfake_loss"})
    start = time.perf_counter()
    budget = _budget(max_seconds)
    history = model.fit(
        x,
        gan_targets(len(x)),
        batch_size=batch_size,
        epochs=epochs,
        verbose=verbose,
        callbacks=[grid, losses, TextLog(log)] + budget,
        steps_per_epoch=steps_per_epoch,
    )
    train_seconds = time.perf_counter() - start
    os.makedirs(models_dir or out, exist_ok=True)
    generator.save(os.path.join(models_dir or out, "generator.tnz"))
    discriminator.save(os.path.join(models_dir or out, "discriminator.tnz"))
    save_gan_losses(
        losses,
        os.path.join(out, "losses.png"),
        title="the lecture's GAN (D: sum of its two BCE terms; G: -log D(G(z)))",
    )

    def generate(z):
        return generator.predict(z, batch_size=500)

    save_sample_grid(
        generate(sample_latent(100, 100, "uniform", np.random.default_rng(seed + 1))),
        os.path.join(out, "samples-final.png"),
        title=f"lecture GAN after {len(history.epoch)} epochs",
    )
    save_interpolation(
        _interpolation_strips(generate, 100, "uniform"),
        os.path.join(out, "interpolation.png"),
        title="interpolating between two z",
    )
    clf = classifier or metrics.digit_classifier(device=device, verbose=verbose)
    generated = metrics.to_unit(
        generate(sample_latent(n_eval, 100, "uniform", np.random.default_rng(seed + 2)))
    )
    quality = _quality(clf, generated, out, "lecture GAN")
    steps = len(losses.steps) // max(len(history.epoch), 1)
    results = {
        "model": "lecture",
        "epochs": len(history.epoch),
        "batch_size": batch_size,
        "train_images": len(x),
        "latent": "uniform",
        "optimizer": "SGD(lr=5e-4, momentum=0.9, nesterov=True) for both players",
        "train_seconds": round(train_seconds, 1),
        **_timing(history, steps),
        "epochs_requested": epochs,
        "stopped_by_time_budget": bool(budget and budget[0].stopped_early),
        "history": history.history,
        "quality": quality,
        **_environment(device),
    }
    write_json(os.path.join(out, "results.json"), results)
    return results


# ----- class-conditional DCGAN -----
def run_conditional(
    out="runs/gan/conditional",
    epochs=5,
    batch_size=128,
    limit=None,
    device="cpu",
    n_per_class=500,
    seed=0,
    verbose=1,
    steps_per_epoch=None,
    classifier=None,
    max_seconds=None,
    models_dir=None,
    distributed=None,
):
    """A conditional DCGAN: the label (or the digit's name) chooses the digit drawn. Measures the
    share of samples the classifier reads as the requested digit, per class and overall.
    Writes samples per epoch (one row per digit, labelled with its name), conditional-final.png,
    losses.png, class-histogram.png, results.json, train.log, generator.tnz, discriminator.tnz."""
    from ..plot import save_gan_losses, save_sample_grid

    log = _prepare(out, seed)
    x, y = load_mnist("train", limit)
    cgan = ConditionalGAN(conditional_generator(), conditional_discriminator(), latent_dim=100)
    cgan.compile().to(device)
    grid = SampleGrid(
        os.path.join(out, "samples-epoch{epoch:03d}.png"), steps=(200,), epochs=GRID_EPOCHS
    )
    losses = LossRecorder()
    start = time.perf_counter()
    budget = _budget(max_seconds)
    history = cgan.fit(
        x,
        y,
        epochs=epochs,
        batch_size=batch_size,
        verbose=verbose,
        callbacks=[grid, losses, TextLog(log)] + budget,
        steps_per_epoch=steps_per_epoch,
        distributed=distributed,
    )
    if distributed is not None and not distributed.is_main:
        return None  # rank 0 measures and writes
    train_seconds = time.perf_counter() - start
    cgan.save(models_dir or out)
    save_gan_losses(losses, os.path.join(out, "losses.png"), title="conditional DCGAN on MNIST")
    words = list(cgan.class_names)
    rng = np.random.default_rng(seed + 1)
    save_sample_grid(
        cgan.generate(labels=[w for w in words for _ in range(10)], rng=rng),
        os.path.join(out, "conditional-final.png"),
        nrow=10,
        row_labels=[f'"{w}"' for w in words],
        title=f"asked for by name, after {len(history.epoch)} epochs",
    )
    clf = classifier or metrics.digit_classifier(device=device, verbose=verbose)
    requested = np.repeat(np.arange(10), n_per_class)
    generated = metrics.to_unit(
        cgan.generate(labels=requested, rng=np.random.default_rng(seed + 2))
    )
    probs = metrics.predict_probs(clf, generated)
    hits = probs.argmax(1) == requested
    per_class = [float(hits[requested == k].mean()) for k in range(10)]
    order = np.random.default_rng(seed + 3).permutation(len(generated))
    quality = _quality(clf, generated[order], out, "conditional DCGAN")
    quality.update(
        {
            "requested_digit_share": float(hits.mean()),
            "requested_digit_share_per_class": [round(v, 4) for v in per_class],
            "requested_and_confident_share": float((hits & (probs.max(1) >= 0.9)).mean()),
            "samples_per_class": n_per_class,
        }
    )
    steps = len(losses.steps) // max(len(history.epoch), 1)
    results = {
        "model": "conditional_dcgan",
        "epochs": len(history.epoch),
        "batch_size": batch_size,
        "train_images": len(x),
        "train_seconds": round(train_seconds, 1),
        **_timing(history, steps),
        "epochs_requested": epochs,
        "stopped_by_time_budget": bool(budget and budget[0].stopped_early),
        "history": history.history,
        "quality": quality,
        "targets": TARGETS["conditional"],
        "targets_met": bool(quality["requested_digit_share"] >= 0.9),
        **_environment(device),
    }
    write_json(os.path.join(out, "results.json"), results)
    return results


# ----- latent arithmetic -----
FIGURE_CASES = {
    "ink": [(7, 1, 1), (3, 8, -1), (0, 4, 1), (2, 9, -1)],
    "slant": [(1, 7, 1), (4, 9, -1), (8, 3, 1)],
}
# (name, samples averaged in each attribute group, samples averaged as the base): "vector" adds
# the difference of two group means (attr_group each) to one z; "radford" averages 3 z everywhere
# (Radford et al.); "means" takes the attribute from large groups (mean_group each: little noise
# left in the difference) and adds it to the mean of 3 z, as Radford et al. do. The targets are
# judged on "means".
RECIPES = (("vector", "attr_group", 1), ("radford", 3, 3), ("means", "mean_group", 3))
TARGET_RECIPE = "means"
SHOWN = 5


def _figure_row(study, generate, a, b, sign, rng, latent_dim):
    """One row of the arithmetic figure: group members (at most SHOWN of each), the result and
    4 neighbours (uniform noise of +-0.25 added to the result's z, as in Radford et al.)."""
    from ..gan.latent import arithmetic

    pool, groups = study["_pool"], study["_groups"]
    k, kb = study["attr_group"], study["base_group"]
    plus, minus = ("high", "low") if sign > 0 else ("low", "high")
    A = rng.choice(groups[a][plus], k, replace=False)
    B = rng.choice(groups[a][minus], k, replace=False)
    C = rng.choice(groups[b][minus], kb, replace=False)
    z, images = pool["z"], pool["images"]
    zr = arithmetic([z[A], z[B], z[C]])
    neigh = zr[None] + rng.uniform(-0.25, 0.25, (4, latent_dim)).astype(np.float32)
    results = generate(np.concatenate([zr[None], neigh]))
    up, down = (study["high"], study["low"]) if sign > 0 else (study["low"], study["high"])

    def name(label, size):
        return label if size == 1 else f"{label} (mean of {size})"

    return {
        "groups": [images[A[:SHOWN]], images[B[:SHOWN]], images[C[:SHOWN]]],
        "names": [name(f"{up} {a}", k), name(f"{down} {a}", k), name(f"{down} {b}", kb)],
        "results": results,
        "result_name": f"{up} {b}? (result, 4 neighbours)",
    }


def run_latent_arithmetic(
    out="runs/gan/arithmetic",
    generator=None,
    epochs=5,
    batch_size=128,
    limit=None,
    device="cpu",
    latent="normal",
    n_pool=30000,
    trials=3,
    attr_group=10,
    mean_group=100,
    seed=0,
    verbose=1,
    classifier=None,
    max_seconds=None,
    models_dir=None,
    dense=1024,
    ema_decay=0.999,
    distributed=None,
):
    """Vector arithmetic in the DCGAN's latent space, measured (see latent.arithmetic_study) for
    stroke thickness (ink) and slant, on a pool of ``n_pool`` generated samples, with three
    recipes (see RECIPES): "vector" (mean of ``attr_group`` high minus mean of ``attr_group`` low,
    added to one z of the base digit), "radford" (means of 3 z each) and "means" (groups of
    ``mean_group``, base the mean of 3 z). ``generator``: a trained DCGAN generator (model or .tnz
    path; its z distribution is ``latent``); without one a DCGAN is trained first (run_dcgan into
    out/dcgan). Writes arithmetic-<attribute>-<recipe>.png and results.json; the targets are
    judged per attribute on the "means" recipe."""
    from ..gan.latent import make_pool
    from ..models import load_model
    from ..plot import save_latent_arithmetic

    os.makedirs(out, exist_ok=True)
    backend.seed(seed)
    if generator is None:
        run_dcgan(
            os.path.join(out, "dcgan"),
            epochs=epochs,
            batch_size=batch_size,
            limit=limit,
            device=device,
            latent=latent,
            seed=seed,
            verbose=verbose,
            classifier=classifier,
            max_seconds=max_seconds,
            models_dir=models_dir,
            dense=dense,
            ema_decay=ema_decay,
            distributed=distributed,
        )
        generator = sampling_generator(models_dir or os.path.join(out, "dcgan"))
    if distributed is not None and not distributed.is_main:
        return None
    g = (
        load_model(generator, compile=False)
        if isinstance(generator, (str, os.PathLike))
        else generator
    )
    g.to(device)
    latent_dim = g.input_shape[0]
    clf = classifier or metrics.digit_classifier(device=device, verbose=verbose)

    def generate(z):
        return metrics.to_unit(g.predict(np.asarray(z, dtype=np.float32), batch_size=500))

    def classify(images):
        return metrics.predict_probs(clf, images)

    results = {
        "generator": str(generator) if isinstance(generator, (str, os.PathLike)) else g.name,
        "latent": latent,
        "targets": TARGETS["arithmetic"],
        "target_recipe": TARGET_RECIPE,
        **_environment(device),
    }
    pool = make_pool(generate, classify, latent_dim, latent, n_pool, seed)
    for attribute in ATTRIBUTES:
        results[attribute] = {}
        for recipe, k, kb in RECIPES:
            k = {"attr_group": attr_group, "mean_group": mean_group}.get(k, k)
            start = time.perf_counter()
            study = arithmetic_study(
                generate,
                classify,
                latent_dim,
                attribute,
                latent,
                attr_group=k,
                base_group=kb,
                trials=trials,
                seed=seed,
                pool=pool,
            )
            rng = np.random.default_rng(seed + 5)
            rows = [
                _figure_row(study, generate, a, b, s, rng, latent_dim)
                for a, b, s in FIGURE_CASES[attribute]
            ]
            save_latent_arithmetic(
                rows,
                os.path.join(out, f"arithmetic-{attribute}-{recipe}.png"),
                title=f"latent arithmetic on digits: {study['high']} / {study['low']}, "
                f"{recipe} recipe",
            )
            summary = {key: v for key, v in study.items() if not key.startswith("_")}
            summary["seconds"] = round(time.perf_counter() - start, 1)
            results[attribute][recipe] = summary
    met = {
        a: bool(
            results[a][TARGET_RECIPE]["moved_rate"] >= TARGETS["arithmetic"]["moved_rate"]
            and results[a][TARGET_RECIPE]["same_digit_rate"]
            >= TARGETS["arithmetic"]["same_digit_rate"]
        )
        for a in ATTRIBUTES
    }
    results["targets_met_by_attribute"] = met
    results["targets_met"] = any(met.values())
    write_json(os.path.join(out, "results.json"), results)
    return results

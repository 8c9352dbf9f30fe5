"""The runs behind ``tinynet gan faces``: attribute classifiers, the 64x64 face DCGAN, the two
equations and the sample-quality report, each writing into one output folder.

    run_classifiers("runs/faces/classifiers", epochs=15)      # classifier.tnz, metrics.json
    run_train("runs/faces/dcgan", width=32, epochs=20)        # generator_ema.tnz, grids, losses
    run_arithmetic("runs/faces/arithmetic", generator=..., classifier=...)
    run_sample("runs/faces/sample", generator=..., classifier=...)

CelebA is read through tinynet.datasets.celeba (TINYNET_DATA); its images are never written
out: every figure here shows generated faces only.
"""

import os
import time

import numpy as np

from .. import backend
from ..datasets import celeba
from ..gan.checkpoint import GANCheckpoint, resume_gan
from ..gan.face_arithmetic import (
    EQUATIONS,
    RareConceptError,
    equation_study,
    face_pool,
    group_sizes,
    neighbours,
)
from ..gan.face_quality import face_quality
from ..gan.faces import EMA_DECAY, face_gan
from ..gan.latent import interpolate, sample_latent
from ..gan.monitors import LossRecorder, SampleGrid, TextLog, TimeBudget
from ..models.checkpoint import EpochTimer
from ..zoo import face_attributes as fa
from .runs import RunFolderError, machine_info, write_json

TARGETS = {"balanced_accuracy": 0.9, "success_rate": 0.7}


def load_faces(split="all", limit=None, path=None):
    """CelebA faces in [-1, 1] (N, 3, 64, 64) float32 and the labels (N, 3) of
    fa.ATTRIBUTES; split 'train' (first 8,000), 'test' (last 2,000) or 'all' (10,000)."""
    (x, a), (xt, at) = celeba.load_data(path)
    if split == "test":
        x, a = xt, at
    elif split == "all":
        x, a = np.concatenate([x, xt]), np.concatenate([a, at])
    elif split != "train":
        raise ValueError(f"load_faces: split must be 'train', 'test' or 'all', got {split!r}")
    if limit is not None:
        x, a = x[:limit], a[:limit]
    return fa.to_signed(x), celeba.attribute_matrix(a, fa.ATTRIBUTES)


def oversampled(labels, specs, names=fa.ATTRIBUTES):
    """Row indices that repeat the faces matching each spec: labels (N, len(names)) bool,
    specs like ``"Eyeglasses=3"`` or ``"Eyeglasses&~Male=8"`` (attributes joined by ``&``, ``~``
    for absent; the face appears that many times per epoch). A face matching several specs
    takes the largest factor; the others appear once. -> (M,) int64, each face's copies
    together, in the original order."""
    labels = np.asarray(labels, dtype=bool)
    factor = np.ones(len(labels), dtype=np.int64)
    for spec in specs:
        where = f"oversample {spec!r}"
        terms, eq, k = spec.partition("=")
        if not eq or not k.strip().isdigit() or int(k) < 1:
            raise ValueError(f"{where}: write ATTR[&~ATTR...]=K with an int K >= 1")
        match = np.ones(len(labels), dtype=bool)
        for term in terms.split("&"):
            name = term.strip()
            absent = name.startswith("~")
            name = name[1:] if absent else name
            if name not in names:
                raise ValueError(f"{where}: unknown attribute {name!r}; known: {list(names)}")
            column = labels[:, names.index(name)]
            match &= ~column if absent else column
        factor[match] = np.maximum(factor[match], int(k))
    return np.repeat(np.arange(len(labels)), factor)


def check_oversample(specs):
    """Raise ValueError naming the first malformed spec of :func:`oversampled`."""
    oversampled(np.zeros((0, len(fa.ATTRIBUTES)), dtype=bool), specs)


# ----- attribute classifiers -----
def run_classifiers(
    out="runs/faces/classifiers",
    epochs=15,
    batch_size=64,
    lr=1e-3,
    widths=(16, 32, 64, 128),
    features=64,
    limit=None,
    test_limit=None,
    seed=0,
    verbose=1,
    data=None,
    device="cpu",
):
    """Train fa.attribute_classifier on the training faces (random horizontal flips, the
    balanced loss, Adam ``lr``), test on the held-out faces at P > 0.5. Writes classifier.tnz
    (weights and architecture, no optimizer) and metrics.json. ``data``: ((x, y), (xt, yt))
    in place of CelebA (tests). Returns the metrics dict."""
    from ..preprocessing import ImageDataGenerator

    os.makedirs(out, exist_ok=True)
    backend.seed(seed)
    if data is None:
        data = (load_faces("train", limit), load_faces("test", test_limit))
    (x, y), (xt, yt) = data
    model = fa.attribute_classifier(len(fa.ATTRIBUTES), tuple(widths), features).to(device)
    share = y.mean(axis=0)
    from ..training.optimizers import Adam

    model.compile(Adam(lr=lr), loss=fa.balanced_binary_crossentropy(share))
    start = time.perf_counter()
    flips = ImageDataGenerator(horizontal_flip=True)
    with flips.flow(x, y, batch_size=batch_size, seed=seed) as batches:
        history = model.fit(batches, epochs=epochs, verbose=verbose)
    seconds = time.perf_counter() - start
    p = fa.predict_attributes(model, xt)
    bal = fa.balanced_accuracy(yt, p > 0.5)
    model.save(os.path.join(out, "classifier.tnz"), include_optimizer=False)
    metrics = {
        "model": model.name,
        "attributes": list(fa.ATTRIBUTES),
        "params": int(model.count_params()),
        "widths": list(widths),
        "features": features,
        "epochs": len(history.epoch),
        "batch_size": batch_size,
        "learning_rate": lr,
        "train_faces": int(len(x)),
        "test_faces": int(len(xt)),
        "train_positive_share": dict(zip(fa.ATTRIBUTES, share.astype(float).round(4).tolist())),
        "test_positives": dict(zip(fa.ATTRIBUTES, yt.sum(0).astype(int).tolist())),
        "balanced_accuracy": dict(zip(fa.ATTRIBUTES, bal.round(4).tolist())),
        "accuracy": dict(zip(fa.ATTRIBUTES, ((p > 0.5) == (yt > 0.5)).mean(0).round(4).tolist())),
        "target": TARGETS["balanced_accuracy"],
        "target_met": bool(np.all(bal >= TARGETS["balanced_accuracy"])),
        "train_seconds": round(seconds, 1),
        "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
        "machine": machine_info(device),
    }
    write_json(os.path.join(out, "metrics.json"), metrics)
    return metrics


def load_classifier(path, device="cpu"):
    """The attribute classifier saved by run_classifiers (a file path)."""
    from ..models import load_model

    return load_model(path, compile=False).to(device)


# ----- the DCGAN -----
def interpolation_strips(generate, latent_dim, rows=4, steps=10, seed=7):
    """rows x steps faces along straight lines between pairs of uniform z:
    (rows, steps, 3, 64, 64)."""
    ends = sample_latent(2 * rows, latent_dim, "uniform", np.random.default_rng(seed))
    z = np.concatenate(
        [interpolate(ends[2 * i], ends[2 * i + 1], steps, "linear") for i in range(rows)]
    )
    return np.asarray(generate(z)).reshape((rows, steps) + fa.IMAGE_SHAPE)


def run_train(
    out="runs/faces/dcgan",
    width=32,
    epochs=20,
    batch_size=64,
    limit=None,
    max_seconds=None,
    steps_per_epoch=None,
    ema_decay=EMA_DECAY,
    seed=0,
    verbose=1,
    models_dir=None,
    x=None,
    device="cpu",
    resume=False,
    oversample=(),
):
    """Train the face DCGAN (tinynet.gan.faces.face_gan) on the CelebA faces (all
    10,000 unless ``limit``; ``x`` in place of them for tests) up to ``epochs`` epochs in all.
    Writes samples-epochNNN.png (6x6 from one fixed z), samples-final.png, losses.png,
    interpolation.png, train.log and results.json into ``out``; checkpoint.tnz (both players,
    both optimizers, the average: tinynet.gan.checkpoint) there after every epoch, and
    generator.tnz, discriminator.tnz, generator_ema.tnz into ``models_dir`` (default ``out``)
    at the end. ``resume``: go on from out/checkpoint.tnz (same width, ema_decay and
    oversample). ``oversample``: specs of :func:`oversampled` (faces repeated in every epoch)."""
    from ..plot import save_gan_losses, save_interpolation, save_sample_grid

    os.makedirs(out, exist_ok=True)
    models = models_dir or out
    gan = face_gan(width=width, ema_decay=ema_decay).to(device)
    state = resume_gan(gan, out) if resume else None
    if resume and state is None:
        raise FileNotFoundError(f"run_train: --resume, but {out} has no checkpoint.tnz")
    settings = {
        "width": width,
        "batch_size": batch_size,
        "ema_decay": ema_decay or None,
        "oversample": list(oversample),
        "limit": limit,
    }
    if state:
        check_same_settings(state, settings, out)
    else:
        clear_run_files(out)
    done = state["epochs"] if state else 0
    backend.seed(seed + done)  # a resumed session draws fresh batches and z, seeded by its start
    check_oversample(oversample)  # bad specs fail before any work
    if x is None:
        x, labels = load_faces("all", limit)
        if oversample:
            x = x[oversampled(labels, oversample)]
    elif oversample:
        raise ValueError("run_train: oversample reads the CelebA labels; it cannot apply to x")
    grid = SampleGrid(os.path.join(out, "samples-epoch{epoch:03d}.png"), n=36, nrow=6)
    losses = LossRecorder(previous=(state or {}).get("batch_losses"))
    log = os.path.join(out, "train.log")
    timer = EpochTimer()
    session = {**settings, "from_epoch": done, "machine": machine_info(device)}
    checkpoint = GANCheckpoint(gan, out, timer, state, recorder=losses, session=session)
    budget = [TimeBudget(max_seconds)] if max_seconds else []
    gan.fit(
        x,
        epochs=epochs,
        initial_epoch=done,
        batch_size=batch_size,
        verbose=verbose,
        steps_per_epoch=steps_per_epoch,
        callbacks=[grid, losses, TextLog(log), timer, checkpoint] + budget,
    )
    gan.save(models)
    trained = checkpoint.epochs_done
    title = f"face DCGAN (width {width}) after {trained} epochs"
    save_gan_losses(losses, os.path.join(out, "losses.png"), title=title)
    save_sample_grid(
        gan.generate(64, rng=np.random.default_rng(seed + 1)),
        os.path.join(out, "samples-final.png"),
        nrow=8,
        title=title,
    )
    save_interpolation(
        interpolation_strips(lambda z: gan.generate(z=z), gan.latent_dim),
        os.path.join(out, "interpolation.png"),
        title="interpolating between two z",
    )
    results = {
        "model": "face_dcgan",
        "width": width,
        "parameters": {
            "generator": int(gan.generator.count_params()),
            "discriminator": int(gan.discriminator.count_params()),
        },
        "epochs": trained,
        "epochs_requested": epochs,
        "sessions": checkpoint.sessions,
        "batch_size": batch_size,
        "train_images": int(len(x)),
        "oversample": list(oversample),
        "latent": "uniform",
        "ema_decay": ema_decay or None,
        "train_seconds": round(checkpoint.total, 1),
        "seconds_per_epoch": [round(t, 1) for t in checkpoint.epoch_seconds],
        "stopped_by_time_budget": bool(budget and budget[0].stopped_early),
        "history": checkpoint.history,
        "machine": machine_info(device),
        "session_log": checkpoint.session_log,
    }
    write_json(os.path.join(out, "results.json"), results)
    return results


RUN_FILES = ("checkpoint.tnz", "checkpoint.json", "train.log", "samples-epoch*.png")


def clear_run_files(out):
    """Remove an earlier run's checkpoint, log and per-epoch grids from ``out`` (a fresh run
    there, after --overwrite), so that none of them outlives it or is resumed by mistake."""
    import glob

    for pattern in RUN_FILES:
        for path in glob.glob(os.path.join(glob.escape(str(out)), pattern)):
            os.remove(path)


def check_same_settings(state, settings, out):
    """Refuse to resume the run saved in ``out`` with other settings than its last session's
    (RunFolderError naming each); checkpoints without a session log are not checked."""
    log = state.get("session_log") or []
    if not log:
        return
    before = log[-1]
    changed = [
        f"--{k.replace('_', '-')} {v!r} (the run has {before[k]!r})"
        for k, v in settings.items()
        if k in before and before[k] != v
    ]
    if changed:
        raise RunFolderError(
            f"--resume: {out} was trained with other settings: {'; '.join(changed)}; resume "
            f"with the run's own, or start a new run in another --out"
        )


def load_generator(path, device="cpu"):
    """A saved face generator (generator_ema.tnz: the weight average, ready to sample)."""
    from ..models import load_model

    return load_model(path, compile=False).to(device)


def _model(given, load, device):
    """A model from a file path, or the model given (moved to ``device``)."""
    if isinstance(given, (str, os.PathLike)):
        return load(given, device)
    return given.to(device)


def _generate_fn(generator, batch_size=500):
    return lambda z: generator.predict(np.asarray(z, dtype=np.float32), batch_size=batch_size)


def _classify_fn(classifier):
    return lambda images: fa.predict_attributes(classifier, images)


# ----- the equations -----
def run_arithmetic(
    out="runs/faces/arithmetic",
    generator=None,
    classifier=None,
    cases=100,
    pool=20000,
    confidence=0.9,
    seed=0,
    figure_seed=0,
    device="cpu",
):
    """Both equations over ``cases`` cases each (with their random-vector controls) on concept
    groups chosen by the classifier among ``pool`` generated faces. Writes arithmetic.png (the
    slide's layout, one row per equation, a successful case when there is one) and
    results.json; an equation whose concepts are too rare in the pool gets its "error" and
    "group_sizes" there instead (and no row). ``generator`` / ``classifier``: file paths or
    models."""
    from ..plot.faces import save_face_arithmetic

    os.makedirs(out, exist_ok=True)
    g = _model(generator, load_generator, device)
    c = _model(classifier, load_classifier, device)
    generate, classify = _generate_fn(g), _classify_fn(c)
    latent_dim = int(g.input_shape[0])
    start = time.perf_counter()
    faces = face_pool(generate, classify, latent_dim, pool, seed)
    results, rows = {}, []
    rng = np.random.default_rng(figure_seed)
    for k, (name, equation) in enumerate(EQUATIONS.items()):
        sizes = group_sizes(equation, faces["probs"], fa.ATTRIBUTES, confidence)
        try:
            study = equation_study(
                equation, faces, generate, classify, cases, fa.ATTRIBUTES, confidence, seed=seed + k
            )
        except RareConceptError as e:  # too rare in this generator's pool: say so, go on
            results[name] = {"error": str(e), "group_sizes": sizes, "cases": 0}
            continue
        good = np.flatnonzero(study["_success"])
        case = int(good[0]) if len(good) else int(rng.integers(cases))
        picks = study["_cases"][case]
        terms = [generate(faces["z"][p]) for p in picks]
        means = [generate(faces["z"][p].mean(0, keepdims=True))[0] for p in picks]
        rows.append(
            {
                "names": [n for n, _ in equation["terms"]],
                "samples": terms,
                "means": means,
                "results": generate(neighbours(study["_z"][case], seed=figure_seed)),
                "result_name": equation["target"][0],
            }
        )
        results[name] = {k2: v for k2, v in study.items() if not k2.startswith("_")}
        results[name]["figure_case_succeeded"] = bool(len(good))
    figure = os.path.join(out, "arithmetic.png")
    if rows:
        save_face_arithmetic(rows, figure)
    elif os.path.exists(figure):  # an earlier run's, which these results do not show
        os.remove(figure)
    results.update(
        pool=pool,
        confidence=confidence,
        seconds=round(time.perf_counter() - start, 1),
        target=TARGETS["success_rate"],
        generator=str(generator) if isinstance(generator, (str, os.PathLike)) else None,
        classifier=str(classifier) if isinstance(classifier, (str, os.PathLike)) else None,
        machine=machine_info(device),
    )
    write_json(os.path.join(out, "results.json"), results)
    return results


# ----- sample quality -----
def run_sample(
    out="runs/faces/sample",
    generator=None,
    classifier=None,
    n=5000,
    seed=0,
    real=None,
    device="cpu",
):
    """``n`` samples against the held-out faces (the classifier's test split): face_quality's
    Fréchet distances and attribute shares, a grid of 64 samples. Writes samples.png and
    quality.json. ``real``: (x, labels) in place of the CelebA test faces (tests)."""
    from ..plot import save_sample_grid

    os.makedirs(out, exist_ok=True)
    g = _model(generator, load_generator, device)
    c = _model(classifier, load_classifier, device)
    generate = _generate_fn(g)
    z = sample_latent(n, int(g.input_shape[0]), "uniform", np.random.default_rng(seed))
    fake = generate(z)
    xt, yt = real if real is not None else load_faces("test")
    report = face_quality(
        fake,
        xt,
        lambda im: fa.attribute_features(c, im),
        _classify_fn(c),
        labels=yt,
        attributes=fa.ATTRIBUTES,
        seed=seed,
    )
    save_sample_grid(
        fake[:64], os.path.join(out, "samples.png"), nrow=8, title=f"{n} samples: the first 64"
    )
    report.update(
        generator=str(generator) if isinstance(generator, (str, os.PathLike)) else None,
        classifier=str(classifier) if isinstance(classifier, (str, os.PathLike)) else None,
        machine=machine_info(device),
    )
    write_json(os.path.join(out, "quality.json"), report)
    return report

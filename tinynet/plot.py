"""Matplotlib helpers. matplotlib is imported inside each function, so ``import tinynet`` stays
light and a headless machine needs no display (use the Agg backend, e.g. MPLBACKEND=Agg).
"""


def _axes(ax, figsize=(7, 4)):
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_gradient_norms(stats, stat="grad_norm", ax=None, log=True, title=None):
    """One line per layer: ``stat`` of a tinynet.callbacks.GradientStats over the training steps.

    stat: 'grad_norm' (norm of dLoss/d(layer output)), 'weight_grad_norm', 'act_std', ... (see
    ``tinynet.callbacks.STATS``). Layers run from dark (input side) to light (output side), so a
    fan of lines spreading downwards towards the input shows vanishing gradients.
    Returns the matplotlib Axes.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    from .callbacks import STATS
    if stat not in STATS:
        raise ValueError(f"plot_gradient_norms: stat must be one of {', '.join(STATS)}, got {stat!r}")
    if not stats.steps:
        raise ValueError("plot_gradient_norms: the GradientStats callback recorded nothing (was it "
                         "passed to fit, with every <= the number of batches?)")
    ax = _axes(ax)
    steps, series = stats.as_arrays(stat)
    names = [n for n in stats.layer_names if np.isfinite(series[n]).any()]
    colors = plt.cm.viridis(np.linspace(0, 0.9, max(len(names), 1)))
    for name, color in zip(names, colors):
        ax.plot(steps, series[name], label=name, color=color)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("training step (batch)")
    ax.set_ylabel(stat.replace("_", " "))
    ax.set_title(title or f"{stat.replace('_', ' ')} per layer")
    ax.legend(fontsize="small", ncol=2)
    return ax


def compare_gradient_norms(runs, stat="grad_norm", log=True, figsize=None):
    """Side-by-side panels with a shared y axis, one per ``{label: GradientStats}`` (e.g.
    {"sigmoid": stats_a, "relu": stats_b}). Returns the Figure."""
    import matplotlib.pyplot as plt
    n = len(runs)
    fig, axes = plt.subplots(1, n, figsize=figsize or (5 * n, 4), sharey=True, squeeze=False)
    for ax, (label, stats) in zip(axes[0], runs.items()):
        plot_gradient_norms(stats, stat, ax=ax, log=log, title=label)
    fig.tight_layout()
    return fig


# ----- training results: curves, image grids, confusion matrix -----
def _history_dict(history):
    return history.history if hasattr(history, "history") else dict(history)


def plot_history(history, metrics=("acc", "loss"), figsize=None, title=None, val_label="validation"):
    """Training curves: one panel per metric (default accuracy and loss), the training value and,
    when logged, the validation one (``val_<metric>``, labelled ``val_label``) per epoch.

    history: a History (``model.fit``'s return) or its ``.history`` dict of per-epoch lists.
    Returns the Figure."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator
    hist = _history_dict(history)
    shown = [m for m in metrics if m in hist]
    if not shown:
        raise ValueError(f"plot_history: none of {list(metrics)} is in the history "
                         f"(it has {sorted(hist)})")
    fig, axes = plt.subplots(1, len(shown), figsize=figsize or (5.5 * len(shown), 4), squeeze=False)
    for ax, name in zip(axes[0], shown):
        epochs = range(1, len(hist[name]) + 1)
        ax.plot(epochs, hist[name], "o-", ms=3, label="train")
        if f"val_{name}" in hist:
            ax.plot(range(1, len(hist[f"val_{name}"]) + 1), hist[f"val_{name}"], "o-", ms=3,
                    label=val_label)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel({"acc": "accuracy"}.get(name, name))
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _display_image(img):
    """(C, H, W) uint8 or float in [0, 1] -> what imshow takes, with its colour map."""
    import numpy as np
    img = np.asarray(img)
    if img.ndim != 3 or img.shape[0] not in (1, 3):
        raise ValueError(f"plot_image_grid: expected images (N, 1 or 3, H, W), got an image of shape "
                         f"{img.shape}")
    if img.dtype.kind == "f":
        img = np.clip(img, 0.0, 1.0)
    return (img[0], "gray") if img.shape[0] == 1 else (img.transpose(1, 2, 0), None)


def plot_image_grid(images, labels, predicted=None, class_names=None, ncols=8, title=None):
    """A grid of images (N, C, H, W) (C 1 or 3; uint8, or float in [0, 1]) each titled with its
    label, or "true / predicted" when ``predicted`` is given (red when they differ).
    labels, predicted: (N,) class indices; class_names: their names. Returns the Figure."""
    import matplotlib.pyplot as plt
    import numpy as np
    n = len(images)
    if n == 0:
        raise ValueError("plot_image_grid: no images to show")
    labels = np.asarray(labels).reshape(-1)
    if len(labels) != n or (predicted is not None and len(np.asarray(predicted).reshape(-1)) != n):
        raise ValueError(f"plot_image_grid: {n} images but {len(labels)} labels"
                         + ("" if predicted is None else f" and {len(np.asarray(predicted).reshape(-1))} "
                                                           f"predictions"))
    name = (lambda k: str(class_names[k])) if class_names is not None else str
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.5 * ncols, 1.75 * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        img, cmap = _display_image(images[i])
        ax.imshow(img, cmap=cmap, vmin=0, vmax=255 if img.dtype == np.uint8 else 1)
        if predicted is None:
            ax.set_title(name(labels[i]), fontsize=8)
        else:
            p = int(np.asarray(predicted).reshape(-1)[i])
            ax.set_title(f"{name(labels[i])}\n→ {name(p)}", fontsize=8,
                         color="black" if p == labels[i] else "tab:red")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_misclassified(images, labels, predicted, class_names=None, n=32, ncols=8, title=None):
    """The first ``n`` images whose prediction is wrong, titled "true → predicted".
    Returns the Figure (saying so when there is no mistake to show)."""
    import matplotlib.pyplot as plt
    import numpy as np
    labels, predicted = np.asarray(labels).reshape(-1), np.asarray(predicted).reshape(-1)
    wrong = np.flatnonzero(labels != predicted)
    if len(wrong) == 0:
        fig, ax = plt.subplots(figsize=(4, 1))
        ax.axis("off")
        ax.text(0.5, 0.5, "no misclassified images", ha="center", va="center")
        return fig
    pick = wrong[:n]
    return plot_image_grid(np.asarray(images)[pick], labels[pick], predicted[pick], class_names, ncols,
                           title or f"misclassified: {len(wrong)} of {len(labels)} (first {len(pick)} "
                                    f"shown, true → predicted)")


def confusion_matrix(labels, predicted, classes=None):
    """counts[i, j] = how many samples of class i were predicted as class j; (classes, classes)."""
    import numpy as np
    labels = np.asarray(labels).reshape(-1).astype(np.int64)
    predicted = np.asarray(predicted).reshape(-1).astype(np.int64)
    if len(labels) != len(predicted):
        raise ValueError(f"confusion_matrix: {len(labels)} labels but {len(predicted)} predictions")
    k = classes or int(max(labels.max(initial=-1), predicted.max(initial=-1)) + 1)
    if labels.size and (min(labels.min(), predicted.min()) < 0 or max(labels.max(), predicted.max()) >= k):
        raise ValueError(f"confusion_matrix: class indices must be in 0..{k - 1}")
    return np.bincount(labels * k + predicted, minlength=k * k).reshape(k, k)


def plot_confusion_matrix(labels, predicted, class_names=None, normalize=True, title=None):
    """Confusion matrix of class indices: rows the true class, columns the predicted one; cells
    coloured by the fraction of the row (``normalize``) or the count, and annotated with counts.
    Returns the Figure."""
    import matplotlib.pyplot as plt
    import numpy as np
    k = len(class_names) if class_names is not None else None
    counts = confusion_matrix(labels, predicted, k)
    k = len(counts)
    names = [str(c) for c in class_names] if class_names is not None else [str(i) for i in range(k)]
    rows = counts.sum(axis=1, keepdims=True)
    shown = counts / np.maximum(rows, 1) if normalize else counts
    fig, ax = plt.subplots(figsize=(1.0 + 0.6 * k, 0.6 + 0.6 * k))
    im = ax.imshow(shown, cmap="Blues", vmin=0)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04,
                 label="fraction of the true class" if normalize else "count")
    ax.set_xticks(range(k), names, rotation=45, ha="right")
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    top = shown.max() if shown.size else 0
    for i in range(k):
        for j in range(k):
            if counts[i, j]:
                ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if shown[i, j] > 0.5 * top else "black")
    acc = np.trace(counts) / max(counts.sum(), 1)
    ax.set_title(title or f"confusion matrix (accuracy {acc:.2%})")
    fig.tight_layout()
    return fig


# ----- GANs (tinynet.gan) -----
def tile_images(images, nrow=10, pad=2, value_range=(-1.0, 1.0)):
    """Images (N, 1, H, W), (N, H, W) or (N, 3, H, W) -> one mosaic array in [0, 1]:
    (rows*(H+pad)+pad, nrow*(W+pad)+pad), with a trailing 3 for colour; rows = ceil(N / nrow).
    ``value_range`` maps to [0, 1] (default the tanh range [-1, 1]); the padding is white."""
    import numpy as np
    a = np.asarray(images, dtype=np.float64)
    if a.ndim == 3:
        a = a[:, None]
    if a.ndim != 4 or a.shape[1] not in (1, 3) or len(a) == 0:
        raise ValueError(f"tile_images: expected images (N, 1 or 3, H, W) or (N, H, W), got shape {np.shape(images)}")
    lo, hi = value_range
    a = np.clip((a - lo) / (hi - lo), 0.0, 1.0).transpose(0, 2, 3, 1)
    n, h, w, c = a.shape
    ncol = min(int(nrow), n)
    rows = -(-n // ncol)
    out = np.ones((rows * (h + pad) + pad, ncol * (w + pad) + pad, c))
    for i in range(n):
        r, q = divmod(i, ncol)
        out[pad + r * (h + pad):pad + r * (h + pad) + h, pad + q * (w + pad):pad + q * (w + pad) + w] = a[i]
    return out[..., 0] if c == 1 else out


def save_sample_grid(images, path, nrow=10, title=None, row_labels=None, value_range=(-1.0, 1.0),
                     cell_inches=0.42):
    """Write a PNG of generated images (see tile_images) to ``path``, with an optional title and
    one label per row (e.g. the digit a conditional generator was asked for). Returns path."""
    from matplotlib.figure import Figure
    mosaic = tile_images(images, nrow, 2, value_range)
    rows = -(-len(images) // min(nrow, len(images)))
    cols = min(nrow, len(images))
    left = 0.7 if row_labels else 0.1
    fig = Figure(figsize=(cols * cell_inches + left, rows * cell_inches + (0.4 if title else 0.1)))
    ax = fig.add_axes([left / fig.get_figwidth(), 0.02, 1 - (left + 0.05) / fig.get_figwidth(),
                       1 - (0.42 if title else 0.12) / fig.get_figheight()])
    ax.imshow(mosaic, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    if row_labels:
        h = (mosaic.shape[0] - 2) / rows
        ax.set_yticks([2 + h * (i + 0.5) - 1 for i in range(len(row_labels))])
        ax.set_yticklabels(row_labels, fontsize=9)
        ax.tick_params(length=0)
    else:
        ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    if title:
        ax.set_title(title, fontsize=10)
    fig.savefig(path, dpi=80)
    return path


def plot_gan_losses(recorder, ax=None, smooth=25, title=None):
    """Both players' losses per training batch from a tinynet.gan.LossRecorder (moving average
    over ``smooth`` batches, raw values faint), and the discriminator's accuracy on a second
    axis. Returns the Axes."""
    import numpy as np
    ax = _axes(ax)
    steps = np.asarray(recorder.steps)

    def smoothed(v):
        v = np.asarray(v, dtype=np.float64)
        ok = np.isfinite(v)
        k = max(1, min(int(smooth), int(ok.sum()) or 1))
        num = np.convolve(np.where(ok, v, 0.0), np.ones(k), "same")
        den = np.convolve(ok.astype(float), np.ones(k), "same")
        return np.where(den > 0, num / np.maximum(den, 1), np.nan)
    for name, color, label in (("d_loss", "tab:blue", "discriminator loss"),
                               ("g_loss", "tab:orange", "generator loss")):
        v = np.asarray(recorder.values[name], dtype=np.float64)
        ax.plot(steps, v, color=color, alpha=0.2, linewidth=0.6)
        ax.plot(steps, smoothed(v), color=color, label=label)
    ax.set_xlabel("iteration (batch)")
    ax.set_ylabel("binary cross-entropy")
    if "d_acc" in recorder.values:
        ax2 = ax.twinx()
        ax2.plot(steps, smoothed(recorder.values["d_acc"]), color="tab:green", linestyle="--",
                 label="discriminator accuracy")
        ax2.set_ylim(0, 1.05)
        ax2.set_ylabel("discriminator accuracy")
        lines = ax.get_legend_handles_labels()
        lines2 = ax2.get_legend_handles_labels()
        ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], fontsize="small", loc="upper right")
    else:
        ax.legend(fontsize="small")
    ax.set_title(title or "adversarial training")
    return ax


def save_gan_losses(recorder, path, smooth=25, title=None):
    """plot_gan_losses written to a PNG at ``path``. Returns path."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=(7, 3.6))
    plot_gan_losses(recorder, fig.add_subplot(1, 1, 1), smooth, title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    return path


def save_interpolation(strips, path, title=None, value_range=(-1.0, 1.0)):
    """Rows of images (R, S, 1, H, W), each the generator's output along a path from one z to
    another, written as a PNG. Returns path."""
    import numpy as np
    strips = np.asarray(strips)
    if strips.ndim != 5:
        raise ValueError(f"save_interpolation: expected (rows, steps, C, H, W), got shape {strips.shape}")
    r, s = strips.shape[:2]
    return save_sample_grid(strips.reshape((r * s,) + strips.shape[2:]), path, nrow=s,
                            title=title, value_range=value_range)


def save_latent_arithmetic(rows, path, title=None, value_range=(0.0, 1.0)):
    """The lecture's face arithmetic, for digits: each row a dict with "groups" (three arrays
    (k, 1, H, W): the samples averaged, e.g. thick 7s, thin 7s, thin 1s), "names" (three
    captions), and "results" (m, 1, H, W) generated from the combined z (and its neighbours).
    Written as a PNG; returns path."""
    import numpy as np
    from matplotlib.figure import Figure
    k = max(len(g) for row in rows for g in row["groups"])
    m = max(len(row["results"]) for row in rows)
    cols = 3 * k + 3 + m
    cell = 0.42
    fig = Figure(figsize=(cols * cell, len(rows) * (cell * 1.0 + 0.32) + (0.35 if title else 0.05)))
    top = 1 - (0.35 if title else 0.05) / fig.get_figheight()
    row_h = top / len(rows)
    for i, row in enumerate(rows):
        y0 = top - (i + 1) * row_h
        x = 0
        pieces = []
        for j, (imgs, name) in enumerate(zip(row["groups"], row["names"])):
            pieces.append((imgs, name, x))
            x += len(imgs) + 1
        pieces.append((row["results"], row.get("result_name", "result"), x))
        signs = ["", "\u2212", "+", "="]
        for j, (imgs, name, x0) in enumerate(pieces):
            imgs = np.asarray(imgs)
            ax = fig.add_axes([x0 / cols, y0 + 0.02 * row_h, len(imgs) / cols, row_h * 0.72])
            ax.imshow(tile_images(imgs, len(imgs), 1, value_range), cmap="gray", vmin=0, vmax=1,
                      interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(name, fontsize=8)
            if j > 0:
                fig.text((x0 - 0.5) / cols, y0 + 0.4 * row_h, signs[j], ha="center", va="center", fontsize=14)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.savefig(path, dpi=80)
    return path


def plot_class_histogram(shares, ax=None, floor=0.05, title=None, class_names=None):
    """Bars of the share of generated samples the classifier puts in each class, with the
    ``floor`` every class should reach drawn as a line. Returns the Axes."""
    import numpy as np
    ax = _axes(ax, (6, 3))
    shares = np.asarray(shares, dtype=np.float64)
    names = class_names or [str(i) for i in range(len(shares))]
    colors = ["tab:blue" if s >= floor else "tab:red" for s in shares]
    ax.bar(range(len(shares)), shares, color=colors)
    ax.axhline(floor, color="gray", linestyle="--", linewidth=1, label=f"{floor:.0%} floor")
    ax.axhline(1 / len(shares), color="black", linestyle=":", linewidth=1, label="uniform")
    ax.set_xticks(range(len(shares)))
    ax.set_xticklabels(names)
    ax.set_ylabel("share of samples")
    ax.legend(fontsize="small")
    ax.set_title(title or "classes of the generated digits")
    return ax

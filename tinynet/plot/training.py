"""Figures of training: learning curves, gradient norms per layer, image grids, confusion matrices."""

from ._axes import _axes


def plot_gradient_norms(stats, stat="grad_norm", ax=None, log=True, title=None):
    """One line per layer: ``stat`` of a tinynet.callbacks.GradientStats over the training steps.

    stat: 'grad_norm' (norm of dLoss/d(layer output)), 'weight_grad_norm', 'act_std', ... (see
    ``tinynet.callbacks.STATS``). Layers run from dark (input side) to light (output side), so a
    fan of lines spreading downwards towards the input shows vanishing gradients.
    Returns the matplotlib Axes.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    from ..training.callbacks import STATS

    if stat not in STATS:
        raise ValueError(
            f"plot_gradient_norms: stat must be one of {', '.join(STATS)}, got {stat!r}"
        )
    if not stats.steps:
        raise ValueError(
            "plot_gradient_norms: the GradientStats callback recorded nothing (was it "
            "passed to fit, with every <= the number of batches?)"
        )
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
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
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


def plot_history(
    history, metrics=("acc", "loss"), figsize=None, title=None, val_label="validation"
):
    """Training curves: one panel per metric (default accuracy and loss), the training value and,
    when logged, the validation one (``val_<metric>``, labelled ``val_label``) per epoch.

    history: a History (``model.fit``'s return) or its ``.history`` dict of per-epoch lists.
    Returns the Figure."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    hist = _history_dict(history)
    shown = [m for m in metrics if m in hist]
    if not shown:
        raise ValueError(
            f"plot_history: none of {list(metrics)} is in the history (it has {sorted(hist)})"
        )
    fig, axes = plt.subplots(1, len(shown), figsize=figsize or (5.5 * len(shown), 4), squeeze=False)
    for ax, name in zip(axes[0], shown):
        epochs = range(1, len(hist[name]) + 1)
        ax.plot(epochs, hist[name], "o-", ms=3, label="train")
        if f"val_{name}" in hist:
            ax.plot(
                range(1, len(hist[f"val_{name}"]) + 1),
                hist[f"val_{name}"],
                "o-",
                ms=3,
                label=val_label,
            )
        ax.set_xlabel("epoch")
        n = max(len(hist[name]), len(hist.get(f"val_{name}", [])))
        if n <= 12:  # a tick per epoch (MaxNLocator gives fractions on a range under one)
            ax.set_xticks(range(1, n + 1))
            ax.set_xlim(0.5, n + 0.5)
        else:
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
        raise ValueError(
            f"plot_image_grid: expected images (N, 1 or 3, H, W), got an image of shape {img.shape}"
        )
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
        raise ValueError(
            f"plot_image_grid: {n} images but {len(labels)} labels"
            + (
                ""
                if predicted is None
                else f" and {len(np.asarray(predicted).reshape(-1))} predictions"
            )
        )
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
            ax.set_title(
                f"{name(labels[i])}\n→ {name(p)}",
                fontsize=8,
                color="black" if p == labels[i] else "tab:red",
            )
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
    return plot_image_grid(
        np.asarray(images)[pick],
        labels[pick],
        predicted[pick],
        class_names,
        ncols,
        title
        or f"misclassified: {len(wrong)} of {len(labels)} (first {len(pick)} "
        f"shown, true → predicted)",
    )


def confusion_matrix(labels, predicted, classes=None):
    """counts[i, j] = how many samples of class i were predicted as class j; (classes, classes)."""
    import numpy as np

    labels = np.asarray(labels).reshape(-1).astype(np.int64)
    predicted = np.asarray(predicted).reshape(-1).astype(np.int64)
    if len(labels) != len(predicted):
        raise ValueError(f"confusion_matrix: {len(labels)} labels but {len(predicted)} predictions")
    k = classes or int(max(labels.max(initial=-1), predicted.max(initial=-1)) + 1)
    if labels.size and (
        min(labels.min(), predicted.min()) < 0 or max(labels.max(), predicted.max()) >= k
    ):
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
    fig.colorbar(
        im,
        ax=ax,
        fraction=0.046,
        pad=0.04,
        label="fraction of the true class" if normalize else "count",
    )
    ax.set_xticks(range(k), names, rotation=45, ha="right")
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    top = shown.max() if shown.size else 0
    for i in range(k):
        for j in range(k):
            if counts[i, j]:
                ax.text(
                    j,
                    i,
                    str(counts[i, j]),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if shown[i, j] > 0.5 * top else "black",
                )
    acc = np.trace(counts) / max(counts.sum(), 1)
    ax.set_title(title or f"confusion matrix (accuracy {acc:.2%})")
    fig.tight_layout()
    return fig


# ----- GANs (tinynet.gan) -----


# ----- trees (tinynet.trees) -----
def plot_importance_map(importances, shape, ax=None, title=None, cmap="viridis"):
    """A forest's (or tree's) ``feature_importances_`` of image pixels drawn as the image
    ``shape`` (e.g. (28, 28)), with a colour bar giving the share of the total impurity decrease.
    Returns the Axes."""
    import numpy as np

    values = np.asarray(importances, dtype=np.float64)
    if values.size != int(np.prod(shape)):
        raise ValueError(
            f"plot_importance_map: {values.size} importances do not fill an image of shape "
            f"{tuple(shape)}"
        )
    ax = _axes(ax, (5, 4.2))
    im = ax.imshow(values.reshape(shape), cmap=cmap, interpolation="nearest")
    ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="share of the impurity decrease")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title or "pixel importance (impurity decrease)")
    return ax

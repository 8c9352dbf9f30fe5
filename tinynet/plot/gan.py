"""Figures of GANs: sample grids, loss curves, interpolations, latent arithmetic, class shares."""

from ._axes import _axes


def tile_images(images, nrow=10, pad=2, value_range=(-1.0, 1.0)):
    """Images (N, 1, H, W), (N, H, W) or (N, 3, H, W) -> one mosaic array in [0, 1]:
    (rows*(H+pad)+pad, nrow*(W+pad)+pad), with a trailing 3 for colour; rows = ceil(N / nrow).
    ``value_range`` maps to [0, 1] (default the tanh range [-1, 1]); the padding is white."""
    import numpy as np

    a = np.asarray(images, dtype=np.float64)
    if a.ndim == 3:
        a = a[:, None]
    if a.ndim != 4 or a.shape[1] not in (1, 3) or len(a) == 0:
        raise ValueError(
            f"tile_images: expected images (N, 1 or 3, H, W) or (N, H, W), got shape {np.shape(images)}"
        )
    lo, hi = value_range
    a = np.clip((a - lo) / (hi - lo), 0.0, 1.0).transpose(0, 2, 3, 1)
    n, h, w, c = a.shape
    ncol = min(int(nrow), n)
    rows = -(-n // ncol)
    out = np.ones((rows * (h + pad) + pad, ncol * (w + pad) + pad, c))
    for i in range(n):
        r, q = divmod(i, ncol)
        out[
            pad + r * (h + pad) : pad + r * (h + pad) + h,
            pad + q * (w + pad) : pad + q * (w + pad) + w,
        ] = a[i]
    return out[..., 0] if c == 1 else out


def save_sample_grid(
    images, path, nrow=10, title=None, row_labels=None, value_range=(-1.0, 1.0), cell_inches=0.6
):
    """Write a PNG of generated images (see tile_images) to ``path``, with an optional title and
    one label per row (e.g. the digit a conditional generator was asked for). Returns path.
    A 10 x 10 grid of 28 x 28 digits is about 620 x 650 pixels (cells of 0.6 inch at 100 dpi)."""
    from matplotlib.figure import Figure

    mosaic = tile_images(images, nrow, 2, value_range)
    rows = -(-len(images) // min(nrow, len(images)))
    cols = min(nrow, len(images))
    left = 0.7 if row_labels else 0.1
    head = 0.55 if title else 0.1  # room for a title line of 13 points
    fig = Figure(figsize=(cols * cell_inches + left, rows * cell_inches + head))
    ax = fig.add_axes(
        [
            left / fig.get_figwidth(),
            0.02,
            1 - (left + 0.05) / fig.get_figwidth(),
            1 - (head + 0.02) / fig.get_figheight(),
        ]
    )
    ax.imshow(mosaic, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    if row_labels:
        h = (mosaic.shape[0] - 2) / rows
        ax.set_yticks([2 + h * (i + 0.5) - 1 for i in range(len(row_labels))])
        ax.set_yticklabels(row_labels, fontsize=11)
        ax.tick_params(length=0)
    else:
        ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    if title:
        ax.set_title(title, fontsize=13)
    fig.savefig(path, dpi=100)
    return path


def _legend_below(ax, handles=None, labels=None):
    """The legend in one row under the axes (off the data); tight_layout makes room for it."""
    args = () if handles is None else (handles, labels)
    ax.legend(
        *args,
        fontsize="small",
        loc="upper center",
        bbox_to_anchor=(0.5, -0.2),
        ncol=3,
        frameon=False,
    )


def plot_gan_losses(recorder, ax=None, smooth=25, title=None):
    """Both players' losses per training batch from a tinynet.gan.LossRecorder (moving average
    over ``smooth`` batches, raw values faint), and the discriminator's accuracy on a second
    axis; the legend sits under the axes. Returns the Axes."""
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

    for name, color, label in (
        ("d_loss", "tab:blue", "discriminator loss"),
        ("g_loss", "tab:orange", "generator loss"),
    ):
        v = np.asarray(recorder.values[name], dtype=np.float64)
        ax.plot(steps, v, color=color, alpha=0.2, linewidth=0.6)
        ax.plot(steps, smoothed(v), color=color, label=label)
    ax.set_xlabel("iteration (batch)")
    ax.set_ylabel("binary cross-entropy")
    if "d_acc" in recorder.values:
        ax2 = ax.twinx()
        ax2.plot(
            steps,
            smoothed(recorder.values["d_acc"]),
            color="tab:green",
            linestyle="--",
            label="discriminator accuracy",
        )
        ax2.set_ylim(0, 1.05)
        ax2.set_ylabel("discriminator accuracy")
        lines = ax.get_legend_handles_labels()
        lines2 = ax2.get_legend_handles_labels()
        _legend_below(ax, lines[0] + lines2[0], lines[1] + lines2[1])
    else:
        _legend_below(ax)
    ax.set_title(title or "adversarial training")
    return ax


def save_gan_losses(recorder, path, smooth=25, title=None):
    """plot_gan_losses written to a PNG at ``path``. Returns path."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4))
    plot_gan_losses(recorder, fig.add_subplot(1, 1, 1), smooth, title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path


def save_interpolation(strips, path, title=None, value_range=(-1.0, 1.0)):
    """Rows of images (R, S, 1, H, W), each the generator's output along a path from one z to
    another, written as a PNG. Returns path."""
    import numpy as np

    strips = np.asarray(strips)
    if strips.ndim != 5:
        raise ValueError(
            f"save_interpolation: expected (rows, steps, C, H, W), got shape {strips.shape}"
        )
    r, s = strips.shape[:2]
    return save_sample_grid(
        strips.reshape((r * s,) + strips.shape[2:]),
        path,
        nrow=s,
        title=title,
        value_range=value_range,
    )


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
            ax.imshow(
                tile_images(imgs, len(imgs), 1, value_range),
                cmap="gray",
                vmin=0,
                vmax=1,
                interpolation="nearest",
            )
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(name, fontsize=8)
            if j > 0:
                fig.text(
                    (x0 - 0.5) / cols,
                    y0 + 0.4 * row_h,
                    signs[j],
                    ha="center",
                    va="center",
                    fontsize=14,
                )
    if title:
        fig.suptitle(title, fontsize=10)
    fig.savefig(path, dpi=80)
    return path


def plot_class_histogram(shares, ax=None, floor=0.05, title=None, class_names=None):
    """Bars of the share of generated samples the classifier puts in each class, with the
    ``floor`` every class should reach drawn as a line; the legend beside the axes. Returns the
    Axes."""
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
    ax.set_xlabel("class the classifier gives the sample")
    ax.set_ylabel("share of samples")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    ax.set_title(title or "classes of the generated digits")
    return ax

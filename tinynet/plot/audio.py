"""Figures of speech: log-mel spectrograms of real and generated clips side by side, and a
WaveNet's bits-per-sample curve."""

import numpy as np


def _figure(rows, cols, figsize):
    import matplotlib.pyplot as plt

    return plt.subplots(rows, cols, figsize=figsize, squeeze=False)


def _save(fig, path, dpi=90):
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return path


def spectrogram_pairs(pairs, path, titles=("real", "generated"), hop=64, sr=8000):
    """One row per (label, real log-mel, generated log-mel) triple of ``pairs``: the two
    spectrograms (n_mels, frames) side by side on one colour scale, time in seconds."""
    rows = len(pairs)
    fig, axes = _figure(rows, 2, (9, 1.6 * rows + 0.6))
    values = np.concatenate([np.ravel(s) for _, a, b in pairs for s in (a, b)])
    vmin, vmax = np.percentile(values, [2, 99.5])
    image = None
    for r, (label, *specs) in enumerate(pairs):
        for c, spec in enumerate(specs):
            ax = axes[r][c]
            seconds = spec.shape[1] * hop / sr
            image = ax.imshow(
                spec,
                origin="lower",
                aspect="auto",
                vmin=vmin,
                vmax=vmax,
                cmap="magma",
                extent=(0, seconds, 0, spec.shape[0]),
            )
            ax.set_ylabel(f"{label}\nmel band" if c == 0 else "")
            if r == 0:
                ax.set_title(titles[c])
            if r == rows - 1:
                ax.set_xlabel("time (s)")
    fig.colorbar(image, ax=[a for row in axes for a in row], label="log mel power", shrink=0.6)
    return _save(fig, path, dpi=60)


def bits_curve(histories, path, baselines=None):
    """Training (and test) bits per sample by epoch for each named history, with horizontal
    lines at the ``baselines`` ({name: bits})."""
    fig, axes = _figure(1, 1, (7, 4))
    ax = axes[0][0]
    for name, values in histories.items():
        ax.plot(
            np.arange(1, len(values) + 1),
            values,
            label=name,
            marker="o" if len(values) and np.isnan(values[0]) else None,
        )
    for name, bits in (baselines or {}).items():
        ax.axhline(bits, linestyle=":", linewidth=1, color="grey")
        ax.annotate(f"{name} {bits:.2f}", (1, bits), fontsize=7, va="bottom", color="grey")
    ax.set_xlabel("epoch")
    ax.set_ylabel("bits per sample")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    return _save(fig, path)

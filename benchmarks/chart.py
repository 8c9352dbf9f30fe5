"""The benchmark chart: training steps and kernels, tinynet vs PyTorch, CPU vs GPU, log scale."""

import math

from matplotlib.figure import Figure  # no pyplot: the caller's backend and figures stay as they are

SERIES = [  # (label, step key, device, kernel backend, kernel key, colour)
    ("tinynet CPU", "tinynet_ms", "cpu", "numpy", "ms", "#1f77b4"),
    ("PyTorch CPU", "torch_ms", "cpu", "numpy", "torch_ms", "#aec7e8"),
    ("tinynet GPU", "tinynet_ms", "gpu", "cupy", "ms", "#d62728"),
    ("tinynet GPU, slice loops", None, "gpu", "cupy-slices", "ms", "#ff9896"),
    ("PyTorch GPU", "torch_ms", "gpu", "cupy", "torch_ms", "#ffbb78"),
    ("Chainer CPU", "chainer_ms", "cpu", None, None, "#2ca02c"),
]
CHART_KERNELS = (
    "conv2d.forward",
    "conv2d.backward",
    "conv2d_transpose.forward",
    "conv2d_transpose.backward",
    "max_pool2d.forward",
    "max_pool2d.backward",
    "batch_norm.forward",
    "batch_norm.backward",
)


def _step_series(results):
    labels = [r["title"] for r in results["steps"] if r["device"] == results["steps"][0]["device"]]
    series = []
    for label, key, dev, _, _, colour in SERIES:
        if key is None:
            continue
        vals = {r["title"]: r.get(key) for r in results["steps"] if r["device"] == dev}
        if any(vals.values()):
            series.append((label, colour, [vals.get(t) for t in labels]))
    return labels, series


def _kernel_series(results):
    recs = [r for r in results["kernels"] if r["kernel"] in CHART_KERNELS]
    labels = list(dict.fromkeys(f"{r['layer']} {r['kernel']}" for r in recs))
    series = []
    for label, _, _, backend, key, colour in SERIES:
        if backend is None:
            continue
        vals = {f"{r['layer']} {r['kernel']}": r.get(key) for r in recs if r["backend"] == backend}
        if any(vals.values()):
            series.append((label, colour, [vals.get(t) for t in labels]))
    return labels, series


def _bars(ax, labels, series, title, values=False):
    height = 0.8 / max(len(series), 1)
    measured = [v for _, _, vals in series for v in vals if v]
    low = 10 ** math.floor(math.log10(min(measured)))
    high = 10 ** math.ceil(math.log10(max(measured) * 1.5))
    for i, (label, colour, vals) in enumerate(series):
        ys = [j + i * height for j in range(len(labels))]
        ax.barh(ys, [v or 0 for v in vals], height=height, color=colour, label=label, left=0)
        if values:
            for y, v in zip(ys, vals):
                if v:
                    ax.text(v * 1.05, y, f"{v:.3g}", va="center", fontsize=7)
    ax.set_yticks([j + 0.4 - height / 2 for j in range(len(labels))], labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlim(low, high)
    ax.set_xlabel("milliseconds (median, log scale)")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="best")


def draw(results, path):
    """Write the chart of ``results`` to ``path`` (PNG) and return the path."""
    s_labels, s_series = _step_series(results) if results["steps"] else ([], [])
    k_labels, k_series = _kernel_series(results) if results["kernels"] else ([], [])
    panels = [(s_labels, s_series, "Training step"), (k_labels, k_series, "Kernels")]
    panels = [p for p in panels if p[0] and p[1]]
    rows = [max(2.0, 0.25 * len(p[0]) * max(1, len(p[1])) ** 0.5 + 1) for p in panels] or [2.0]
    fig = Figure(figsize=(9, sum(rows)))
    axes = fig.subplots(len(panels) or 1, 1, gridspec_kw={"height_ratios": rows}, squeeze=False)
    for ax, (labels, series, title) in zip(axes[:, 0], panels):
        _bars(ax, labels, series, title, values=title == "Training step")
    if not panels:
        axes[0, 0].text(0.5, 0.5, "nothing measured", ha="center", va="center")
        axes[0, 0].axis("off")
    m = results["machine"]
    fig.suptitle(
        f"tinynet vs PyTorch: {m.get('cpu')} ({m.get('cores')} cores)"
        + (f", {m['gpu']}" if m.get("gpu") and "gpu" in results["devices"] else ""),
        fontsize=11,
    )
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / sum(rows)))  # room for the title
    fig.savefig(path, dpi=110)
    return path

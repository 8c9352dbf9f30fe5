"""The benchmark charts: times of the training steps and kernels (tinynet, PyTorch, CPU, GPU;
log scale), and the ratios: tinynet / PyTorch per step on each device, and each framework's
CPU-to-GPU speed-up per step."""

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
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)


def _peers(results):
    """'tinynet vs PyTorch' when PyTorch was measured, else 'tinynet (PyTorch not installed)'."""
    if results["frameworks"].get("torch") or any(r.get("torch_ms") for r in results["steps"]):
        return "tinynet vs PyTorch"
    return "tinynet (PyTorch not installed)"


def draw(results, path):
    """Write the chart of ``results`` to ``path`` (PNG) and return the path."""
    s_labels, s_series = _step_series(results) if results["steps"] else ([], [])
    k_labels, k_series = _kernel_series(results) if results["kernels"] else ([], [])
    panels = [(s_labels, s_series, "Training step"), (k_labels, k_series, "Kernels")]
    panels = [p for p in panels if p[0] and p[1]]
    rows = [max(2.0, 0.25 * len(p[0]) * max(1, len(p[1])) ** 0.5 + 1) for p in panels] or [2.0]
    fig = Figure(figsize=(11, sum(rows)))
    axes = fig.subplots(len(panels) or 1, 1, gridspec_kw={"height_ratios": rows}, squeeze=False)
    for ax, (labels, series, title) in zip(axes[:, 0], panels):
        _bars(ax, labels, series, title, values=title == "Training step")
    if not panels:
        axes[0, 0].text(0.5, 0.5, "nothing measured", ha="center", va="center")
        axes[0, 0].axis("off")
    m = results["machine"]
    fig.suptitle(
        f"{_peers(results)}: {m.get('cpu')} ({m.get('cores')} cores)"
        + (f", {m['gpu']}" if m.get("gpu") and "gpu" in results["devices"] else ""),
        fontsize=11,
    )
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / sum(rows)))  # room for the title
    fig.savefig(path, dpi=110)
    return path


def _ratio_panel(ax, labels, series, title, xlabel, line_label):
    """Horizontal bars of ratios (log scale) with the value beside each bar and a line at 1."""
    height = 0.8 / max(len(series), 1)
    values = [v for _, _, vals in series for v in vals if v]
    for i, (label, colour, vals) in enumerate(series):
        ys = [j + i * height for j in range(len(labels))]
        ax.barh(ys, [v or 0 for v in vals], height=height, color=colour, label=label)
        for y, v in zip(ys, vals):
            if v:
                ax.text(v * 1.04, y, f"{v:.2f}x", va="center", fontsize=8)
    ax.axvline(1.0, color="k", lw=1, ls="--", label=line_label)
    ax.set_yticks([j + 0.4 - height / 2 for j in range(len(labels))], labels, fontsize=9)
    ax.invert_yaxis()
    ax.set_xscale("log")
    low, high = min(values + [1.0]), max(values + [1.0])
    ax.set_xlim(low / 1.6, high * 1.8)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)


def ratio_panels(results):
    """[(labels, series, title, xlabel, line label)]: tinynet / PyTorch per step and device, and
    the CPU-to-GPU speed-up (CPU ms / GPU ms) per step and framework, where measured."""
    steps = results["steps"]
    labels = list(dict.fromkeys(r["title"] for r in steps))
    by = {(r["title"], r["device"]): r for r in steps}
    panels = []
    ratio = [
        (f"{dev.upper()}", colour, [(by.get((t, dev)) or {}).get("ratio") for t in labels])
        for dev, colour in (("cpu", "#1f77b4"), ("gpu", "#d62728"))
    ]
    ratio = [s for s in ratio if any(s[2])]
    if ratio:
        panels.append(
            (
                labels,
                ratio,
                "tinynet / PyTorch, time per training step (below 1: tinynet faster)",
                "ratio of the median step times (log scale)",
                "level with PyTorch",
            )
        )
    speed = []
    for name, key, colour in (
        ("tinynet", "tinynet_ms", "#2ca02c"),
        ("PyTorch", "torch_ms", "#ff7f0e"),
    ):
        vals = []
        for t in labels:
            cpu, gpu = ((by.get((t, d)) or {}).get(key) for d in ("cpu", "gpu"))
            vals.append(cpu / gpu if cpu and gpu else None)
        if any(vals):
            speed.append((name, colour, vals))
    if speed:
        panels.append(
            (
                labels,
                speed,
                "GPU speed-up over the CPU, per training step",
                "CPU time / GPU time (log scale)",
                "as fast as the CPU",
            )
        )
    return panels


def draw_ratios(results, path):
    """Write the ratio chart of ``results`` to ``path`` (PNG) -> the path, or None when there is
    no ratio to draw (PyTorch not installed and a single device)."""
    panels = ratio_panels(results) if results["steps"] else []
    if not panels:
        return None
    rows = [1.2 + 0.45 * len(p[0]) * len(p[1]) for p in panels]
    fig = Figure(figsize=(10, sum(rows) + 0.6))
    axes = fig.subplots(len(panels), 1, gridspec_kw={"height_ratios": rows}, squeeze=False)
    for ax, panel in zip(axes[:, 0], panels):
        _ratio_panel(ax, *panel)
    m = results["machine"]
    fig.suptitle(
        f"Ratios: {m.get('cpu')} ({m.get('cores')} cores)"
        + (f", {m['gpu']}" if m.get("gpu") and "gpu" in results["devices"] else ""),
        fontsize=11,
    )
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / (sum(rows) + 0.6)))
    fig.savefig(path, dpi=110)
    return path

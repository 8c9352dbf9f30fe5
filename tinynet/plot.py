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

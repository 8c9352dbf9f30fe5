"""A matplotlib drawing of a Graph in layers (the fallback when Graphviz is not installed).

Each node's rank is its longest distance from a source (sources pulled down to just above
their consumer); within a rank, nodes are ordered by the
mean position of their predecessors (one barycentre pass), which keeps chains straight.
"""

from .graph import COLOURS


def ranks(graph):
    """({node id: rank}, predecessors): every edge goes to a higher rank; a source sits one
    rank above its nearest consumer."""
    preds = {n: [] for n in graph.nodes}
    succs = {n: [] for n in graph.nodes}
    for a, b in graph.edges:
        preds[b].append(a)
        succs[a].append(b)
    indegree = {n: len(p) for n, p in preds.items()}
    rank = {n: 0 for n in graph.nodes}
    ready = [n for n, d in indegree.items() if d == 0]
    while ready:
        n = ready.pop()
        for m in succs[n]:
            rank[m] = max(rank[m], rank[n] + 1)
            indegree[m] -= 1
            if indegree[m] == 0:
                ready.append(m)
    for n in graph.nodes:  # a source sits just above its first consumer (a bias beside its add)
        if not preds[n] and succs[n]:
            rank[n] = min(rank[m] for m in succs[n]) - 1
    return rank, preds


def layout(graph):
    """{node id: (x, y)}: ranks run downwards (TB) or rightwards (LR)."""
    rank, preds = ranks(graph)
    rows = {}
    for n in graph.nodes:  # the walk's order as the first guess
        rows.setdefault(rank[n], []).append(n)
    pos = {}
    for r in sorted(rows):
        row = rows[r]
        if r > 0:
            row.sort(
                key=lambda n: sum(pos[p][0] for p in preds[n]) / len(preds[n]) if preds[n] else 1e9
            )
        for i, n in enumerate(row):
            pos[n] = (i - (len(row) - 1) / 2, -r)
    if graph.rankdir == "LR":
        pos = {n: (-y, -x) for n, (x, y) in pos.items()}
    return pos


def draw(graph, path, dpi=120):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    pos = layout(graph)
    xs = [p[0] for p in pos.values()] or [0]
    ys = [p[1] for p in pos.values()] or [0]
    longest = max(
        (len(line) for n in graph.nodes.values() for line in n["label"].split("\n")), default=10
    )
    sx = max(1.0, longest * 0.075)  # inches per unit across, so labels do not overlap
    sy = 1.1 + 0.12 * max((n["label"].count("\n") for n in graph.nodes.values()), default=0)
    fig = Figure(figsize=((max(xs) - min(xs) + 1.5) * sx, (max(ys) - min(ys) + 1.2) * sy))
    FigureCanvasAgg(fig)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(min(xs) - 0.75, max(xs) + 0.75)
    ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6)
    ax.axis("off")
    for a, b in graph.edges:
        ax.annotate(
            "",
            xy=pos[b],
            xytext=pos[a],
            arrowprops=dict(arrowstyle="->", color="#555555", shrinkA=14, shrinkB=14),
        )
    for nid, n in graph.nodes.items():
        style = "round4,pad=0.4" if n["kind"] == "op" else "round,pad=0.3"
        label = n["label"] if n.get("cluster") is None else f"[{n['cluster']}]\n{n['label']}"
        ax.text(
            *pos[nid],
            label,
            ha="center",
            va="center",
            fontsize=7,
            family="monospace",
            bbox=dict(boxstyle=style, fc=COLOURS[n["kind"]], ec="#444444", lw=0.8),
        )
    fig.savefig(path, dpi=dpi)

"""A fitted tree as a picture: Graphviz DOT text and a matplotlib drawing.

    print(tree.export_graphviz())          # paste into `dot -Tpng` (Graphviz itself not needed)
    tree.plot(max_depth=3); plt.show()     # the same boxes drawn with matplotlib

An inner node's box names the feature it splits on; each edge carries the branch's condition
(``<= 0.5``, ``> 0.5 or missing``, ``= Sunny``); every box shows the majority class and its
weighted share ``majority / total``. Below ``max_depth`` a subtree is drawn as one box "...".
"""

from .core import LEAF
from .rules import _Describer, _fmt


def _edge_text(dsc, cond, digits=None):
    """The branch condition without the feature's name in front: '<= 0.5', '= Sunny';
    with ``digits`` a numeric threshold is rounded to that many significant digits."""
    if digits is not None and cond[0] == "num":
        _, _, side, (value, _), with_missing = cond
        return f"{side} {value:.{digits}g}" + (" or missing" if with_missing else "")
    text = dsc.condition(cond)
    name = dsc.name(cond[1])
    return text[len(name) + 1 :] if text.startswith(name + " ") else text


def layout(tree, encoder, classes, target, max_depth=None, digits=None):
    """-> (nodes, edges): nodes [(id, depth, label lines, is_leaf)], edges [(parent, child, text)],
    depth-first from the root; a node at max_depth with children is cut to a '...' leaf."""
    dsc = _Describer(tree, encoder, classes, target)
    nodes, edges = [], []
    stack = [(0, 0)]
    while stack:
        node, depth = stack.pop()
        label, v = dsc.outcome(node)
        share = f"{_fmt(v.max())}/{_fmt(v.sum())}"
        leaf = tree.kind[node] == LEAF
        cut = not leaf and max_depth is not None and depth >= max_depth
        if leaf or cut:
            lines = [f"{target} = {label}", share] + (["..."] if cut else [])
            nodes.append((node, depth, lines, True))
            continue
        children = dsc.children(node)
        nodes.append((node, depth, [dsc.name(children[0][1][1]), f"{label} ({share})"], False))
        edges.extend((node, child, _edge_text(dsc, cond, digits)) for child, cond in children)
        stack.extend((child, depth + 1) for child, _ in reversed(children))
    return nodes, edges


def _quote(text):
    """A DOT string: quotes and backslashes escaped, line breaks as DOT's \\n."""
    text = str(text).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\n", "\\n") + '"'


def export_graphviz(tree, encoder, classes, target, max_depth=None):
    """DOT text: one box per node, edges labelled with the branch conditions."""
    nodes, edges = layout(tree, encoder, classes, target, max_depth)
    out = [
        "digraph tree {",
        '  node [shape=box, style="rounded,filled", fillcolor="#f4f4f4", fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for node, _, lines, leaf in nodes:
        colour = ', fillcolor="#dcebf7"' if leaf else ""
        out.append(f"  n{node} [label={_quote(chr(10).join(lines))}{colour}];")
    for parent, child, text in edges:
        out.append(f"  n{parent} -> n{child} [label={_quote(text)}];")
    out.append("}")
    return "\n".join(out) + "\n"


def plot(tree, encoder, classes, target, max_depth=None, ax=None, fontsize=9):
    """Draw the tree on ``ax`` (a new figure sized to the tree if None) -> the Axes.
    Leaves sit on integer x positions in depth-first order, a parent above the middle of its
    children, depth downwards; the edges show thresholds to 4 significant digits (the rules and
    export_graphviz give them exactly)."""
    import matplotlib.pyplot as plt

    nodes, edges = layout(tree, encoder, classes, target, max_depth, digits=4)
    kids = {}
    for parent, child, _ in edges:
        kids.setdefault(parent, []).append(child)
    depth = {node: d for node, d, _, _ in nodes}
    x = {}
    next_leaf = [0]

    def place(node):  # recursion as deep as the tree
        if node not in kids:
            x[node] = next_leaf[0]
            next_leaf[0] += 1
        else:
            for c in kids[node]:
                place(c)
            x[node] = (x[kids[node][0]] + x[kids[node][-1]]) / 2

    place(0)
    width, height = max(x.values()) + 1, max(depth.values()) + 1
    if ax is None:
        _, ax = plt.subplots(figsize=(min(2.0 + 1.7 * width, 40), 1.0 + 1.5 * height))
    for parent, child, text in edges:
        (x0, y0), (x1, y1) = (x[parent], -depth[parent]), (x[child], -depth[child])
        ax.plot([x0, x1], [y0, y1], color="0.55", lw=1, zorder=1)
        ax.text(  # nearer the child, so that siblings' labels stand apart
            0.4 * x0 + 0.6 * x1,
            0.4 * y0 + 0.6 * y1,
            text,
            ha="center",
            va="center",
            fontsize=fontsize - 1,
            bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none"),
            zorder=2,
        )
    for node, d, lines, leaf in nodes:
        ax.text(
            x[node],
            -d,
            "\n".join(lines),
            ha="center",
            va="center",
            fontsize=fontsize,
            bbox=dict(boxstyle="round,pad=0.4", fc="#dcebf7" if leaf else "#f4f4f4", ec="0.4"),
            zorder=3,
        )
    ax.set_xlim(-0.7, width - 0.3)
    ax.set_ylim(-height + 0.5, 0.5)
    ax.set_axis_off()
    return ax


__all__ = ["layout", "export_graphviz", "plot"]

"""A fitted tree as text: IF-THEN rules (one per leaf) and an indented tree.

    IF Outlook = Sunny AND Humidity = High THEN Decision = No

Numeric conditions on the same feature along a path are merged into one interval
(``3.5 < age <= 40``). A missing value is written ``feature is missing``; a numeric side that also
takes missing values says so in brackets (``(income <= 2000 or missing)``) when the feature had
any in training and no other condition of the rule rules them out. Thresholds are printed with
the fewest digits (at least 6 significant) that still fall between the training values on either
side (``1234567.5``, not ``1.23457e+06``), so the rules split the training values exactly as the
tree does.
"""

import numpy as np

from .core import CATEGORICAL, LEAF, ONE_VS_REST


def _fmt(x):
    return f"{x:.6g}"


def _threshold(x, below, above):
    """x as text, rounded to 6..17 significant digits but kept in [below, above) (the training
    values on either side of the threshold x), so that 'v <= text' splits them like 'v <= x'."""
    x = float(x)
    for p in range(6, 18):
        text = f"{x:.{p}g}"
        if below <= float(text) < above:
            return text
    return repr(x)


class _Describer:
    def __init__(self, tree, encoder, classes, target):
        self.tree, self.enc, self.classes, self.target = tree, encoder, classes, target

    def name(self, f):
        return self.enc.feature_names_[f]

    def category(self, f, code):
        cats = self.enc.categories_[f]
        return (
            f"{self.name(f)} is missing" if code >= len(cats) else f"{self.name(f)} = {cats[code]}"
        )

    def threshold(self, node):
        """(value, text) of a numeric node's threshold."""
        t = self.tree
        f, b = t.feature[node], t.threshold[node]
        below, above = self.enc.neighbours_[f]
        x = self.enc.thresholds_[f][b]
        return float(x), _threshold(x, below[b], above[b])

    def children(self, node):
        """[(child, condition)]: ('cat' | 'not', f, code), ('known' | 'missing', f) or
        ('num', f, side, (threshold, text), takes_missing)."""
        t = self.tree
        f = int(t.feature[node])
        if t.kind[node] == CATEGORICAL:
            width = int(self.enc.n_codes_[f]) + 1
            b = t.branches[t.branch_start[node] : t.branch_start[node] + width]
            return [(int(b[c]), ("cat", f, c)) for c in range(width) if b[c] >= 0]
        if t.kind[node] == ONE_VS_REST:
            c = int(t.threshold[node])
            return [(int(t.left[node]), ("cat", f, c)), (int(t.right[node]), ("not", f, c))]
        if t.threshold[node] >= len(self.enc.thresholds_[f]):  # every known value goes left
            return [(int(t.left[node]), ("known", f)), (int(t.right[node]), ("missing", f))]
        thr = self.threshold(node)
        miss = bool(self.enc.has_missing_[f])
        ml = bool(t.missing_left[node])
        return [
            (int(t.left[node]), ("num", f, "<=", thr, miss and ml)),
            (int(t.right[node]), ("num", f, ">", thr, miss and not ml)),
        ]

    def condition(self, cond):
        if cond[0] == "cat":
            return self.category(cond[1], cond[2])
        if cond[0] in ("known", "missing"):
            return f"{self.name(cond[1])} is {'not ' if cond[0] == 'known' else ''}missing"
        if cond[0] == "not":
            text = self.category(cond[1], cond[2])
            return text.replace(" is missing", " is not missing").replace(" = ", " != ", 1)
        _, f, side, thr, with_missing = cond
        text = f"{self.name(f)} {side} {thr[1]}"
        return text + " or missing" if with_missing else text

    def outcome(self, node):
        v = self.tree.value[node]
        return self.classes[int(np.argmax(v))], v


def _merge(conds, describer):
    """Conditions of one path -> texts. The numeric bounds of a feature become one interval at
    the feature's first numeric condition; missing values reach the leaf only if every condition
    on the feature lets them through. Categorical conditions are kept as they are."""
    bounds, order = {}, []
    for c in conds:
        if c[0] not in ("num", "known", "missing"):
            order.append(("c", c))
            continue
        f = c[1]
        if f not in bounds:
            bounds[f] = {"lo": None, "hi": None, "missing_ok": True, "only_missing": False}
            order.append(("f", f))
        b = bounds[f]
        if c[0] == "known":
            b["missing_ok"] = False
        elif c[0] == "missing":
            b["only_missing"] = True
        else:
            b["missing_ok"] &= bool(c[4])
            if c[2] == ">":
                b["lo"] = c[3] if b["lo"] is None else max(b["lo"], c[3])
            else:
                b["hi"] = c[3] if b["hi"] is None else min(b["hi"], c[3])
    out = []
    for kind, item in order:
        if kind == "c":
            out.append(describer.condition(item))
            continue
        b, name = bounds[item], describer.name(item)
        lo, hi = b["lo"], b["hi"]
        if b["only_missing"]:
            out.append(f"{name} is missing")
        elif lo is None and hi is None:
            out.append(f"{name} is not missing")
        else:
            if lo is not None and hi is not None:
                text = f"{lo[1]} < {name} <= {hi[1]}"
            elif lo is not None:
                text = f"{name} > {lo[1]}"
            else:
                text = f"{name} <= {hi[1]}"
            out.append(f"({text} or missing)" if b["missing_ok"] else text)
    return out


def same_class_subtrees(tree, n_codes):
    """bool (n_nodes,): the node's subtree predicts one class everywhere (a leaf, or an inner
    node whose children all do, for the same class). Such a node reads as one rule: every child
    has that class as its majority, so the node's own counts have it too (what a sample that
    stops at the node gets)."""
    n = tree.n_nodes
    cls = np.argmax(tree.value, axis=1)
    uniform = tree.kind == LEAF
    for node in range(n - 1, -1, -1):  # children are added after their parent
        if uniform[node]:
            continue
        if tree.kind[node] == CATEGORICAL:
            start = tree.branch_start[node]
            kids = tree.branches[start : start + int(n_codes[tree.feature[node]]) + 1]
            kids = kids[kids >= 0]
        else:
            kids = np.array([tree.left[node], tree.right[node]])
        uniform[node] = bool(np.all(uniform[kids]) and np.all(cls[kids] == cls[node]))
    return uniform


def export_rules(tree, encoder, classes, target, show_counts=False, merge=True):
    """One 'IF ... THEN target = class' line per leaf, in depth-first order; with ``merge`` a
    subtree that predicts one class everywhere (same-class siblings) is one line."""
    dsc = _Describer(tree, encoder, classes, target)
    stop = same_class_subtrees(tree, encoder.n_codes_) if merge else tree.kind == LEAF
    lines = []
    stack = [(0, [])]
    while stack:
        node, conds = stack.pop()
        if stop[node]:
            label, v = dsc.outcome(node)
            body = " AND ".join(_merge(conds, dsc)) or "TRUE"
            line = f"IF {body} THEN {target} = {label}"
            if show_counts:
                line += f"  ({_fmt(v.max())}/{_fmt(v.sum())})"
            lines.append(line)
            continue
        for child, cond in reversed(dsc.children(node)):
            stack.append((child, conds + [cond]))
    return "\n".join(lines)


def export_text(tree, encoder, classes, target):
    """The tree indented with '|   ', a branch per line, leaves as ': class (weighted count)'."""
    dsc = _Describer(tree, encoder, classes, target)
    if tree.kind[0] == LEAF:
        label, v = dsc.outcome(0)
        return f"{target} = {label} ({_fmt(v.sum())})"
    lines = []
    stack = [(c, cond, 0) for c, cond in reversed(dsc.children(0))]
    while stack:
        node, cond, level = stack.pop()
        text = "|   " * level + dsc.condition(cond)
        if tree.kind[node] == LEAF:
            label, v = dsc.outcome(node)
            lines.append(f"{text}: {label} ({_fmt(v.sum())})")
        else:
            lines.append(text)
            stack.extend((c, cd, level + 1) for c, cd in reversed(dsc.children(node)))
    return "\n".join(lines)

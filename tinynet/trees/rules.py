"""A fitted tree as text: IF-THEN rules (one per leaf) and an indented tree.

    IF Outlook = Sunny AND Humidity = High THEN Decision = No

Numeric conditions on the same feature along a path are merged into one interval
(``3.5 < age <= 40``). A missing value is written ``feature is missing``; a numeric side that also
takes missing values says so (``income <= 2000 or missing``) when the feature had any in training.
"""
import numpy as np

from .core import CATEGORICAL, LEAF, ONE_VS_REST


def _fmt(x):
    return f"{x:.6g}"


class _Describer:
    def __init__(self, tree, encoder, classes, target):
        self.tree, self.enc, self.classes, self.target = tree, encoder, classes, target

    def name(self, f):
        return self.enc.feature_names_[f]

    def category(self, f, code):
        cats = self.enc.categories_[f]
        return f"{self.name(f)} is missing" if code >= len(cats) else f"{self.name(f)} = {cats[code]}"

    def threshold(self, node):
        t = self.tree
        return float(self.enc.thresholds_[t.feature[node]][t.threshold[node]])

    def children(self, node):
        """[(child, condition)] with condition ('cat', f, code) or ('num', f, side, threshold)."""
        t = self.tree
        f = int(t.feature[node])
        if t.kind[node] == CATEGORICAL:
            width = int(self.enc.n_codes_[f]) + 1
            b = t.branches[t.branch_start[node]:t.branch_start[node] + width]
            return [(int(b[c]), ("cat", f, c)) for c in range(width) if b[c] >= 0]
        if t.kind[node] == ONE_VS_REST:
            c = int(t.threshold[node])
            return [(int(t.left[node]), ("cat", f, c)), (int(t.right[node]), ("not", f, c))]
        if t.threshold[node] >= len(self.enc.thresholds_[f]):  # every known value goes left
            return [(int(t.left[node]), ("known", f)), (int(t.right[node]), ("missing", f))]
        thr = self.threshold(node)
        miss = bool(self.enc.has_missing_[f])
        ml = bool(t.missing_left[node])
        return [(int(t.left[node]), ("num", f, "<=", thr, miss and ml)),
                (int(t.right[node]), ("num", f, ">", thr, miss and not ml))]

    def condition(self, cond):
        if cond[0] == "cat":
            return self.category(cond[1], cond[2])
        if cond[0] in ("known", "missing"):
            return f"{self.name(cond[1])} is {'not ' if cond[0] == 'known' else ''}missing"
        if cond[0] == "not":
            text = self.category(cond[1], cond[2])
            return text.replace(" is missing", " is not missing").replace(" = ", " != ", 1)
        _, f, side, thr, with_missing = cond
        text = f"{self.name(f)} {side} {_fmt(thr)}"
        return text + " or missing" if with_missing else text

    def outcome(self, node):
        v = self.tree.value[node]
        return self.classes[int(np.argmax(v))], v


def _merge(conds, describer):
    """Merge numeric bounds per feature (first appearance order); keep categorical ones."""
    out, bounds, order = [], {}, []
    for c in conds:
        if c[0] == "num" and not c[4]:
            f = c[1]
            if f not in bounds:
                bounds[f] = [None, None]
                order.append(("b", f))
            lo, hi = bounds[f]
            if c[2] == ">":
                bounds[f][0] = c[3] if lo is None else max(lo, c[3])
            else:
                bounds[f][1] = c[3] if hi is None else min(hi, c[3])
        else:
            order.append(("c", c))
    for kind, item in order:
        if kind == "c":
            out.append(describer.condition(item))
            continue
        lo, hi = bounds[item]
        name = describer.name(item)
        if lo is not None and hi is not None:
            out.append(f"{_fmt(lo)} < {name} <= {_fmt(hi)}")
        elif lo is not None:
            out.append(f"{name} > {_fmt(lo)}")
        else:
            out.append(f"{name} <= {_fmt(hi)}")
    return out


def export_rules(tree, encoder, classes, target, show_counts=False):
    """One 'IF ... THEN target = class' line per leaf, in depth-first order."""
    dsc = _Describer(tree, encoder, classes, target)
    lines = []
    stack = [(0, [])]
    while stack:
        node, conds = stack.pop()
        if tree.kind[node] == LEAF:
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

"""Impurity criteria for decision trees: entropy (ID3's information), Gini, information gain.

The public helpers take class counts, the textbook form:

    entropy([9, 5])                                   # 0.940 bits, the golf set
    information_gain([9, 5], [[2, 3], [4, 0], [3, 2]])  # 0.247, splitting golf on outlook

The tree builder works on many count vectors at once; it uses :func:`impurity` (counts of shape
(..., C) -> impurity of shape (...)) and :func:`sum_xlogx`.
"""

import numpy as np

CRITERIA = ("entropy", "gini")


def check_criterion(criterion, where):
    if criterion not in CRITERIA:
        raise ValueError(f"{where}: criterion must be one of {CRITERIA}, got {criterion!r}")
    return criterion


def _counts(counts, where):
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim == 0 or c.shape[-1] == 0:
        raise ValueError(
            f"{where}: expected class counts of shape (..., C) with C >= 1, got shape {c.shape}"
        )
    if np.any(c < 0) or not np.all(np.isfinite(c)):
        raise ValueError(f"{where}: class counts must be finite and >= 0, got {counts!r}")
    return c


def sum_xlogx(c):
    """sum over the last axis of c*log2(c), with 0*log 0 = 0. c: (..., C) -> (...)."""
    c = np.asarray(c, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = c * np.log2(c)
    return np.where(c > 0, t, 0.0).sum(axis=-1)


def impurity(counts, criterion="entropy"):
    """Impurity of class-count vectors: (..., C) -> (...); 0 for an empty vector (all zeros).

    entropy = -sum p log2 p (bits), gini = 1 - sum p^2, with p = counts / counts.sum().
    """
    c = np.asarray(counts, dtype=np.float64)
    n = c.sum(axis=-1)
    safe = np.where(n > 0, n, 1.0)
    if criterion == "entropy":
        h = np.log2(safe) - sum_xlogx(c) / safe
    else:
        h = 1.0 - (c * c).sum(axis=-1) / (safe * safe)
    return np.where(n > 0, np.maximum(h, 0.0), 0.0)


def entropy(counts):
    """Entropy in bits of one class-count vector (or a stack (..., C)): -sum p log2 p."""
    return impurity(_counts(counts, "entropy"), "entropy")[()]


def gini(counts):
    """Gini impurity 1 - sum p^2 of one class-count vector (or a stack (..., C))."""
    return impurity(_counts(counts, "gini"), "gini")[()]


def information_gain(parent_counts, children_counts, criterion="entropy"):
    """Impurity decrease of splitting ``parent_counts`` (C,) into ``children_counts`` (k, C).

    gain = I(parent) - sum_k (n_k / n) I(child_k); with criterion='entropy' this is ID3's
    information gain. The children must add up to the parent.
    """
    check_criterion(criterion, "information_gain")
    p = _counts(parent_counts, "information_gain")
    ch = _counts(children_counts, "information_gain")
    if p.ndim != 1 or ch.ndim != 2 or ch.shape[1] != p.shape[0]:
        raise ValueError(
            f"information_gain: expected parent (C,) and children (k, C), got "
            f"{p.shape} and {ch.shape}"
        )
    if not np.allclose(ch.sum(axis=0), p):
        raise ValueError(
            f"information_gain: the children {ch.tolist()} do not add up to the parent {p.tolist()}"
        )
    n = p.sum()
    if n == 0:
        raise ValueError("information_gain: the parent has no samples")
    weights = ch.sum(axis=1) / n
    return float(impurity(p, criterion) - weights @ impurity(ch, criterion))

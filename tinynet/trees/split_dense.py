"""Best splits from dense class-count histograms, for many (node, feature) pairs at once.

One ``np.bincount`` builds the histogram H[pair, code, class] of every candidate pair of a group
of nodes; a cumulative sum over the codes gives the class counts left of every threshold at once.
Numeric features get the best binary split "code <= b" (missing values, if any, sent to the side
that scores better); categorical features get one ID3 branch per code (missing is a branch), or
with ``categorical_split='binary'`` the best "code == b" against the rest (a tree on one-hot columns).

Scores: a split's score is sum over its children of ``child_term``; the total impurity decrease is
``score - child_term(parent)`` (weighted by the number of samples). Higher is better.
"""
import numpy as np

from .criteria import sum_xlogx

CELL_BUDGET = 1 << 22  # histogram cells per chunk of nodes (32 MiB of float64)


def child_term(counts, n, criterion):
    """Per-child part of the score: (..., C) counts, (...) totals -> (...)."""
    safe = np.where(n > 0, n, 1.0)
    if criterion == "gini":
        return np.where(n > 0, np.einsum("...c,...c->...", counts, counts) / safe, 0.0)
    return sum_xlogx(counts) - np.where(n > 0, n * np.log2(safe), 0.0)


class SplitResult:
    """Best split per node: score, feature, threshold code, missing_left, found (all (K,))."""

    def __init__(self, k):
        self.score = np.full(k, -np.inf)
        self.feature = np.zeros(k, dtype=np.int64)
        self.threshold = np.zeros(k, dtype=np.int64)
        self.missing_left = np.zeros(k, dtype=bool)

    @property
    def found(self):
        return np.isfinite(self.score)

    def take_better(self, rows, score, feature, threshold, missing_left):
        better = score > self.score[rows]
        r = rows[better]
        self.score[r] = score[better]
        self.feature[r] = feature[better]
        self.threshold[r] = threshold[better]
        self.missing_left[r] = missing_left[better]


def _numeric(H, T, miss, msl, criterion):
    """H (P, B, C) with the missing-code rows already removed into miss (P, C) or None."""
    hn = H.sum(axis=2)
    L = np.cumsum(H, axis=1)
    nL = np.cumsum(hn, axis=1)
    known = T if miss is None else T - miss
    nk = known.sum(axis=1)[:, None]
    R = known[:, None, :] - L
    nR = nk - nL
    occupied = hn > 0
    best = np.full(H.shape[0], -np.inf)
    thr = np.zeros(H.shape[0], dtype=np.int64)
    mleft = np.zeros(H.shape[0], dtype=bool)
    options = [(False, None)] if miss is None else [(False, miss), (True, miss)]
    for missing_left, m in options:
        if m is None:
            Lc, nLc, Rc, nRc = L, nL, R, nR
        elif missing_left:
            Lc, nLc, Rc, nRc = L + m[:, None], nL + m.sum(1)[:, None], R, nR
        else:
            Lc, nLc, Rc, nRc = L, nL, R + m[:, None], nR + m.sum(1)[:, None]
        valid = occupied & (nLc >= msl) & (nRc >= msl) & (nLc > 0) & (nRc > 0)
        s = child_term(Lc, nLc, criterion) + child_term(Rc, nRc, criterion)
        s = np.where(valid, s, -np.inf)
        b = np.argmax(s, axis=1)
        sb = s[np.arange(len(b)), b]
        better = sb > best
        best[better], thr[better], mleft[better] = sb[better], b[better], missing_left
    return best, thr, mleft


def _multiway(H, msl, criterion):
    hn = H.sum(axis=2)
    nonempty = hn > 0
    valid = (nonempty.sum(axis=1) >= 2) & ~np.any(nonempty & (hn < msl), axis=1)
    s = child_term(H, hn, criterion).sum(axis=1)
    return np.where(valid, s, -np.inf)


def _one_vs_rest(H, T, msl, criterion):
    """Best 'code == b' vs 'code != b' split of each pair: (score (P,), code (P,))."""
    hn = H.sum(axis=2)
    n = T.sum(axis=1)[:, None]
    R = T[:, None, :] - H
    valid = (hn >= msl) & (n - hn >= msl) & (hn > 0) & (n - hn > 0)
    s = np.where(valid, child_term(H, hn, criterion) + child_term(R, n - hn, criterion), -np.inf)
    b = np.argmax(s, axis=1)
    return s[np.arange(len(b)), b], b


def best_splits_dense(data, idx, node_of, F, yv, wv, counts, msl, criterion, result, rows):
    """Evaluate the pairs (node k, feature F[k, j]) of a group of nodes; update ``result[rows]``.

    idx, node_of, yv, wv: (n_g,) samples of the group, grouped by node_of in 0..K-1; F: (K, m)
    feature ids; counts: (K, C) class counts per node. ``data`` is the tree's TreeData.
    """
    K, m = F.shape
    C = counts.shape[1]
    n = data.codes.shape[1]
    flat = data.codes.reshape(-1)
    B = int(data.code_span[F].max())
    per_node = m * B * C
    step = max(1, CELL_BUDGET // per_node)
    bounds = np.searchsorted(node_of, np.arange(0, K + step, step))
    for c0 in range(0, K, step):
        c1 = min(K, c0 + step)
        s0, s1 = bounds[c0 // step], bounds[c0 // step + 1]
        Kc = c1 - c0
        nid = node_of[s0:s1] - c0
        Fc = F[c0:c1]
        V = flat.take(Fc[nid].T * n + idx[s0:s1])                      # (m, n_c) codes
        key = ((np.arange(m)[:, None] * Kc + nid) * B + V) * C + yv[s0:s1]
        H = np.bincount(key.ravel(), weights=np.tile(wv[s0:s1], m),
                        minlength=m * Kc * B * C).reshape(m * Kc, B, C)
        feats = Fc.T.ravel()                                            # pair p = j*Kc + k
        T = np.tile(counts[c0:c1], (m, 1))
        score = np.full(m * Kc, -np.inf)
        thr = np.zeros(m * Kc, dtype=np.int64)
        mleft = np.zeros(m * Kc, dtype=bool)
        cat = data.is_categorical[feats]
        if cat.any() and data.categorical_split == "binary":
            score[cat], thr[cat] = _one_vs_rest(H[cat], T[cat], msl, criterion)
            mleft[cat] = False
        elif cat.any():
            score[cat] = _multiway(H[cat], msl, criterion)
        num = ~cat
        if num.any():
            Hn = H[num] if cat.any() else H
            fn = feats[num]
            miss = None
            withm = data.has_missing[fn]
            if withm.any():
                miss = np.zeros((len(fn), C))
                r = np.flatnonzero(withm)
                code = data.n_codes[fn[r]]
                miss[r] = Hn[r, code]
                Hn[r, code] = 0.0
            score[num], thr[num], mleft[num] = _numeric(Hn, T[num], miss, msl, criterion)
        score = score.reshape(m, Kc)
        j = np.argmax(score, axis=0)
        k = np.arange(Kc)
        p = j * Kc + k
        result.take_better(rows[c0:c1], score[j, k], feats[p], thr[p], mleft[p])

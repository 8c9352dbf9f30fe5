"""Best splits from dense class-count histograms, for many (node, feature) pairs at once.

One ``np.bincount`` per feature slot builds the histograms H[pair, class, code] of a chunk of
nodes (classes absent from every node of the chunk are left out); one cumulative sum over the
codes gives the class counts left of every threshold at once. Numeric features get the best
binary split "code <= b" (missing values, if any, sent to the side that scores better);
categorical features get one ID3 branch per code (missing is a branch), or with
``categorical_split='binary'`` the best "code == b" against the rest (what a tree on one-hot
columns does).

Scores: a split's score is the sum over its children of :func:`child_term`; the total (weighted)
impurity decrease is ``score - child_term(parent)``. Higher is better.
"""

import numpy as np

from .criteria import sum_xlogx

CELL_BUDGET = 1 << 18  # histogram cells per chunk of nodes
PAIR_SLICES = 2048  # nodes of this many samples on average: each pair reads its column's slice


def child_term(counts, n, criterion):
    """Per-child part of the score: (..., C) counts, (...) totals -> (...)."""
    safe = np.where(n > 0, n, 1.0)
    if criterion == "gini":
        return np.where(n > 0, np.einsum("...c,...c->...", counts, counts) / safe, 0.0)
    return sum_xlogx(counts) - np.where(n > 0, n * np.log2(safe), 0.0)


def row_cumsum(a):
    """Inclusive cumulative sum along the last axis, as one flat cumsum (fast) minus row offsets.

    Integer input stays integer (exact, and NumPy's integer cumsum is faster).
    Floats are summed row by row, so a row's sums never depend on the rows before it."""
    if a.dtype.kind == "f":
        return np.cumsum(a, axis=-1)
    flat = np.cumsum(a.reshape(-1)).reshape(a.shape)
    ends = flat[..., -1].reshape(-1)
    offsets = np.zeros(ends.shape, dtype=flat.dtype)
    offsets[1:] = ends[:-1]
    flat -= offsets.reshape(a.shape[:-1])[..., None]
    return flat


def histogram(key, weights, size, integral):
    """np.bincount of key with weights; integer counts (int64) when the weights are integers."""
    if weights is None:
        return np.bincount(key, minlength=size)
    h = np.bincount(key, weights=weights, minlength=size)
    if not integral:
        return h
    out = np.empty(h.shape, dtype=np.int64)
    np.copyto(out, h, casting="unsafe")  # cheaper than astype(int64)
    return out


class SplitResult:
    """Best split per node: score, feature, threshold code, missing_left; found = finite score."""

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


def _numeric(H, T, miss, msl, criterion, hn=None):
    """H (P, C, B) class-by-code counts without the missing code; T (P, C) node totals;
    miss (P, C) missing-value counts or None; hn (P, B) H's sums over the classes, if known
    -> best score, code, missing_left per pair."""
    P, C, B = H.shape
    if hn is None:
        hn = np.einsum("pcb->pb", H)  # several times faster than H.sum(axis=1)
    keep = (hn > 0).sum(axis=1) >= 2  # a feature constant on the node cannot split it...
    if miss is not None:
        keep |= miss.sum(axis=1) > 0  # ...unless "missing or not" can
    if keep.mean() < 0.9:
        best = np.full(P, -np.inf)
        thr = np.zeros(P, dtype=np.int64)
        mleft = np.zeros(P, dtype=bool)
        if keep.any():
            best[keep], thr[keep], mleft[keep] = _numeric(
                H[keep], T[keep], None if miss is None else miss[keep], msl, criterion, hn[keep]
            )
        return best, thr, mleft
    L = row_cumsum(H)
    nL = row_cumsum(hn)
    known = T if miss is None else T - miss
    nk = known.sum(axis=1)[:, None]
    if criterion == "gini":
        SL = np.einsum("pcb,pcb->pb", L, L)
        LK = np.einsum("pc,pcb->pb", known, L)
        SK = np.einsum("pc,pc->p", known, known)[:, None]
    else:
        xL = sum_xlogx(L.transpose(0, 2, 1))
        xR = sum_xlogx((known[:, :, None] - L).transpose(0, 2, 1))
    options = [None] if miss is None else [False, True]
    best = np.full(P, -np.inf)
    thr = np.zeros(P, dtype=np.int64)
    mleft = np.zeros(P, dtype=bool)
    for missing_left in options:
        nm = 0.0 if miss is None else miss.sum(axis=1)[:, None]
        nLc = nL + nm if missing_left else nL
        nRc = nk - nL + (nm if missing_left is False else 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            if criterion == "gini":
                SLc, SRc = SL, SK - 2.0 * LK + SL
                if missing_left is not None:
                    LM = np.einsum("pc,pcb->pb", miss, L)
                    SM = np.einsum("pc,pc->p", miss, miss)[:, None]
                    KM = np.einsum("pc,pc->p", known, miss)[:, None]
                    if missing_left:
                        SLc = SL + 2.0 * LM + SM
                    else:
                        SRc = SRc + 2.0 * (KM - LM) + SM
                s = SLc / nLc + SRc / nRc
            else:
                if missing_left is None:
                    xl, xr = xL, xR
                elif missing_left:
                    xl, xr = sum_xlogx((L + miss[:, :, None]).transpose(0, 2, 1)), xR
                else:
                    xl, xr = (
                        xL,
                        sum_xlogx((known[:, :, None] - L + miss[:, :, None]).transpose(0, 2, 1)),
                    )
                s = xl - nLc * np.log2(nLc) + xr - nRc * np.log2(nRc)
        # msl >= 1 keeps both sides non-empty; a code no sample has repeats the split (and the
        # score) of the code before it, so argmax, taking the first maximum, never reports it.
        # With missing values, "missing or not" is the last code's split with missing right.
        valid = (nLc >= msl) & (nRc >= msl)
        if miss is not None:
            valid &= nL > 0
        s = np.where(valid, s, -np.inf)
        b = np.argmax(s, axis=1)
        sb = s[np.arange(P), b]
        better = sb > best
        best[better], thr[better], mleft[better] = sb[better], b[better], bool(missing_left)
    return best, thr, mleft


def _multiway(H, msl, criterion):
    Hb = H.transpose(0, 2, 1)
    hn = Hb.sum(axis=2)
    nonempty = hn > 0
    valid = (nonempty.sum(axis=1) >= 2) & ~np.any(nonempty & (hn < msl), axis=1)
    s = child_term(Hb, hn, criterion).sum(axis=1)
    return np.where(valid, s, -np.inf)


def _one_vs_rest(H, T, msl, criterion):
    """Best 'code == b' vs 'code != b' split of each pair: (score (P,), code (P,))."""
    Hb = H.transpose(0, 2, 1)
    hn = Hb.sum(axis=2)
    n = T.sum(axis=1)[:, None]
    R = T[:, None, :] - Hb
    valid = (hn >= msl) & (n - hn >= msl) & (hn > 0) & (n - hn > 0)
    s = np.where(valid, child_term(Hb, hn, criterion) + child_term(R, n - hn, criterion), -np.inf)
    b = np.argmax(s, axis=1)
    return s[np.arange(len(b)), b], b


def _histograms(flat, n, idx, nid, y, w, F, C, B, integral):
    """H[j*K + k, class, code] for the pairs (node k, feature F[k, j]) -> (m*K, C, B).

    One feature slot at a time, so that every temporary of the n_c samples stays in cache; nodes
    of PAIR_SLICES samples or more (on average) read each pair's codes from the slice of its
    column instead of building a flat index for every sample (the same counts). Integer counts
    are summed into int64 cells by ``np.add.at`` (fast since NumPy 1.25, whatever the number of
    cells), float weights by ``np.bincount``."""
    K, m = F.shape
    cells = K * C * B
    H = (np.zeros if integral else np.empty)((m, cells), dtype=np.int64 if integral else np.float64)
    base = nid * (C * B) + y * B  # (n_c,) cell of code 0
    Fn = F * n
    if w is not None and not integral:
        w = w.astype(np.float64)  # bincount would convert it for every slot
    slices = len(idx) >= PAIR_SLICES * K
    if slices:  # big nodes: gather each node's codes from its feature's column, no index array
        bounds = np.searchsorted(nid, np.arange(K + 1))
        key = np.empty(len(idx), dtype=np.int64)
    for j in range(m):
        if slices:
            for k in range(K):
                s0, s1, f = bounds[k], bounds[k + 1], F[k, j]
                np.copyto(key[s0:s1], flat[f * n : (f + 1) * n].take(idx[s0:s1]))
            key += base
        else:
            gi = Fn[:, j].take(nid)
            gi += idx
            key = flat.take(gi)  # codes
            key = key + base
        if integral:
            np.add.at(H[j], key, 1 if w is None else w)
        else:
            H[j] = np.bincount(key, weights=w, minlength=cells)
    return H.reshape(m * K, C, B)


def _by_class_count(idx, node_of, yv, wv, F, counts, rows):
    """Reorder nodes (and their samples) by how many classes they hold, so that chunks of nodes
    can drop the classes none of them has. Returns the reordered arrays, local class codes of the
    samples and the local class counts (K, C)."""
    present = counts > 0
    cl = present.sum(axis=1)
    local = np.cumsum(present, axis=1) - 1
    K, C = counts.shape
    order = np.argsort(cl, kind="stable")
    if np.any(order != np.arange(K)):
        rank = np.empty(K, dtype=np.int64)
        rank[order] = np.arange(K)
        node_of = rank[node_of]
        s = np.argsort(node_of.astype(np.uint16) if K < 65536 else node_of, kind="stable")
        idx, node_of, yv, wv = idx[s], node_of[s], yv[s], wv[s]
        F, counts, present, local, cl, rows = (
            a[order] for a in (F, counts, present, local, cl, rows)
        )
    yl = local.reshape(-1)[node_of * C + yv]
    Tl = np.zeros_like(counts)
    r, c = np.nonzero(present)
    Tl[r, local[r, c]] = counts[r, c]
    return idx, node_of, yl, wv, F, Tl, cl, rows


def best_splits_dense(data, idx, node_of, F, yv, wv, counts, msl, criterion, result, rows):
    """Evaluate the pairs (node k, feature F[k, j]) of a group of nodes; update ``result[rows]``.

    idx, node_of, yv, wv: (n_g,) samples of the group, grouped by node_of in 0..K-1; F: (K, m)
    feature ids; counts: (K, C) class counts per node; data: the tree's TreeData.
    """
    idx, node_of, yv, wv, F, counts, cl, rows = _by_class_count(
        idx, node_of, yv, wv, F, counts, rows
    )
    K, m = F.shape
    n = data.codes.shape[1]
    flat = data.codes.reshape(-1)
    span = data.code_span[F].max(axis=1)
    integral = counts.dtype.kind == "i"
    unit = integral and bool(np.all(wv == 1))
    c0 = 0
    while c0 < K:
        c1 = min(K, c0 + max(1, CELL_BUDGET // (m * int(span[c0]) * int(cl[c0]))))
        C, B = int(cl[c1 - 1]), int(span[c0:c1].max())
        s0, s1 = np.searchsorted(node_of, [c0, c1])
        Kc = c1 - c0
        nid = node_of[s0:s1] - c0
        Fc = F[c0:c1]
        H = _histograms(
            flat, n, idx[s0:s1], nid, yv[s0:s1], None if unit else wv[s0:s1], Fc, C, B, integral
        )
        feats = Fc.T.ravel()  # pair p = j*Kc + k
        T = np.tile(counts[c0:c1, :C], (m, 1))
        score = np.full(m * Kc, -np.inf)
        thr = np.zeros(m * Kc, dtype=np.int64)
        mleft = np.zeros(m * Kc, dtype=bool)
        cat = data.is_categorical[feats]
        if cat.any() and data.categorical_split == "binary":
            score[cat], thr[cat] = _one_vs_rest(H[cat], T[cat], msl, criterion)
        elif cat.any():
            score[cat] = _multiway(H[cat], msl, criterion)
        num = ~cat
        if num.any():
            Hn = H[num] if cat.any() else H
            fn = feats[num]
            miss = None
            withm = data.has_missing[fn]
            if withm.any():
                miss = np.zeros((len(fn), C), dtype=H.dtype)
                r = np.flatnonzero(withm)
                code = data.n_codes[fn[r]]
                miss[r] = Hn[r, :, code]
                Hn[r, :, code] = 0
            score[num], thr[num], mleft[num] = _numeric(Hn, T[num], miss, msl, criterion)
        score = score.reshape(m, Kc)
        j = np.argmax(score, axis=0)
        k = np.arange(Kc)
        p = j * Kc + k
        result.take_better(rows[c0:c1], score[j, k], feats[p], thr[p], mleft[p])
        c0 = c1

"""Best numeric splits of small nodes by sorting, without a class-by-bin histogram.

A node with n samples has at most n distinct codes per feature, so a dense histogram over ~256
codes and C classes wastes work when n is small. Here each (node, feature) pair becomes one row
of length S (n rounded up to a quarter octave, padded), all rows are sorted at once
(``np.sort(axis=-1)`` on packed ``code * S + slot`` keys), and the impurity of every threshold
follows from running sums along the sorted rows. Moving a sample of class c and weight w to the
left side changes sum_c L_c^2 by w * (2 r + w), where r is the weight of class c already on the
left; r comes from a second row sort by (class, position). So no array has a class axis.
Used only for nodes whose candidate features are all numeric without missing values.
"""

import numpy as np

from .split_dense import row_cumsum

MAX_ROW = 2048  # nodes up to this many samples may be sorted
SLOT_BUDGET = 1 << 17  # (node, feature, position) slots per call: keeps the work in cache
# rough costs per node (microseconds, for MNIST-like data on one core), to choose the method:
# sorted ~ SORTED_SLOT * row length,
# dense ~ DENSE_ENTRY * n + DENSE_CELL * codes * classes present (nodes share its calls)
SORTED_SLOT, DENSE_ENTRY, DENSE_CELL = 1.35, 0.3, 0.25
STEPS = 4  # row lengths per octave: 2 -> 16, 24, 32, 48, 64, ... (less padding, more calls)


def _row_length(sizes):
    """Padded row length for each node size: the next of 2^k * (1 + i / STEPS), at least 2."""
    p = 1 << np.floor(np.log2(np.maximum(sizes, 1))).astype(np.int64)
    step = np.maximum(p // STEPS, 1)
    return np.maximum(2, -(-sizes // step) * step)


def eligible(data, sizes, counts):
    """(K,) bool: nodes whose split search is cheaper sorted than with dense histograms."""
    B = int(data.code_span.max())
    classes = (counts > 0).sum(axis=1)
    sorted_cost = _row_length(sizes) * SORTED_SLOT
    dense_cost = sizes * DENSE_ENTRY + B * classes * DENSE_CELL
    return (sizes <= MAX_ROW) & (sorted_cost < dense_cost)


def _xlogx(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0, x * np.log2(x), 0.0)


def _snap(score, total):
    """Scores (R, S) rounded to 2**-36 of their node's scale (total weight (R,) times its log):
    these scores are running sums of per-sample terms, so splits that tie in exact arithmetic
    (two features splitting a node alike) differ by rounding noise that depends on the order of
    the samples, e.g. k repeated rows against one row of weight k. Snapped, they tie, and the
    lowest feature slot wins as in the dense search. Only the choice uses them."""
    scale = total * np.log2(total + 2.0) + 2.0
    q = np.exp2(np.ceil(np.log2(scale)) - 36)[:, None]
    return np.round(score / q) * q


def _bucket(data, idx, yv, wv, starts, sizes, F, counts, S, msl, criterion):
    """Best split of each node of one bucket (all sizes <= S) -> score, feature, threshold."""
    K, m = F.shape
    C = counts.shape[1]
    sh = int(S - 1).bit_length()
    mask = (1 << sh) - 1
    cols = np.arange(S)
    real = cols[None, :] < sizes[:, None]  # (K, S)
    slot_of = np.where(real, starts[:, None] + cols[None, :], 0)
    sy = yv[slot_of]
    sw = np.where(real, wv[slot_of], 0).astype(counts.dtype)
    ydt = np.int16 if ((C + 1) << sh) <= (1 << 15) else np.int32
    sky = sy.astype(ydt) << sh  # class, shifted for keys
    kC = (np.arange(K) * C)[:, None]
    sTy = counts.reshape(-1)[sy + kC]  # weight of own class
    top = (256 if data.codes.dtype == np.uint8 else 65536) << sh
    dt = (
        np.int16
        if top <= (1 << 15)
        else np.uint16
        if top <= (1 << 16)
        else np.int32
        if top < (1 << 31)
        else np.int64
    )
    rows = data.rows  # sample-major: fewer cache lines per node than feature-major here
    sample = np.where(real, idx[slot_of], rows.shape[0] - 1)  # pads read the last row
    gi = F[:, :, None] + sample[:, None, :] * rows.shape[1]
    keys = rows.reshape(-1).take(gi).astype(dt)  # (K, m, S) codes
    keys <<= sh
    keys |= cols.astype(dt)
    keys.sort(axis=2)  # pads stay last
    # drop the (node, feature) rows whose feature is constant on the node: nothing to split
    flat_rows = keys.reshape(K * m, S)
    last = flat_rows[np.arange(K * m), np.repeat(sizes - 1, m)].reshape(K, m) >> sh
    rk, rj = np.nonzero((keys[:, :, 0] >> sh) != last)
    R = len(rk)
    if R == 0:
        return np.full(K, -np.inf), F[:, 0], np.zeros(K, dtype=np.int64)
    keys = keys[rk, rj]  # (R, S)
    slot = (keys & mask).astype(np.int64)
    slot += (rk * S)[:, None]  # flat (node, slot)
    v = keys >> sh  # (R, S) sorted codes
    w = sw.reshape(-1)[slot]
    # r: weight of the same class earlier in the row, from a row sort by (class, position)
    k2 = sky.reshape(-1)[slot]
    k2 |= cols.astype(ydt)
    k2.sort(axis=1)
    pos2 = (k2 & mask).astype(np.int64)
    pos2 += (np.arange(R) * S)[:, None]  # flat (row, position)
    w2 = w.reshape(-1)[pos2]
    before = row_cumsum(w2)
    before -= w2
    kc = (rk * C)[:, None]
    below = (np.cumsum(counts, axis=1) - counts).reshape(-1)  # weight of lower classes
    k2 >>= sh
    before -= below[k2 + kc]
    r = np.empty_like(before)
    r.reshape(-1)[pos2] = before
    Ty = sTy.reshape(-1)[slot]
    nL = row_cumsum(w)
    N = counts.sum(axis=1)[rk][:, None]
    nR = N - nL
    with np.errstate(divide="ignore", invalid="ignore"):
        if criterion == "gini":
            r *= 2
            r += w
            r *= w
            SL = row_cumsum(r)
            Ty *= w
            LT = row_cumsum(Ty)
            ST = (counts * counts).sum(axis=1)[rk][:, None]
            LT *= -2
            LT += ST
            LT += SL  # sum of squares, right
            score = SL / nL
            score += LT / nR
        else:
            xl = row_cumsum(_xlogx(r + w) - _xlogx(r))
            rest = Ty - r
            xr = _xlogx(counts).sum(axis=1)[rk][:, None] + row_cumsum(
                _xlogx(rest - w) - _xlogx(rest)
            )
            score = xl - nL * np.log2(nL) + xr - nR * np.log2(nR)
    valid = np.empty(v.shape, dtype=bool)
    np.not_equal(v[:, :-1], v[:, 1:], out=valid[:, :-1])
    valid[:, -1] = False
    valid &= cols[None, :] + 1 < sizes[rk][:, None]
    if msl > 1 or wv.dtype.kind == "f":  # integer weights put >= 1 on each side anyway
        valid &= (nL >= msl) & (nR >= msl)
    score[~valid] = -np.inf
    snapped = _snap(score, counts.sum(axis=1)[rk])  # chooses; the score itself is reported
    i = np.argmax(snapped, axis=1)
    row_best = snapped[np.arange(R), i]
    starts = np.flatnonzero(np.concatenate([[True], rk[1:] != rk[:-1]]))  # rows grouped by node
    best = np.full(K, -np.inf)
    best[rk[starts]] = np.maximum.reduceat(row_best, starts)
    win = np.flatnonzero((row_best == best[rk]) & np.isfinite(row_best))
    rw = rk[win]
    first = np.flatnonzero(np.concatenate([[True], rw[1:] != rw[:-1]]))  # lowest feature slot wins
    win = win[first[: len(win)]]
    nodes = rk[win]
    feat = F[:, 0].copy()
    thr = np.zeros(K, dtype=np.int64)
    feat[nodes] = F[rk[win], rj[win]]
    thr[nodes] = v[win, i[win]]
    best[nodes] = score[win, i[win]]
    return best, feat, thr


def best_splits_sorted(data, idx, node_of, F, yv, wv, counts, sizes, msl, criterion, result, rows):
    """Like :func:`.split_dense.best_splits_dense`, for small nodes of numeric features."""
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    S_of = _row_length(sizes)
    for S in np.unique(S_of):
        bucket = np.flatnonzero(S_of == S)
        step = max(1, SLOT_BUDGET // (int(S) * F.shape[1]))
        for c in range(0, len(bucket), step):
            b = bucket[c : c + step]
            score, feat, thr = _bucket(
                data, idx, yv, wv, starts[b], sizes[b], F[b], counts[b], int(S), msl, criterion
            )
            result.take_better(rows[b], score, feat, thr, np.zeros(len(b), dtype=bool))

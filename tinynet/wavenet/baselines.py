"""What a WaveNet's bits per sample should be compared with: simple models of the same mu-law
codes, fitted on the training clips and scored on the test clips, each clip preceded by silence
as WaveNet sees it.

- uniform: 8 bits for 256 levels;
- unigram: the codes' frequencies (add-one smoothing);
- n-gram: P(c_t | the previous n - 1 codes), Witten-Bell interpolated down to the unigram;
- AR(p): a least-squares linear predictor of the companded value (code mapped to [-1, 1]) from
  the p before it, with Laplace residuals integrated over each code's bin.
"""

import math

import numpy as np

from .data import LEVELS, SILENCE


def _with_context(codes, order):
    """Per clip, (contexts (L, order - 1), targets (L,)) with silence before the clip."""
    pad = np.full(order - 1, SILENCE, dtype=np.int64)
    for c in codes:
        full = np.concatenate([pad, c])
        ctx = np.stack([full[k : k + len(c)] for k in range(order - 1)], axis=1)
        yield ctx, c


def _index(ctx):
    """Contexts (L, m) -> one integer each (base-256 digits)."""
    idx = np.zeros(len(ctx), dtype=np.int64)
    for k in range(ctx.shape[1]):
        idx = idx * LEVELS + ctx[:, k]
    return idx


def unigram_bits(train, test):
    counts = np.bincount(np.concatenate(train), minlength=LEVELS) + 1.0
    p = counts / counts.sum()
    t = np.concatenate(test)
    return float(-np.log2(p[t]).mean())


def ngram_bits(train, test, order):
    """Witten-Bell interpolated n-gram of ``order`` (2: bigram, 3: second-order)."""
    levels = [None]  # levels[m]: (counts per (context, code), context totals, distinct) for m
    uni = np.bincount(np.concatenate(train), minlength=LEVELS) + 1.0
    for m in range(1, order):
        cells = LEVELS ** (m + 1)
        cells_seen = [_index(ctx) * LEVELS + c for ctx, c in _with_context(train, m + 1)]
        joint = np.bincount(np.concatenate(cells_seen), minlength=cells)
        table = joint.reshape(-1, LEVELS)
        levels.append((table, table.sum(axis=1), (table > 0).sum(axis=1)))
    total_bits, n = 0.0, 0
    for ctx, c in _with_context(test, order):
        p = uni[c] / uni.sum()
        for m in range(1, order):
            table, totals, distinct = levels[m]
            h = _index(ctx[:, order - 1 - m :])
            tot, dis = totals[h].astype(np.float64), distinct[h].astype(np.float64)
            seen = tot > 0
            lam = np.where(seen, tot / np.maximum(tot + dis, 1), 0.0)
            ml = np.where(seen, table[h, c] / np.maximum(tot, 1), 0.0)
            p = lam * ml + (1 - lam) * p
        total_bits += float(-np.log2(p).sum())
        n += len(c)
    return total_bits / n


def _companded(codes):
    return codes.astype(np.float64) * (2.0 / (LEVELS - 1)) - 1.0


def ar_bits(train, test, p=32):
    """AR(p) on the companded values, fitted by least squares (normal equations over every
    training sample), scored with Laplace residuals over each code's bin."""
    xtx, xty = np.zeros((p + 1, p + 1)), np.zeros(p + 1)
    silence = _companded(np.array([SILENCE]))[0]

    def design(c):
        y = _companded(c)
        full = np.concatenate([np.full(p, silence), y])
        X = np.stack([full[p - k : p - k + len(y)] for k in range(1, p + 1)], axis=1)
        return np.concatenate([X, np.ones((len(y), 1))], axis=1), y

    for c in train:
        X, y = design(c)
        xtx += X.T @ X
        xty += X.T @ y
    coef = np.linalg.solve(xtx + 1e-6 * np.eye(p + 1), xty)
    scale = np.mean(np.concatenate([np.abs(y - X @ coef) for X, y in map(design, train)]))
    half = 1.0 / (LEVELS - 1)  # half a bin in the companded domain

    def cdf(v):
        return np.where(v < 0, 0.5 * np.exp(v / scale), 1 - 0.5 * np.exp(-v / scale))

    total_bits, n = 0.0, 0
    for c in test:
        X, y = design(c)
        r = y - X @ coef
        prob = np.maximum(cdf(r + half) - cdf(r - half), 1e-12)
        total_bits += float(-np.log2(prob).sum())
        n += len(c)
    return total_bits / n


def all_baselines(train, test):
    """{name: test bits per sample} for train and test code lists."""
    return {
        "uniform": math.log2(LEVELS),
        "unigram": unigram_bits(train, test),
        "ar32": ar_bits(train, test, 32),
        "bigram": ngram_bits(train, test, 2),
        "second_order": ngram_bits(train, test, 3),
    }

"""Mu-law companding and quantisation (ITU-T G.711's curve, as WaveNet codes its samples).

    codes = mu_law_encode(x)            # float in [-1, 1] (any shape) -> int64 codes 0..levels-1
    y = mu_law_decode(codes)            # codes -> float32 in [-1, 1], same shape

With mu = levels - 1: y = sign(x) ln(1 + mu |x|) / ln(1 + mu), then y in [-1, 1] is rounded to
the nearest of ``levels`` evenly spaced values (code = floor((y + 1) / 2 * mu + 0.5)), which is
what WaveNet, torchaudio and r9y9/wavenet_vocoder do. Decoding maps a code to the centre value of
its step and inverts the curve, so the round-trip error grows with |x| (fine steps near silence).
Inputs outside [-1, 1] are clipped first.
"""

from ..backend import get_array_module


def _mu(levels, who):
    if int(levels) != levels or levels < 2:
        raise ValueError(f"{who}: levels must be an integer >= 2, got {levels!r}")
    return int(levels) - 1


def mu_law_encode(x, levels=256):
    """Float samples ``x`` (any shape, in [-1, 1]; outside is clipped) -> int64 codes in
    0..levels-1 of the same shape. Monotone: a larger sample never gets a smaller code."""
    mu = _mu(levels, "mu_law_encode")
    xp = get_array_module(x)
    x = xp.asarray(x)
    if x.dtype.kind not in "fiu":
        raise TypeError(f"mu_law_encode: x must be a real array, got dtype {x.dtype}")
    x = xp.clip(x.astype(xp.float64), -1.0, 1.0)
    y = xp.sign(x) * xp.log1p(mu * xp.abs(x)) / xp.log1p(mu)
    return xp.floor((y + 1.0) / 2.0 * mu + 0.5).astype(xp.int64)


def mu_law_decode(codes, levels=256, dtype="float32"):
    """Integer codes in 0..levels-1 (any shape) -> samples in [-1, 1] of ``dtype``, same shape.
    Raises ValueError naming the first code outside the range."""
    mu = _mu(levels, "mu_law_decode")
    xp = get_array_module(codes)
    codes = xp.asarray(codes)
    if codes.dtype.kind not in "iu":
        raise TypeError(f"mu_law_decode: codes must be integers, got dtype {codes.dtype}")
    if codes.size:
        lo, hi = int(codes.min()), int(codes.max())
        if lo < 0 or hi > mu:
            bad = lo if lo < 0 else hi
            raise ValueError(f"mu_law_decode: codes must be in 0..{mu}, got {bad}")
    y = codes.astype(xp.float64) / mu * 2.0 - 1.0
    x = xp.sign(y) * xp.expm1(xp.abs(y) * xp.log1p(mu)) / mu
    return x.astype(dtype)

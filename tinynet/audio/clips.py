"""One clip's level and length: PCM to float, per-clip peak normalisation, centred pad / crop.

Clips are 1-D arrays (L,) of samples; integer PCM (int16) maps to float by dividing by 32768, so
full scale is [-1, 1). FSDD's speakers record at very different levels, so each clip is scaled to
a common peak before mu-law coding or spectrograms.
"""

from ..backend import get_array_module

PCM16_SCALE = 32768.0


def to_float(samples, dtype="float32"):
    """Samples (any shape) as floats: int16 (or other integer) PCM divided by 32768, floats kept
    (cast to ``dtype``)."""
    xp = get_array_module(samples)
    samples = xp.asarray(samples)
    if samples.dtype.kind in "iu":
        return (samples.astype(xp.float64) / PCM16_SCALE).astype(dtype)
    if samples.dtype.kind != "f":
        raise TypeError(f"to_float: samples must be integer PCM or floats, got {samples.dtype}")
    return samples.astype(dtype, copy=False)


def normalize_peak(x, peak=0.95):
    """Scale clip ``x`` (L,) so that max |x| == ``peak``; integer PCM is converted by
    :func:`to_float` first (float64 input stays float64, else float32). An all-zero clip (silence)
    comes back as zeros instead of dividing by 0."""
    if not 0 < peak <= 1:
        raise ValueError(f"normalize_peak: peak must be in (0, 1], got {peak!r}")
    xp = get_array_module(x)
    x = xp.asarray(x)
    x = to_float(x, "float64" if x.dtype == xp.float64 else "float32")
    top = float(xp.abs(x).max()) if x.size else 0.0
    if top == 0.0:
        return xp.zeros_like(x)
    return x * x.dtype.type(peak / top)


def fix_length(x, length, offset=None):
    """Clip ``x`` (L,) placed into ``length`` samples: zero-padded or cropped, centred by default.

    offset: where the clip starts in the output (negative crops its start); None centres it, i.e.
    offset = (length - L) // 2. Samples that fall outside [0, length) are dropped."""
    xp = get_array_module(x)
    x = xp.asarray(x)
    if x.ndim != 1:
        raise ValueError(f"fix_length: x must be one clip (L,), got shape {x.shape}")
    if int(length) != length or length < 1:
        raise ValueError(f"fix_length: length must be a positive integer, got {length!r}")
    n = len(x)
    offset = (length - n) // 2 if offset is None else int(offset)
    out = xp.zeros(int(length), dtype=x.dtype)
    src0, dst0 = max(0, -offset), max(0, offset)
    count = min(n - src0, length - dst0)
    if count > 0:
        out[dst0 : dst0 + count] = x[src0 : src0 + count]
    return out

"""Argument helpers shared by the ops: int-or-pair arguments, axes, window geometry.

Each raises a ValueError that starts with the op's name ("conv2d: stride must be >= 1, got 0").
"""

import operator


def pair(v, name="value", minimum=None, op=None):
    """An int or a pair of ints -> a pair of ints, each at least ``minimum`` (by default 1 for
    strides, kernels and scales, 0 for paddings). ``op``, the caller (e.g. "conv2d"), prefixes
    the error message: "conv2d: stride must be >= 1, got 0"."""
    who = f"{op}: " if op else ""
    if minimum is None:
        minimum = 0 if "padding" in name else 1
    values = tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    if len(values) != 2:
        raise ValueError(f"{who}{name} must be an int or a pair of ints, got {v!r}")
    try:
        result = tuple(int(e) for e in values)
    except (TypeError, ValueError):
        raise ValueError(f"{who}{name} must be an int or a pair of ints, got {v!r}") from None
    if result != values:  # 2.5 or "2" would otherwise be taken as 2
        raise ValueError(f"{who}{name} must be an int or a pair of ints, got {v!r}")
    if min(result) < minimum:
        raise ValueError(f"{who}{name} must be >= {minimum}, got {v!r}")
    return result


def normalize_axis(axis, shape, op="reduction"):
    """``axis`` (None, an int or a tuple of ints) of an array of ``shape`` as a tuple of axes in
    [0, ndim); a ValueError naming ``op``, the axis and the shape otherwise."""
    ndim = len(shape)
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    result = []
    for a in axes:
        try:
            a = operator.index(a)
        except TypeError:
            raise ValueError(
                f"{op}: axis must be an int or a tuple of ints, got {axis!r}"
            ) from None
        if not -ndim <= a < ndim:
            raise ValueError(
                f"{op}: axis {axis!r} is out of range for x of shape {tuple(shape)} "
                f"({ndim} dimensions)"
            )
        result.append(a % ndim)
    return tuple(result)


def out_size(n, k, s, p):
    """Output length of a window of k with stride s over n cells padded by p on both sides."""
    return (n + 2 * p - k) // s + 1


def window_offsets(kh, kw, sh, sw, oh, ow, first_row=0, dh=1, dw=1):
    """The kh*kw (i, j, row-slice, col-slice) offsets of a sliding window whose cells are dh
    rows and dw columns apart, in row-major order; the slices pick, in the padded input, cell
    (i, j) of the windows of output rows [first_row, first_row + oh) and columns [0, ow)."""
    for i in range(kh):
        top = first_row * sh + dh * i
        for j in range(kw):
            left = dw * j
            yield (
                i,
                j,
                slice(top, top + sh * (oh - 1) + 1, sh),
                slice(left, left + sw * (ow - 1) + 1, sw),
            )


def positive_int(v, name, op, minimum=1):
    """An int of at least ``minimum``; a ValueError naming ``op``, ``name`` and ``v`` otherwise
    (booleans and floats such as 2.0 are refused, not rounded)."""
    if isinstance(v, bool) or not isinstance(v, int) and not hasattr(v, "__index__"):
        raise ValueError(f"{op}: {name} must be an int, got {v!r}")
    v = operator.index(v)
    if v < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {v!r}")
    return v

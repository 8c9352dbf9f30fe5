"""Training logs: device scalars turned into Python floats, and their running means."""

import numpy as np

from ..backend import asnumpy, get_array_module


def to_floats(values):
    """Device scalars (NumPy or CuPy 0-d arrays, a non-empty list) -> Python floats, with one
    device-to-host transfer for CuPy."""
    xp = get_array_module(*values)
    if xp is np:
        return [float(v) for v in values]
    return [float(v) for v in asnumpy(xp.stack([xp.asarray(v, dtype=xp.float64) for v in values]))]

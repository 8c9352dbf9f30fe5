"""The error function on raw arrays, for GELU: NumPy has none (SciPy is not a dependency).

|x| < 2: erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (1 * 3 * ... * (2n+1)), a series of
positive terms (no cancellation); |x| >= 2: erf(x) = 1 - erfc(x), erfc by its continued fraction
exp(-x^2)/sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))), evaluated bottom-up at a
fixed depth. Both are elementwise on the array module of x and computed in float64 (narrower
inputs are widened, and the result rounded back to their dtype): within 2e-15 of the exact value
everywhere (tinynet_tests/functional/test_gelu.py checks it against math.erf). On CuPy,
cupyx.scipy.special.erf is used.
"""

import math

from ..backend import get_array_module

CUT = 2.0
SERIES_TERMS, FRACTION_DEPTH = 30, 50  # full float64 precision on either side of CUT


def erf(x):
    """erf of a floating-point array, in x's dtype."""
    xp = get_array_module(x)
    if xp.__name__ == "cupy":
        import cupyx.scipy.special

        return cupyx.scipy.special.erf(x)
    dtype = x.dtype
    x = x.astype(xp.float64, copy=False)
    a = xp.abs(x)
    small = a < CUT
    s = xp.where(small, a, 0.0)
    x2 = s * s
    term, total = s, s
    for n in range(1, SERIES_TERMS):
        term = term * (x2 * (2 / (2 * n + 1)))
        total = total + term
    series = total * xp.exp(-x2) * (2 / math.sqrt(math.pi))
    b = xp.where(small, CUT, a)
    f = xp.zeros_like(b)
    for k in range(FRACTION_DEPTH, 0, -1):
        f = (k / 2) / (b + f)
    erfc = xp.exp(-b * b) * (1 / math.sqrt(math.pi)) / (b + f)
    return xp.copysign(xp.where(small, series, 1.0 - erfc), x).astype(dtype, copy=False)

"""Test inputs for gradient checks: smooth, kink-free and tie-free float64 arrays."""

import numpy as np


def normal(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def away_from_zero(shape, seed=0):
    """Values with |x| >= 0.1, so kinks (relu at 0) stay out of the finite-difference step."""
    rng = np.random.default_rng(seed)
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 2.0, size=shape)


def distinct(shape, seed=0):
    """A permutation of well-separated values: no ties for max, robust to the eps step."""
    n = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(n).reshape(shape) * 0.01 - n * 0.005

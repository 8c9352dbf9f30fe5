"""Mu-law coding: code range, monotone encoding, the round-trip error bound, clear errors."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinynet.audio import mu_law_decode, mu_law_encode

samples = hnp.arrays(np.float64, st.integers(1, 200), elements=st.floats(-1, 1, allow_nan=False))


@given(samples, st.sampled_from([2, 16, 256]))
def test_codes_are_in_range_and_encoding_is_monotone(x, levels):
    codes = mu_law_encode(x, levels)
    assert codes.dtype == np.int64 and codes.shape == x.shape
    assert codes.min() >= 0 and codes.max() <= levels - 1
    order = np.argsort(x, kind="stable")
    assert (np.diff(codes[order]) >= 0).all()


@given(samples)
def test_round_trip_error_is_within_half_a_step_of_the_curve(x):
    mu = 255
    err = np.abs(mu_law_decode(mu_law_encode(x), dtype="float64") - x)
    # |dx/dy| = ln(1 + mu) / mu * (1 + mu)^|y|; a code is within half a step (1 / mu) in y
    bound = np.log1p(mu) / mu * (1 + mu * np.abs(x)) * (1 + mu) ** (1 / mu) / mu
    assert (err <= bound + 1e-12).all()
    assert err.max() <= 0.022  # the coarsest step, at full scale


def test_every_code_decodes_to_a_level_that_encodes_back_to_it():
    codes = np.arange(256)
    levels = mu_law_decode(codes)
    assert levels.dtype == np.float32 and levels[0] == -1 and levels[-1] == 1
    assert (np.diff(levels) > 0).all()
    np.testing.assert_array_equal(mu_law_encode(levels), codes)
    assert mu_law_encode(np.array([0.0]))[0] == 128  # silence sits mid-range
    np.testing.assert_array_equal(mu_law_encode(np.array([-3.0, 3.0])), [0, 255])  # clipped


def test_fine_steps_near_silence():
    x = np.array([0.001, 0.5])
    err = np.abs(mu_law_decode(mu_law_encode(x), dtype="float64") - x)
    assert err[0] < 1e-3 < err[1]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: mu_law_decode(np.array([0, 256])), "0..255, got 256"),
        (lambda: mu_law_decode(np.array([-1])), "got -1"),
        (lambda: mu_law_decode(np.array([0.5])), "integers"),
        (lambda: mu_law_encode(np.zeros(3), levels=1), "levels"),
    ],
)
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()

"""Per-clip levels and lengths: PCM to float, peak normalisation (silence-safe), centred pad/crop."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinynet.audio import fix_length, normalize_peak, to_float


def test_to_float_scales_pcm_and_keeps_floats():
    np.testing.assert_array_equal(
        to_float(np.array([-32768, 0, 16384], np.int16)), [-1.0, 0.0, 0.5]
    )
    assert to_float(np.zeros(2, np.int16)).dtype == np.float32
    assert to_float(np.zeros(2), "float64").dtype == np.float64


@given(hnp.arrays(np.int16, st.integers(1, 300)), st.floats(0.1, 1.0))
def test_peak_is_reached_and_silence_stays_silent(x, peak):
    y = normalize_peak(x, peak)
    assert y.dtype == np.float32 and y.shape == x.shape
    if (x == 0).all():
        assert (y == 0).all()
    else:
        assert np.abs(y).max() == pytest.approx(peak, rel=1e-6)
        assert (np.sign(y) == np.sign(x)).all()


def test_peak_normalisation_keeps_float64_and_refuses_bad_peaks():
    assert normalize_peak(np.array([0.0, -0.2])).dtype == np.float64
    np.testing.assert_allclose(normalize_peak(np.array([0.0, -0.2])), [0.0, -0.95])
    with pytest.raises(ValueError, match="normalize_peak: peak"):
        normalize_peak(np.ones(3), peak=1.5)


@given(st.integers(1, 40), st.integers(1, 40), st.one_of(st.none(), st.integers(-50, 50)))
def test_fix_length_places_the_clip_at_its_offset(n, length, offset):
    x = np.arange(1, n + 1, dtype=np.float32)
    y = fix_length(x, length, offset)
    start = (length - n) // 2 if offset is None else offset
    expected = np.zeros(length, np.float32)
    for i, v in enumerate(x):
        if 0 <= start + i < length:
            expected[start + i] = v
    np.testing.assert_array_equal(y, expected)


def test_fix_length_centres():
    np.testing.assert_array_equal(fix_length(np.array([1, 2]), 6), [0, 0, 1, 2, 0, 0])
    np.testing.assert_array_equal(fix_length(np.arange(6), 2), [2, 3])
    with pytest.raises(ValueError, match="fix_length: x must be one clip"):
        fix_length(np.zeros((2, 2)), 4)

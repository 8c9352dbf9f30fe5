"""STFT against a plain-loop DFT, mel filterbank properties, the log-mel of a sine."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinynet.audio import (
    hann_window,
    hz_to_mel,
    log_mel_spectrogram,
    mel_filterbank,
    mel_to_hz,
    stft,
)


def dft_reference(x, n_fft, hop, window, center):
    """The textbook sum, one frame and one frequency at a time."""
    if center:
        x = np.concatenate([np.zeros(n_fft // 2), x, np.zeros(n_fft // 2)])
    frames = 1 + (len(x) - n_fft) // hop
    out = np.zeros((n_fft // 2 + 1, frames), complex)
    for t in range(frames):
        for k in range(n_fft // 2 + 1):
            for n in range(n_fft):
                out[k, t] += x[t * hop + n] * window[n] * np.exp(-2j * math.pi * k * n / n_fft)
    return out


@given(st.integers(2, 12), st.integers(1, 5), st.integers(0, 30), st.booleans(), st.integers(0, 99))
def test_stft_matches_the_plain_loop_dft(n_fft, hop, extra, center, seed):
    x = np.random.default_rng(seed).normal(size=n_fft + extra)
    got = stft(x, n_fft, hop, center=center)
    ref = dft_reference(x, n_fft, hop, hann_window(n_fft), center)
    assert got.dtype == np.complex128 and got.shape == ref.shape
    np.testing.assert_allclose(got, ref, atol=1e-10)
    if center and n_fft % 2 == 0:
        assert got.shape[1] == 1 + len(x) // hop


def test_stft_batches_keep_float32_and_take_rect_windows():
    x = np.random.default_rng(0).normal(size=(3, 50)).astype(np.float32)
    s = stft(x, 16, 4, window="rect", center=False)
    assert s.shape == (3, 9, 9) and s.dtype == np.complex64
    ref = dft_reference(x[1].astype(np.float64), 16, 4, np.ones(16), False)
    np.testing.assert_allclose(s[1], ref, atol=1e-4)
    with pytest.raises(ValueError, match="stft: x has 5 samples, fewer than n_fft=16"):
        stft(np.zeros(5), 16, 4, center=False)
    with pytest.raises(TypeError, match="stft: x must be float"):
        stft(np.zeros(20, np.int16), 16, 4)


def test_hann_window_is_periodic():
    w = hann_window(8)
    np.testing.assert_allclose(w, 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(8) / 8))
    sig = pytest.importorskip("scipy.signal")
    np.testing.assert_allclose(w, sig.get_window("hann", 8))


@pytest.mark.parametrize("htk", [False, True])
def test_mel_scale_round_trip_and_slaney_knee(htk):
    f = np.array([0.0, 300.0, 1000.0, 2500.0, 4000.0])
    np.testing.assert_allclose(mel_to_hz(hz_to_mel(f, htk), htk), f, atol=1e-9)
    if not htk:
        assert hz_to_mel(1000.0) == pytest.approx(15.0)  # linear up to 1 kHz, 200/3 Hz per mel
        assert hz_to_mel(6400.0) == pytest.approx(42.0)  # then 27 mels per factor 6.4


@pytest.mark.parametrize("n_mels, htk", [(20, False), (40, False), (64, False), (40, True)])
def test_mel_filterbank_properties(n_mels, htk):
    sr, n_fft = 8000, 256
    fb = mel_filterbank(sr, n_fft, n_mels, htk=htk)
    assert fb.shape == (n_mels, n_fft // 2 + 1) and fb.dtype == np.float64
    assert (fb >= 0).all() and (fb.max(axis=1) > 0).all()
    peaks = fb.argmax(axis=1)
    assert (np.diff(peaks) >= 0).all() and peaks[-1] > peaks[0]
    # each triangle has unit area in Hz (to the bin spacing's accuracy), so wide ones are low
    areas = fb.sum(axis=1) * (sr / n_fft)
    np.testing.assert_allclose(areas[3:-1], 1.0, rtol=0.15)
    assert fb.max(axis=1)[-1] < fb.max(axis=1)[n_mels // 4]


def test_mel_filterbank_errors():
    with pytest.raises(ValueError, match="mel_filterbank: .* cover no FFT bin"):
        mel_filterbank(8000, 32, 64)
    with pytest.raises(ValueError, match="fmax <= sr / 2"):
        mel_filterbank(8000, 256, 40, fmax=5000)


@pytest.mark.parametrize("freq", [300.0, 1000.0, 2500.0])
def test_log_mel_of_a_sine_peaks_at_its_band(freq):
    sr, n_mels = 8000, 40
    t = np.arange(4000) / sr
    x = (0.8 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    m = log_mel_spectrogram(x, sr=sr, n_mels=n_mels)
    assert m.shape == (n_mels, 1 + 4000 // 64) and m.dtype == np.float32
    band = m[:, 10:-10].mean(axis=1).argmax()
    centres = mel_to_hz(np.linspace(0, hz_to_mel(sr / 2), n_mels + 2))[1:-1]
    assert abs(band - np.abs(centres - freq).argmin()) <= 1
    assert m[band, 30] > m[:, 30].mean() + 5  # far above the other bands


def test_log_mel_of_silence_is_the_floor_and_batches_work():
    m = log_mel_spectrogram(np.zeros((2, 640), np.float32), floor=1e-5)
    assert m.shape == (2, 40, 11)
    np.testing.assert_allclose(m, np.log(np.float32(1e-5)))

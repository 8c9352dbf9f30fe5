"""Short-time Fourier transform and log-mel spectrograms.

    S = stft(x, n_fft=256, hop=64)                         # x (..., L) -> complex (..., 129, 1 + L // 64)
    fb = mel_filterbank(8000, 256, 40)                     # (40, 129) float64
    M = log_mel_spectrogram(x, sr=8000)                    # float (..., 40, 1 + L // 64)

Choices: frames are centred (the signal is zero-padded by n_fft // 2 on both sides, so frame t is
centred on sample t * hop, as librosa with ``center=True, pad_mode='constant'``); the Hann window
is periodic (scipy's ``get_window('hann', n)``); the mel scale and the filters' normalisation are
Slaney's (the Auditory Toolbox's, librosa's default ``htk=False, norm='slaney'``): linear below
1 kHz, logarithmic above, each triangle scaled to unit area (2 / its width in Hz); ``htk=True``
uses the HTK scale 2595 log10(1 + f / 700) with the same area normalisation.
The log is natural, of the mel power plus a floor (default 1e-5) so silence stays finite.
"""

import functools
import math

import numpy

from ..backend import get_array_module

_F_SP = 200.0 / 3  # Slaney: Hz per mel below 1 kHz
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP  # 15
_LOGSTEP = math.log(6.4) / 27.0


def hann_window(n, xp=numpy, dtype="float64"):
    """The periodic Hann window of ``n`` points: 0.5 - 0.5 cos(2 pi k / n), k = 0..n-1."""
    k = xp.arange(n, dtype=xp.float64)
    return (0.5 - 0.5 * xp.cos(2.0 * math.pi * k / n)).astype(dtype)


def _window(window, n_fft, xp, dtype):
    if isinstance(window, str):
        if window == "hann":
            return hann_window(n_fft, xp, dtype)
        if window in ("rect", "boxcar", "ones"):
            return xp.ones(n_fft, dtype=dtype)
        raise ValueError(f"stft: window must be 'hann', 'rect' or an array, got {window!r}")
    w = xp.asarray(window, dtype=dtype)
    if w.shape != (n_fft,):
        raise ValueError(f"stft: a window array must have shape ({n_fft},), got {w.shape}")
    return w


def stft(x, n_fft, hop, window="hann", center=True):
    """Complex STFT of ``x`` (..., L): (..., n_fft // 2 + 1, frames).

    Frame t holds x[t * hop : t * hop + n_fft] (of the padded signal when ``center``) times the
    window; frames = 1 + L // hop when centred (even n_fft), else 1 + (L - n_fft) // hop (L >= n_fft needed).
    Float32 input gives complex64, float64 gives complex128."""
    xp = get_array_module(x)
    x = xp.asarray(x)
    if x.dtype.kind != "f":
        raise TypeError(f"stft: x must be float samples, got dtype {x.dtype} (see to_float)")
    if int(n_fft) != n_fft or n_fft < 2 or int(hop) != hop or hop < 1:
        raise ValueError(f"stft: n_fft must be >= 2 and hop >= 1 (integers), got {n_fft}, {hop}")
    if x.ndim < 1:
        raise ValueError("stft: x must have a time axis (..., L), got a scalar")
    if center:
        pad = [(0, 0)] * (x.ndim - 1) + [(n_fft // 2, n_fft // 2)]
        x = xp.pad(x, pad)
    length = x.shape[-1]
    if length < n_fft:
        raise ValueError(f"stft: x has {length} samples, fewer than n_fft={n_fft} (center=False)")
    frames = 1 + (length - n_fft) // hop
    index = hop * xp.arange(frames)[:, None] + xp.arange(n_fft)[None, :]
    w = _window(window, n_fft, xp, x.dtype)
    spec = xp.fft.rfft(x[..., index] * w, axis=-1)  # (..., frames, bins)
    complex_dtype = xp.complex64 if x.dtype == xp.float32 else xp.complex128
    return xp.swapaxes(spec, -1, -2).astype(complex_dtype, copy=False)


def hz_to_mel(f, htk=False):
    """Frequencies (Hz, array or scalar) on the mel scale: Slaney's by default, HTK's if asked."""
    f = numpy.asarray(f, dtype=numpy.float64)
    if htk:
        return 2595.0 * numpy.log10(1.0 + f / 700.0)
    mel = f / _F_SP
    high = f >= _MIN_LOG_HZ
    return numpy.where(
        high, _MIN_LOG_MEL + numpy.log(numpy.maximum(f, _MIN_LOG_HZ) / _MIN_LOG_HZ) / _LOGSTEP, mel
    )


def mel_to_hz(m, htk=False):
    """The inverse of :func:`hz_to_mel`."""
    m = numpy.asarray(m, dtype=numpy.float64)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    high = m >= _MIN_LOG_MEL
    return numpy.where(
        high,
        _MIN_LOG_HZ * numpy.exp(_LOGSTEP * (numpy.maximum(m, _MIN_LOG_MEL) - _MIN_LOG_MEL)),
        _F_SP * m,
    )


@functools.lru_cache(maxsize=32)
def _filterbank(sr, n_fft, n_mels, fmin, fmax, htk):
    bins = numpy.linspace(0.0, sr / 2.0, n_fft // 2 + 1)
    edges = mel_to_hz(numpy.linspace(hz_to_mel(fmin, htk), hz_to_mel(fmax, htk), n_mels + 2), htk)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins[None, :] - lower) / (centre - lower)
    falling = (upper - bins[None, :]) / (upper - centre)
    fb = numpy.maximum(0.0, numpy.minimum(rising, falling))
    fb *= 2.0 / (upper - lower)  # unit area (Slaney normalisation)
    fb.setflags(write=False)
    return fb


def mel_filterbank(sr, n_fft, n_mels, fmin=0.0, fmax=None, htk=False):
    """Triangular mel filters (n_mels, n_fft // 2 + 1) float64, for power spectra of ``n_fft``
    points at ``sr`` Hz: centres evenly spaced on the mel scale between ``fmin`` and ``fmax``
    (default sr / 2), each triangle reaching from its left to its right neighbour's centre, with
    unit area. Raises ValueError when a filter falls between two FFT bins (it would be all zero):
    use fewer mels or a larger n_fft."""
    fmax = sr / 2.0 if fmax is None else float(fmax)
    if not 0 <= fmin < fmax <= sr / 2.0:
        raise ValueError(
            f"mel_filterbank: need 0 <= fmin < fmax <= sr / 2 = {sr / 2}, got {fmin}, {fmax}"
        )
    if int(n_mels) != n_mels or n_mels < 1:
        raise ValueError(f"mel_filterbank: n_mels must be a positive integer, got {n_mels!r}")
    fb = _filterbank(float(sr), int(n_fft), int(n_mels), float(fmin), fmax, bool(htk))
    empty = numpy.flatnonzero(fb.max(axis=1) == 0)
    if empty.size:
        raise ValueError(
            f"mel_filterbank: {empty.size} of the {n_mels} filters cover no FFT bin (first: "
            f"filter {empty[0]}) with sr={sr}, n_fft={n_fft}; use fewer mels or a larger n_fft"
        )
    return fb.copy()


def log_mel_spectrogram(
    x, sr=8000, n_fft=256, hop=64, n_mels=40, fmin=0.0, fmax=None, floor=1e-5, htk=False
):
    """log(mel power + floor) of float samples ``x`` (..., L): (..., n_mels, 1 + L // hop), of x's
    float dtype. The power spectrum is |stft(x, n_fft, hop, 'hann')|^2 (centred frames)."""
    xp = get_array_module(x)
    x = xp.asarray(x)
    power = xp.abs(stft(x, n_fft, hop)) ** 2  # (..., bins, frames)
    fb = xp.asarray(mel_filterbank(sr, n_fft, n_mels, fmin, fmax, htk), dtype=power.dtype)
    mel = xp.matmul(fb, power)
    return xp.log(mel + power.dtype.type(floor))

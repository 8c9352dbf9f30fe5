"""tinynet.audio on CuPy arrays: the same results as NumPy, and the arrays stay on the GPU."""

import numpy as np
import pytest

from tinynet import audio
from tinynet.backend import asnumpy, gpu_available, to_device

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not gpu_available(), reason="needs a CUDA GPU (CuPy)"),
]


def test_audio_functions_match_numpy_on_the_gpu():
    import cupy

    x = np.random.default_rng(0).normal(scale=0.3, size=(2, 3000)).astype(np.float32)
    g = to_device(x, "gpu")
    cases = [
        (audio.mu_law_encode, 0),
        (lambda a: audio.mu_law_decode(audio.mu_law_encode(a)), 1e-6),
        (lambda a: audio.normalize_peak(a[0]), 1e-6),
        (lambda a: audio.fix_length(a[0], 4000), 0),
        (lambda a: audio.stft(a, 256, 64), 1e-3),
        (lambda a: audio.log_mel_spectrogram(a), 1e-3),
    ]
    for fn, tol in cases:
        out = fn(g)
        assert isinstance(out, cupy.ndarray)
        np.testing.assert_allclose(asnumpy(out), fn(x), rtol=tol, atol=tol)


def test_write_wav_takes_gpu_samples(tmp_path):
    x = to_device(np.linspace(-1, 1, 50), "gpu")
    samples, _ = audio.read_wav(audio.write_wav(tmp_path / "g.wav", x, 8000))
    assert samples[0] == -32767 and samples[-1] == 32767

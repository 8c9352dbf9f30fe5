"""Audio: mu-law coding, WAV files, per-clip levels, STFT and log-mel spectrograms.

    from tinynet import audio
    samples, rate = audio.read_wav("0_george_0.wav")       # int16 (L,), 8000
    x = audio.normalize_peak(samples)                        # float32 (L,), peak 0.95
    codes = audio.mu_law_encode(x)                           # int64 (L,) in 0..255
    mel = audio.log_mel_spectrogram(x, sr=8000)              # float32 (40, 1 + L // 64)

Apart from the engine: plain arrays in, plain arrays out; every function uses the array module of
its input (``get_array_module``) so CuPy arrays stay on the GPU. WAV files are read and written
with the standard library's ``wave`` module (16-bit PCM mono).
"""

from .clips import fix_length, normalize_peak, to_float
from .mulaw import mu_law_decode, mu_law_encode
from .spectral import hann_window, hz_to_mel, log_mel_spectrogram, mel_filterbank, mel_to_hz, stft
from .wav import WavFileError, read_wav, write_wav

__all__ = [
    "mu_law_encode",
    "mu_law_decode",
    "read_wav",
    "write_wav",
    "WavFileError",
    "to_float",
    "normalize_peak",
    "fix_length",
    "stft",
    "hann_window",
    "hz_to_mel",
    "mel_to_hz",
    "mel_filterbank",
    "log_mel_spectrogram",
]

"""WAV files with the standard library's ``wave`` module: 16-bit PCM, mono.

    samples, rate = read_wav("7_jackson_32.wav")     # int16 (L,), e.g. 8000
    write_wav("out.wav", x, 8000)                    # x int16, or float in [-1, 1] (clipped)

Writing goes to a temporary file in the target folder, renamed onto ``path`` once complete, so a
reader never sees half a file.
"""

import os
import tempfile
import wave
from pathlib import Path

import numpy

from ..backend import asnumpy


class WavFileError(ValueError):
    """A WAV file that cannot be read as 16-bit PCM mono (bad header, other format, truncated)."""

    def __init__(self, file, problem):
        self.file = str(file)
        super().__init__(f"{file}: {problem}")


def read_wav(path):
    """Return ``(samples, rate)``: int16 samples (L,) and the sample rate in Hz.

    Raises WavFileError naming the file when it is not a WAV file, is not 16-bit PCM mono, or holds
    fewer sample bytes than its header says (truncated)."""
    try:
        with wave.open(str(path), "rb") as w:
            channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            frames, comp = w.getnframes(), w.getcomptype()
            if comp != "NONE" or width != 2 or channels != 1:
                raise WavFileError(
                    path,
                    f"expected 16-bit PCM mono, got {channels} channel(s) of {8 * width}-bit "
                    f"samples (compression {comp!r})",
                )
            data = w.readframes(frames)
    except (wave.Error, EOFError) as e:
        raise WavFileError(path, f"not a readable WAV file ({e})") from None
    if len(data) != 2 * frames:
        raise WavFileError(
            path, f"truncated: the header says {frames} samples, the file holds {len(data) // 2}"
        )
    return numpy.frombuffer(data, dtype="<i2").astype(numpy.int16), rate


def _as_pcm16(samples):
    x = asnumpy(samples)
    if x.ndim != 1:
        raise ValueError(f"write_wav: samples must be one mono clip (L,), got shape {x.shape}")
    if x.dtype.kind == "f":
        if not numpy.isfinite(x).all():
            raise ValueError("write_wav: float samples must be finite, got NaN or inf")
        return numpy.round(numpy.clip(x, -1.0, 1.0) * 32767.0).astype("<i2")
    if x.dtype.kind in "iu":
        if x.size and (x.min() < -32768 or x.max() > 32767):
            raise ValueError(f"write_wav: integer samples must fit int16, got {x.min()}..{x.max()}")
        return x.astype("<i2")
    raise TypeError(f"write_wav: samples must be integer PCM or floats, got dtype {x.dtype}")


def _mode_for(path):
    """An existing file's permission bits, else 0666 less the umask (what open() gives)."""
    try:
        return os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_wav(path, samples, rate):
    """Write ``samples`` (L,) as a 16-bit PCM mono WAV at ``rate`` Hz; returns the Path.

    int16 (or any integer within its range) is written as is; floats are taken as [-1, 1], clipped
    and scaled by 32767. CuPy arrays are copied to the host."""
    if int(rate) != rate or rate < 1:
        raise ValueError(f"write_wav: rate must be a positive integer (Hz), got {rate!r}")
    pcm = _as_pcm16(samples)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f, wave.open(f, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(int(rate))
            w.writeframes(pcm.tobytes())
        os.chmod(tmp, _mode_for(path))  # mkstemp makes 0600; a WAV is written like open() would
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path

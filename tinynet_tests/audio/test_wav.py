"""WAV files: round trips in tmp_path, float conversion with clipping, truncated and foreign files
named in the error, atomic writes."""

import wave

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinynet.audio import WavFileError, read_wav, write_wav


@given(hnp.arrays(np.int16, st.integers(0, 500)), st.sampled_from([8000, 16000, 44100]))
def test_int16_round_trip(tmp_path_factory, x, rate):
    path = tmp_path_factory.mktemp("wav") / "clip.wav"
    assert write_wav(path, x, rate) == path
    y, r = read_wav(path)
    assert r == rate and y.dtype == np.int16
    np.testing.assert_array_equal(y, x)


def test_floats_are_scaled_and_clipped(tmp_path):
    path = write_wav(tmp_path / "f.wav", np.array([0.0, 0.5, -0.5, 1.0, -1.0, 2.0, -7.0]), 8000)
    y, _ = read_wav(path)
    np.testing.assert_array_equal(y, [0, 16384, -16384, 32767, -32767, 32767, -32767])
    assert [p.name for p in tmp_path.iterdir()] == ["f.wav"]  # no temporary file left behind


def test_truncated_file_is_named(tmp_path):
    path = write_wav(tmp_path / "t.wav", np.arange(100, dtype=np.int16), 8000)
    data = path.read_bytes()
    path.write_bytes(data[:-50])
    with pytest.raises(WavFileError, match=r"t\.wav: truncated: the header says 100 samples"):
        read_wav(path)
    path.write_bytes(b"RIFF not really")
    with pytest.raises(WavFileError, match=r"t\.wav: not a readable WAV"):
        read_wav(path)


def test_stereo_and_8_bit_files_are_refused(tmp_path):
    for name, channels, width in (("stereo.wav", 2, 2), ("byte.wav", 1, 1)):
        with wave.open(str(tmp_path / name), "wb") as w:
            w.setnchannels(channels)
            w.setsampwidth(width)
            w.setframerate(8000)
            w.writeframes(bytes(8))
        with pytest.raises(WavFileError, match=f"{name}: expected 16-bit PCM mono"):
            read_wav(tmp_path / name)


@pytest.mark.parametrize(
    "samples, rate, message",
    [
        (np.zeros((2, 3)), 8000, "one mono clip"),
        (np.array([40000]), 8000, "fit int16"),
        (np.array([np.nan]), 8000, "finite"),
        (np.zeros(3), 0, "rate"),
    ],
)
def test_bad_writes_are_clear_errors(tmp_path, samples, rate, message):
    with pytest.raises(ValueError, match=f"write_wav: .*{message}"):
        write_wav(tmp_path / "x.wav", samples, rate)
    assert not list(tmp_path.iterdir())


def test_write_wav_gives_a_new_file_the_umask_mode_and_keeps_an_existing_ones(tmp_path):
    import os

    from tinynet.audio import write_wav

    old = os.umask(0o022)
    try:
        new = write_wav(tmp_path / "a.wav", np.zeros(8, np.int16), 8000)
        assert new.stat().st_mode & 0o777 == 0o644
        os.chmod(new, 0o640)
        write_wav(new, np.ones(8, np.int16), 8000)
        assert new.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)

"""FSDD loader: synthetic folders (split, order, errors naming the file), a mocked verified
download, and the real set's counts when $TINYNET_DATA holds it."""

import io
import os
import tarfile
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from tinynet.audio import write_wav
from tinynet.datasets import DatasetFileError, fsdd

REAL_DATA = os.environ.get("TINYNET_DATA")


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No network, an empty cache under tmp_path, and no $TINYNET_DATA."""

    def no_network(*args, **kwargs):
        raise urllib.error.URLError("network disabled in tests")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TINYNET_DATA", raising=False)
    return tmp_path


def make_clips(folder, names):
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        write_wav(folder / name, np.full(10 + i, i, np.int16), 8000)


def test_split_order_and_types(isolated):
    names = ["3_theo_7.wav", "3_theo_12.wav", "1_lucas_0.wav", "3_george_4.wav", "0_theo_5.wav"]
    make_clips(isolated / "data" / "fsdd" / "recordings", names + ["README.txt"])
    (x, d, s), (xt, dt, st) = fsdd.load_data(isolated / "data")
    assert d.dtype == np.int64 and list(d) == [0, 3, 3] and list(s) == ["theo"] * 3
    assert [int(c[0]) for c in x] == [4, 0, 1]  # 0_theo_5, 3_theo_7, 3_theo_12 (numeric take order)
    assert list(dt) == [1, 3] and list(st) == ["lucas", "george"]
    assert all(c.dtype == np.int16 and c.ndim == 1 for c in x + xt)


def test_bad_files_are_named(isolated):
    folder = isolated / "data" / "fsdd" / "recordings"
    make_clips(folder, ["2_theo_9.wav"])
    write_wav(folder / "2_theo_8.wav", np.zeros(5, np.int16), 16000)
    with pytest.raises(DatasetFileError, match=r"2_theo_8\.wav: sample rate 16000"):
        fsdd.load_data(isolated / "data")
    data = (folder / "2_theo_9.wav").read_bytes()
    (folder / "2_theo_8.wav").write_bytes(data[:-4])
    with pytest.raises(DatasetFileError, match=r"2_theo_8\.wav: truncated"):
        fsdd.load_data(isolated / "data")


def test_missing_data_says_where_to_put_it(isolated):
    with pytest.raises(FileNotFoundError, match=r"FSDD: could not find fsdd/recordings/\*\.wav"):
        fsdd.load_data(isolated / "nowhere")
    with pytest.raises(FileNotFoundError, match="network disabled"):
        fsdd.load_data(isolated / "nowhere", download=True)


def archive_of(files):
    """A .tar.gz laid out like GitHub's: top folder / recordings / name, plus another file."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in list(files.items()) + [("README.md", b"readme")]:
            inner = name if name == "README.md" else f"recordings/{name}"
            info = tarfile.TarInfo(f"free-spoken-digit-dataset-1.0.10/{inner}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_download_is_verified_then_moved_into_the_cache(isolated, monkeypatch):
    src = isolated / "src"
    make_clips(src, ["4_theo_1.wav", "4_theo_20.wav"])
    files = {p.name: p.read_bytes() for p in src.iterdir()}
    digest = fsdd.manifest_digest(list(src.iterdir()))
    payload = archive_of(files)
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: io.BytesIO(payload))
    dest = isolated / "home" / "cache" / "recordings"

    with pytest.raises(OSError, match="differ from the pinned set"):
        fsdd.fetch(dest, expected="0" * 64, count=2)
    assert not dest.parent.exists() or list(dest.parent.iterdir()) == []  # nothing left behind

    assert fsdd.fetch(dest, expected=digest, count=2) == dest
    assert sorted(p.name for p in dest.iterdir()) == sorted(files)
    assert list(dest.parent.iterdir()) == [dest]


def test_load_data_downloads_into_the_cache_when_missing(isolated, monkeypatch):
    src = isolated / "src"
    make_clips(src, ["4_theo_1.wav", "5_lucas_30.wav"])
    payload = archive_of({p.name: p.read_bytes() for p in src.iterdir()})
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: io.BytesIO(payload))
    monkeypatch.setattr(fsdd, "RECORDINGS", 2)
    monkeypatch.setattr(fsdd, "RECORDINGS_SHA256", fsdd.manifest_digest(list(src.iterdir())))
    (x, d, _), (xt, dt, _) = fsdd.load_data()
    assert list(d) == [5] and list(dt) == [4]
    assert (Path(isolated / "home") / ".cache/tinynet/datasets/fsdd/recordings").is_dir()


@pytest.mark.data
@pytest.mark.skipif(
    not (REAL_DATA and (Path(REAL_DATA) / "fsdd" / "recordings").is_dir()),
    reason="needs TINYNET_DATA with fsdd/recordings/",
)
def test_real_fsdd_counts():
    (x, d, s), (xt, dt, st) = fsdd.load_data(download=False)
    assert len(x) == len(d) == len(s) == 2700 and len(xt) == len(dt) == len(st) == 300
    np.testing.assert_array_equal(np.bincount(np.r_[d, dt]), [300] * 10)
    assert tuple(sorted(set(s))) == tuple(sorted(set(st))) == fsdd.SPEAKERS
    assert all(np.sum(s == name) == 450 for name in fsdd.SPEAKERS)
    lengths = [len(c) for c in x + xt]
    assert min(lengths) > 1000 and max(lengths) < 20000
    assert sum(len(c) for c in xt) == 1_034_030  # the data README's count for the test split

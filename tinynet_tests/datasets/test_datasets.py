"""MNIST / CIFAR-10 loaders: parsers on synthetic files, verified download (mocked), the real mirror."""

import gzip
import hashlib
import io
import os
import tarfile
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tinynet.datasets import DatasetFileError, cifar10, mnist
from tinynet.datasets._idx import read_idx

REAL_DATA = os.environ.get("TINYNET_DATA")
HYP = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No network, an empty cache under tmp_path, and no $TINYNET_DATA for the synthetic tests."""

    def no_network(*args, **kwargs):
        raise urllib.error.URLError("network disabled in tests")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TINYNET_DATA", raising=False)


# ---------- synthetic files ----------


def idx_bytes(arr, magic=None):
    arr = np.asarray(arr, dtype=np.uint8)
    magic = (0x08 << 8 | arr.ndim) if magic is None else magic
    return (
        magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in arr.shape) + arr.tobytes()
    )


def write_gz(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as f:
        f.write(data)
    return path


def make_mnist(root, n_train=5, n_test=3, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {
        "train": (rng.integers(0, 256, (n_train, 28, 28)), rng.integers(0, 10, n_train)),
        "t10k": (rng.integers(0, 256, (n_test, 28, 28)), rng.integers(0, 10, n_test)),
    }
    for prefix, (x, y) in arrays.items():
        write_gz(root / "mnist" / f"{prefix}-images-idx3-ubyte.gz", idx_bytes(x))
        write_gz(root / "mnist" / f"{prefix}-labels-idx1-ubyte.gz", idx_bytes(y))
    return arrays


def cifar_bytes(x, y):
    """Records of 1 label byte + the 3072 bytes of a channels-first image."""
    return np.concatenate(
        [np.asarray(y, np.uint8).reshape(-1, 1), np.asarray(x, np.uint8).reshape(len(x), 3072)],
        axis=1,
    ).tobytes()


def make_cifar(root, n=4, seed=0):
    rng = np.random.default_rng(seed)
    folder = root / "cifar10" / "cifar-10-batches-bin"
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name in cifar10.TRAIN_FILES + cifar10.TEST_FILES:
        x, y = rng.integers(0, 256, (n, 3, 32, 32)), rng.integers(0, 10, n)
        (folder / name).write_bytes(cifar_bytes(x, y))
        out[name] = (x, y)
    return out


# ---------- IDX parser ----------


@HYP
@given(shape=st.lists(st.integers(0, 6), min_size=1, max_size=3), gz=st.booleans())
def test_idx_round_trip(tmp_path, shape, gz):
    arr = np.random.default_rng(len(shape)).integers(0, 256, shape).astype(np.uint8)
    f = tmp_path / ("a.idx.gz" if gz else "a.idx")
    if gz:
        write_gz(f, idx_bytes(arr))
    else:
        f.write_bytes(idx_bytes(arr))
    out = read_idx(f, len(shape))
    assert out.dtype == np.uint8 and out.shape == tuple(shape)
    np.testing.assert_array_equal(out, arr)


@HYP
@given(cut=st.integers(1, 4 + 12 + 2 * 3 * 3 - 1))
def test_idx_truncated_anywhere_names_file(tmp_path, cut):
    data = idx_bytes(np.arange(18).reshape(2, 3, 3))
    f = write_gz(tmp_path / "t.gz", data[:-cut])
    with pytest.raises(DatasetFileError, match="t.gz"):
        read_idx(f, 3)


def test_idx_trailing_bytes_rejected(tmp_path):
    f = write_gz(tmp_path / "long.gz", idx_bytes(np.zeros((2, 2), np.uint8)) + b"\0")
    with pytest.raises(DatasetFileError, match="trailing bytes"):
        read_idx(f, 2)


@pytest.mark.parametrize("magic", [0x00000801, 0x00000903, 0x08030000, 0x00000D03])
def test_idx_bad_magic(tmp_path, magic):
    f = write_gz(tmp_path / "bad.gz", idx_bytes(np.zeros((2, 28, 28)), magic=magic))
    with pytest.raises(DatasetFileError, match=r"bad\.gz.*magic"):
        read_idx(f, 3, (28, 28))


def test_idx_wrong_image_size(tmp_path):
    f = write_gz(tmp_path / "img.gz", idx_bytes(np.zeros((2, 28, 27))))
    with pytest.raises(DatasetFileError, match=r"img\.gz.*\(28, 28\)"):
        read_idx(f, 3, (28, 28))


def test_idx_broken_gzip(tmp_path):
    raw = gzip.compress(idx_bytes(np.arange(100).reshape(10, 10)))
    f = tmp_path / "crc.gz"
    f.write_bytes(raw[:-8] + bytes(8))  # CRC and length zeroed
    with pytest.raises(DatasetFileError, match=r"crc\.gz.*decompress"):
        read_idx(f, 2)


# ---------- MNIST loader ----------


def test_mnist_load_from_path(tmp_path):
    arrays = make_mnist(tmp_path / "data")
    (xtr, ytr), (xte, yte) = mnist.load_data(path=tmp_path / "data")
    assert (
        xtr.dtype == ytr.dtype == np.uint8 and xtr.shape == (5, 28, 28) and xte.shape == (3, 28, 28)
    )
    np.testing.assert_array_equal(xtr, arrays["train"][0])
    np.testing.assert_array_equal(yte, arrays["t10k"][1])
    xtr[0, 0, 0] = 1  # the arrays are the caller's to modify


def test_mnist_search_order(tmp_path, monkeypatch):
    make_mnist(tmp_path / "explicit", seed=1)
    env = make_mnist(tmp_path / "env", seed=2)
    monkeypatch.setenv("TINYNET_DATA", str(tmp_path / "env"))
    (x, _), _ = mnist.load_data()
    np.testing.assert_array_equal(x, env["train"][0])
    (x, _), _ = mnist.load_data(path=tmp_path / "explicit")
    assert not np.array_equal(x, env["train"][0])


def test_mnist_label_count_mismatch(tmp_path):
    make_mnist(tmp_path)
    write_gz(tmp_path / "mnist" / "train-labels-idx1-ubyte.gz", idx_bytes(np.zeros(4)))
    with pytest.raises(DatasetFileError, match="train-labels.*4 labels for the 5 images"):
        mnist.load_data(path=tmp_path)


def test_mnist_label_out_of_range(tmp_path):
    make_mnist(tmp_path)
    write_gz(tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz", idx_bytes([1, 2, 10]))
    with pytest.raises(DatasetFileError, match="t10k-labels.*label 10"):
        mnist.load_data(path=tmp_path)


def test_mnist_offline_says_which_files_where(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        mnist.load_data(path=tmp_path / "nowhere")
    msg = str(e.value)
    for name in mnist.FILES:
        assert f"mnist/{name}" in msg
    assert f"in {tmp_path / 'nowhere'}: no such folder" in msg  # an explicit path: no download
    assert not any((tmp_path / "home").rglob("*.part"))


# ---------- mocked download ----------


class FakeResponse(io.BytesIO):
    def __init__(self, data, fail_after=None):
        super().__init__(data)
        self.headers = {"Content-Length": str(len(data))}
        self.fail_after = fail_after

    def read(self, n=-1):
        if self.fail_after is not None and self.tell() >= self.fail_after:
            raise ConnectionResetError("connection reset")
        return super().read(n if self.fail_after is None else min(n, 7))


def serve(monkeypatch, files, fail_after=None):
    """Make urlopen serve ``{url basename: bytes}``; record the URLs asked for."""
    asked = []

    def urlopen(url, timeout=None):
        asked.append(url)
        name = url.rsplit("/", 1)[1]
        if name not in files:
            raise urllib.error.URLError(f"404 {url}")
        return FakeResponse(files[name], fail_after)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return asked


def mnist_served(tmp_path, monkeypatch):
    make_mnist(tmp_path / "src", seed=3)
    files = {n: (tmp_path / "src" / "mnist" / n).read_bytes() for n in mnist.FILES}
    monkeypatch.setattr(mnist, "FILES", {n: hashlib.md5(b).hexdigest() for n, b in files.items()})
    return files


def test_mnist_download_into_cache(tmp_path, monkeypatch):
    files = mnist_served(tmp_path, monkeypatch)
    asked = serve(monkeypatch, files)
    (x, y), _ = mnist.load_data()
    cache = tmp_path / "home" / ".cache" / "tinynet" / "datasets" / "mnist"
    assert sorted(p.name for p in cache.iterdir()) == sorted(files)
    assert len(asked) == 4 and all(u.startswith(mnist.MIRRORS[0]) for u in asked)
    (x2, _), _ = mnist.load_data()  # second call reads the cache, asks nothing
    assert len(asked) == 4
    np.testing.assert_array_equal(x, x2)


def test_mnist_download_falls_back_to_next_mirror(tmp_path, monkeypatch):
    files = mnist_served(tmp_path, monkeypatch)
    monkeypatch.setattr(mnist, "MIRRORS", ("https://dead.example/", "https://alive.example/"))
    real = serve(monkeypatch, files)
    urlopen = urllib.request.urlopen
    monkeypatch.setattr(
        urllib.request,
        "urlopen",
        lambda url, timeout=None: (
            (_ for _ in ()).throw(urllib.error.URLError("down"))
            if "dead" in url
            else urlopen(url, timeout)
        ),
    )
    mnist.load_data()
    assert all("alive" in u for u in real)


def test_mnist_download_checksum_mismatch_keeps_nothing(tmp_path, monkeypatch):
    files = mnist_served(tmp_path, monkeypatch)
    name = "train-images-idx3-ubyte.gz"
    serve(monkeypatch, {**files, name: files[name][:-1] + b"x"})
    with pytest.raises(FileNotFoundError, match=f"mnist/{name}.*md5"):
        mnist.load_data()
    cache = tmp_path / "home" / ".cache" / "tinynet" / "datasets" / "mnist"
    assert not (cache / name).exists() and not list(cache.glob("*.part"))


def test_interrupted_download_leaves_no_file(tmp_path, monkeypatch):
    files = mnist_served(tmp_path, monkeypatch)
    serve(monkeypatch, files, fail_after=20)
    with pytest.raises(FileNotFoundError, match="connection reset"):
        mnist.load_data()
    cache = tmp_path / "home" / ".cache" / "tinynet" / "datasets" / "mnist"
    assert not cache.exists() or not list(cache.iterdir())


# ---------- CIFAR-10 binary parser and loader ----------


@HYP
@given(n=st.integers(0, 5))
def test_cifar_record_round_trip(tmp_path, n):
    rng = np.random.default_rng(n)
    x, y = rng.integers(0, 256, (n, 3, 32, 32)), rng.integers(0, 10, n)
    f = tmp_path / "b.bin"
    f.write_bytes(cifar_bytes(x, y))
    xo, yo = cifar10.read_batch(f)
    assert xo.dtype == yo.dtype == np.uint8 and xo.shape == (n, 3, 32, 32) and yo.shape == (n, 1)
    np.testing.assert_array_equal(xo, x)
    np.testing.assert_array_equal(yo[:, 0], y)


def test_cifar_channel_planes_in_order(tmp_path):
    """The record holds the whole R plane, then G, then B: channel c is bytes 1+1024c .. 1+1024(c+1)."""
    record = np.concatenate([[7], np.repeat([10, 20, 30], 1024)]).astype(np.uint8)
    f = tmp_path / "one.bin"
    f.write_bytes(record.tobytes())
    x, y = cifar10.read_batch(f)
    assert y[0, 0] == 7 and [int(x[0, c, 5, 9]) for c in range(3)] == [10, 20, 30]


@HYP
@given(cut=st.integers(1, 3072))
def test_cifar_truncated_names_file(tmp_path, cut):
    f = tmp_path / "data_batch_1.bin"
    f.write_bytes(cifar_bytes(np.zeros((2, 3, 32, 32)), [1, 2])[:-cut])
    with pytest.raises(DatasetFileError, match=r"data_batch_1\.bin.*whole number"):
        cifar10.read_batch(f)


def test_cifar_bad_label_and_count(tmp_path):
    f = tmp_path / "b.bin"
    f.write_bytes(cifar_bytes(np.zeros((3, 3, 32, 32)), [1, 12, 3]))
    with pytest.raises(DatasetFileError, match="record 1 has label 12"):
        cifar10.read_batch(f)
    f.write_bytes(cifar_bytes(np.zeros((3, 3, 32, 32)), [1, 2, 3]))
    with pytest.raises(DatasetFileError, match="3 records, expected 10000"):
        cifar10.read_batch(f, 10000)


def test_cifar_load_from_path(tmp_path, monkeypatch):
    monkeypatch.setattr(cifar10, "RECORDS_PER_FILE", 4)
    parts = make_cifar(tmp_path)
    (xtr, ytr), (xte, yte) = cifar10.load_data(path=tmp_path)
    assert xtr.shape == (20, 3, 32, 32) and ytr.shape == (20, 1) and xte.shape == (4, 3, 32, 32)
    np.testing.assert_array_equal(xtr[4:8], parts["data_batch_2.bin"][0])
    np.testing.assert_array_equal(yte[:, 0], parts["test_batch.bin"][1])
    assert len(cifar10.CLASS_NAMES) == 10 and cifar10.CLASS_NAMES[3] == "cat"


def test_cifar_wrong_record_count_is_an_error(tmp_path):
    make_cifar(tmp_path)  # 4 records per file, the loader expects 10000
    with pytest.raises(DatasetFileError, match="data_batch_1.bin"):
        cifar10.load_data(path=tmp_path)


def cifar_archive(tmp_path, hostile=False):
    src = tmp_path / "src"
    make_cifar(src, n=4, seed=5)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(src / "cifar10" / "cifar-10-batches-bin", arcname="cifar-10-batches-bin")
        if hostile:
            info = tarfile.TarInfo("../../evil.bin")
            info.size = 3
            tar.addfile(info, io.BytesIO(b"bad"))
    return buf.getvalue(), src


def test_cifar_download_unpacks_into_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(cifar10, "RECORDS_PER_FILE", 4)
    data, src = cifar_archive(tmp_path, hostile=True)
    monkeypatch.setattr(cifar10, "MD5", hashlib.md5(data).hexdigest())
    asked = serve(monkeypatch, {"cifar-10-binary.tar.gz": data})
    (xtr, _), (xte, yte) = cifar10.load_data()
    assert asked == [cifar10.URL]
    cache = tmp_path / "home" / ".cache" / "tinynet" / "datasets" / "cifar10"
    want = cifar10.read_batch(src / "cifar10" / "cifar-10-batches-bin" / "test_batch.bin")
    np.testing.assert_array_equal(xte, want[0])
    assert not (cache / "cifar-10-binary.tar.gz").exists()
    assert not list(tmp_path.rglob("evil.bin"))
    assert sorted(p.name for p in (cache / "cifar-10-batches-bin").iterdir()) == sorted(
        cifar10.TRAIN_FILES + cifar10.TEST_FILES
    )


def test_cifar_download_checksum_mismatch(tmp_path, monkeypatch):
    data, _ = cifar_archive(tmp_path)
    serve(monkeypatch, {"cifar-10-binary.tar.gz": data})  # md5 is the official one: mismatch
    with pytest.raises(FileNotFoundError, match="cifar-10-batches-bin/data_batch_1.bin.*md5"):
        cifar10.load_data()
    assert not [p for p in (tmp_path / "home").rglob("*") if p.is_file()]


def test_cifar_offline_message(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        cifar10.load_data()
    msg = str(e.value)
    assert "cifar10/cifar-10-batches-bin/test_batch.bin" in msg and "TINYNET_DATA" in msg


def test_no_download_flag(tmp_path, monkeypatch):
    asked = serve(monkeypatch, {})
    with pytest.raises(FileNotFoundError):
        mnist.load_data(download=False)
    with pytest.raises(FileNotFoundError):
        cifar10.load_data(download=False)
    assert asked == []


# ---------- the real mirror ----------


def real_file(rel):
    if not REAL_DATA:
        pytest.skip("TINYNET_DATA is not set: no real dataset mirror to check")
    if not (Path(REAL_DATA) / rel).is_file():
        pytest.skip(f"{rel} not under TINYNET_DATA={REAL_DATA}")
    return Path(REAL_DATA)


def test_real_mnist():
    root = real_file("mnist/train-images-idx3-ubyte.gz")
    (xtr, ytr), (xte, yte) = mnist.load_data(path=root, download=False)
    assert xtr.shape == (60000, 28, 28) and xte.shape == (10000, 28, 28)
    assert xtr.dtype == ytr.dtype == np.uint8
    assert np.bincount(ytr).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(yte).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert xtr.max() == 255 and xtr.min() == 0


def test_real_cifar10():
    root = real_file("cifar10/cifar-10-batches-bin/data_batch_1.bin")
    (xtr, ytr), (xte, yte) = cifar10.load_data(path=root, download=False)
    assert (
        xtr.shape == (50000, 3, 32, 32)
        and ytr.shape == (50000, 1)
        and xte.shape == (10000, 3, 32, 32)
    )
    assert xtr.dtype == ytr.dtype == np.uint8
    assert (
        np.bincount(ytr[:, 0]).tolist() == [5000] * 10
        and np.bincount(yte[:, 0]).tolist() == [1000] * 10
    )
    mean = xtr.mean(axis=(0, 2, 3), dtype=np.float64) / 255  # R, G, B order as published
    np.testing.assert_allclose(mean, [0.49139968, 0.48215841, 0.44653091], atol=1e-7)


def test_reachable_from_the_package():
    import tinynet as tn

    assert tn.datasets.mnist is mnist and tn.datasets.cifar10 is cifar10
    assert callable(tn.datasets.categorical.load_data) and callable(
        tn.datasets.tabular.load_credit_default
    )

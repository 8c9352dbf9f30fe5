"""CIFAR-10 from the official binary distribution, parsed from raw bytes (no pickle), Keras-style.

    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    # x: uint8 (50000, 3, 32, 32) / (10000, 3, 32, 32) channels-first; y: uint8 (50000, 1) / (10000, 1)
    cifar10.CLASS_NAMES[y[0, 0]]

Files are looked for as ``cifar10/cifar-10-batches-bin/<name>`` in ``path``, ``$TINYNET_DATA``,
``~/.cache/tinynet/datasets``; when missing, ``cifar-10-binary.tar.gz`` is downloaded into the cache,
checked against the official md5 and unpacked there. Files found in place are checked for their
size and record layout (the md5 is the archive's; no checksum of the unpacked batches exists).
"""

import os
import tarfile
import tempfile

import numpy as np

from . import _download
from ._files import DatasetFileError, cache_dir, find_file, missing_message

CLASS_NAMES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
TRAIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_FILES = ("test_batch.bin",)
SUBDIR = "cifar10/cifar-10-batches-bin"
URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
MD5 = "c32a1d4ab5d03f1284b67883e8d87530"
RECORD = 1 + 3 * 32 * 32
RECORDS_PER_FILE = 10000


def load_data(path=None, download=True):
    """Return ``((x_train, y_train), (x_test, y_test))``, uint8, images (n, 3, 32, 32), labels (n, 1).

    Raises FileNotFoundError saying which files to put where when they are missing and cannot be
    downloaded, and DatasetFileError naming the file when one is truncated or corrupt.
    """
    files = locate(path, download)
    train = [read_batch(files[n], RECORDS_PER_FILE) for n in TRAIN_FILES]
    x_test, y_test = read_batch(files[TEST_FILES[0]], RECORDS_PER_FILE)
    x_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train])
    return (x_train, y_train), (x_test, y_test)


def read_batch(filename, records=None):
    """Parse one binary batch file: records of 1 label byte + 3072 pixel bytes (R, G, B planes).

    Returns ``(x uint8 (n, 3, 32, 32), y uint8 (n, 1))``. ``records`` is the expected count (None to
    accept any whole number). Raises DatasetFileError on a size that is not whole records, a wrong
    count, or a label outside 0..9.
    """
    size = os.path.getsize(filename)
    if size % RECORD:
        raise DatasetFileError(
            filename, f"{size} bytes is not a whole number of {RECORD}-byte records (truncated?)"
        )
    n = size // RECORD
    if records is not None and n != records:
        raise DatasetFileError(filename, f"{n} records, expected {records}")
    raw = np.fromfile(filename, dtype=np.uint8)
    if raw.size != size:
        raise DatasetFileError(filename, f"read {raw.size} of {size} bytes")
    raw = raw.reshape(n, RECORD)
    y = raw[:, :1].copy()
    if n and y.max() > 9:
        bad = int(np.argmax(y > 9))
        raise DatasetFileError(filename, f"record {bad} has label {int(y[bad, 0])}, outside 0..9")
    x = raw[:, 1:].reshape(n, 3, 32, 32).copy()
    return x, y


def locate(path=None, download=True):
    """Return ``{file name: Path}`` for the six batch files, downloading the archive when missing."""
    names = TRAIN_FILES + TEST_FILES
    found = {name: find_file(f"{SUBDIR}/{name}", path) for name in names}
    missing = [name for name, f in found.items() if f is None]
    if not missing:
        return found
    message = missing_message("CIFAR-10", [f"{SUBDIR}/{n}" for n in missing], path)
    if not download or path is not None:  # an explicit folder is only read
        raise FileNotFoundError(message)
    target = cache_dir() / SUBDIR
    try:
        archive = _download.download_first(
            [URL], cache_dir() / "cifar10" / "cifar-10-binary.tar.gz", MD5
        )
    except OSError as e:
        raise FileNotFoundError(f"{message} ({e})") from None
    unpack(archive, target)
    archive.unlink()
    return {name: target / name for name in names} | {n: f for n, f in found.items() if f}


def unpack(archive, target):
    """Copy the members ``cifar-10-batches-bin/*`` of ``archive`` into ``target``, each atomically.

    Only regular files directly inside ``cifar-10-batches-bin/`` are written (by name, never by the
    archive's path), so a hostile archive cannot write elsewhere.
    """
    target.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                folder, _, name = member.name.rpartition("/")
                if (
                    not member.isfile()
                    or folder != "cifar-10-batches-bin"
                    or not name
                    or name.startswith(".")
                ):
                    continue
                fd, tmp = tempfile.mkstemp(prefix=name + ".", suffix=".part", dir=target)
                with os.fdopen(fd, "wb") as out:
                    out.write(tar.extractfile(member).read())
                os.replace(tmp, target / name)
    except (tarfile.TarError, EOFError, OSError) as e:
        raise DatasetFileError(archive, f"cannot unpack ({type(e).__name__}: {e})") from None

"""MNIST handwritten digits from the four official IDX files, Keras-style.

    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    # x: uint8 (60000, 28, 28) / (10000, 28, 28), y: uint8 (60000,) / (10000,) in 0..9

Files are looked for as ``mnist/<name>`` in ``path``, ``$TINYNET_DATA``, ``~/.cache/tinynet/datasets``;
missing ones are downloaded into the cache from the public mirrors and checked against the official md5.
Files found in place are not checksummed (a re-gzipped copy, like the offline mirror's, has other
bytes but the same content); the IDX reader checks their headers and sizes instead.
"""

from . import _download
from ._files import DatasetFileError, cache_dir, find_file, missing_message
from ._idx import read_idx

FILES = {  # name -> official md5 of the .gz
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
SUBDIR = "mnist"


def load_data(path=None, download=True):
    """Return ``((x_train, y_train), (x_test, y_test))``: uint8 images (n, 28, 28), uint8 labels (n,).

    Raises FileNotFoundError saying which files to put where when they are missing and cannot be
    downloaded, and DatasetFileError naming the file when one is truncated or corrupt.
    """
    files = locate(path, download)
    splits = []
    for prefix in ("train", "t10k"):
        img_file, lbl_file = (
            files[f"{prefix}-images-idx3-ubyte.gz"],
            files[f"{prefix}-labels-idx1-ubyte.gz"],
        )
        x = read_idx(img_file, 3, (28, 28))
        y = read_idx(lbl_file, 1)
        if len(x) != len(y):
            raise DatasetFileError(
                lbl_file, f"{len(y)} labels for the {len(x)} images in {img_file}"
            )
        if y.size and y.max() > 9:
            raise DatasetFileError(lbl_file, f"label {int(y.max())} outside 0..9")
        splits.append((x, y))
    return tuple(splits)


def locate(path=None, download=True):
    """Return ``{file name: Path}`` for the four files, downloading missing ones into the cache."""
    found = {name: find_file(f"{SUBDIR}/{name}", path) for name in FILES}
    missing = [name for name, f in found.items() if f is None]
    if missing and download and path is None:
        target = cache_dir() / SUBDIR
        try:
            for name in missing:
                found[name] = _download.download_first(
                    [m + name for m in MIRRORS], target / name, FILES[name]
                )
        except OSError as e:
            raise FileNotFoundError(_missing(missing, path) + f" ({e})") from None
    elif missing:
        raise FileNotFoundError(_missing(missing, path))
    return found


def _missing(names, path):
    return missing_message("MNIST", [f"{SUBDIR}/{n}" for n in names], path)

"""IDX files (the MNIST format), parsed from raw bytes with every header field checked.

Header: two zero bytes, a type code (0x08 = uint8), the number of dimensions, then one big-endian
uint32 per dimension; the data follows, row-major, with nothing after it.
"""

import gzip
import zlib

import numpy as np

from ._files import DatasetFileError

UINT8 = 0x08


def read_idx(filename, ndim, shape_tail=()):
    """Read a (gzipped if the name ends in .gz) IDX file of uint8 with ``ndim`` dimensions.

    ``shape_tail`` fixes the trailing dimensions (e.g. (28, 28)). Returns a uint8 array of the
    shape in the header. Raises DatasetFileError naming the file on a bad magic number, a header
    that disagrees with ``ndim``/``shape_tail``, a truncated or over-long body, or a broken gzip.
    """
    raw = _read_bytes(filename)
    header_len = 4 + 4 * ndim
    if len(raw) < 4:
        raise DatasetFileError(filename, f"only {len(raw)} bytes, too short for an IDX header")
    magic = int.from_bytes(raw[:4], "big")
    expected = (UINT8 << 8) | ndim
    if magic != expected:
        raise DatasetFileError(
            filename,
            f"bad IDX magic number 0x{magic:08x}, expected "
            f"0x{expected:08x} (uint8, {ndim} dimensions)",
        )
    if len(raw) < header_len:
        raise DatasetFileError(filename, f"header truncated: {len(raw)} bytes, need {header_len}")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if shape_tail and shape[ndim - len(shape_tail) :] != tuple(shape_tail):
        raise DatasetFileError(
            filename, f"header shape {shape}, expected (n, *{tuple(shape_tail)})"
        )
    body = len(raw) - header_len
    need = int(np.prod(shape))
    if body != need:
        raise DatasetFileError(
            filename,
            f"{'truncated' if body < need else 'trailing bytes'}: the "
            f"header says {shape} = {need} bytes of data, the file holds {body}",
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header_len).reshape(shape).copy()


def _read_bytes(filename):
    if not str(filename).endswith(".gz"):
        with open(filename, "rb") as f:
            return f.read()
    try:
        with gzip.open(filename, "rb") as f:
            return f.read()
    except (EOFError, OSError, zlib.error) as e:
        raise DatasetFileError(filename, f"cannot decompress ({type(e).__name__}: {e})") from None

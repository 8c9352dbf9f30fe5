"""Fetching dataset files: stream to a temporary file, show a tqdm bar, verify, rename atomically."""

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

CHUNK = 1 << 20
TIMEOUT_S = 30


class ChecksumError(OSError):
    """A downloaded file whose checksum differs from the official one (it is deleted, not kept)."""


def download(url, dest, md5, progress=True):
    """Download ``url`` to ``dest`` (a Path) and check its md5; return ``dest``.

    Bytes go to a temporary file beside ``dest`` which is renamed onto ``dest`` only once complete
    and verified, so an interrupted or corrupt download never leaves a file at ``dest``.
    Raises OSError (urllib.error.URLError, ChecksumError, ...) on failure.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
    try:
        h = hashlib.md5()
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=TIMEOUT_S) as resp:
            total = int(resp.headers.get("Content-Length") or 0) or None
            with tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                desc=dest.name,
                disable=not progress,
                leave=False,
            ) as bar:
                for block in iter(lambda: resp.read(CHUNK), b""):
                    out.write(block)
                    h.update(block)
                    bar.update(len(block))
        if h.hexdigest() != md5:
            raise ChecksumError(f"{url}: md5 {h.hexdigest()} differs from the official {md5}")
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return dest


def download_first(urls, dest, md5, progress=True):
    """Try each mirror in ``urls`` in turn; return ``dest`` or raise OSError listing every failure."""
    failures = []
    for url in urls:
        try:
            return download(url, dest, md5, progress)
        except (OSError, http.client.HTTPException) as e:
            failures.append(f"{url}: {e}")
    raise OSError("download failed: " + "; ".join(failures))

"""Where dataset files live: an explicit path (then only there), else $TINYNET_DATA, then
~/.cache/tinynet/datasets.

Every loader resolves its files through :func:`find_file` so the search order is the same for all
datasets. The data folder may be read-only (CI): nothing is ever written beside the data read.
"""

import os
from pathlib import Path


def cache_dir():
    """The writable cache, ``~/.cache/tinynet/datasets`` (created on demand by downloaders)."""
    return Path(os.path.expanduser("~")) / ".cache" / "tinynet" / "datasets"


def search_roots(path=None):
    """The folders searched, in order: ``path`` alone when given (an explicit path never falls
    back to another copy, nor downloads), else ``$TINYNET_DATA`` and the cache."""
    if path is not None:
        return [Path(path)]
    roots = []
    env = os.environ.get("TINYNET_DATA")
    if env:
        roots.append(Path(env))
    roots.append(cache_dir())
    return roots


def find_file(relpath, path=None):
    """Return the first existing ``root / relpath`` over :func:`search_roots`, or None."""
    for root in search_roots(path):
        candidate = root / relpath
        if candidate.is_file():
            return candidate
    return None


def missing_message(dataset, relpaths, path=None):
    """A clear 'which files to put where' message for a dataset that cannot be found."""
    roots = ", ".join(str(r) for r in search_roots(path))
    files = ", ".join(relpaths)
    if path is not None:
        p = Path(path)
        state = "" if p.is_dir() else (": not a folder" if p.exists() else ": no such folder")
        return (
            f"{dataset}: could not find {files} in {p}{state} (the folder given as path=, "
            f"the only one searched when it is given)."
        )
    return (
        f"{dataset}: could not find {files} under any of: {roots}. Put the files there "
        f"(e.g. export TINYNET_DATA=/path/to/data with {files} inside), or connect to the "
        f"internet so tinynet can download them into {cache_dir()}."
    )


def require_file(dataset, relpath, path=None):
    """Like :func:`find_file` but raise FileNotFoundError with :func:`missing_message` when absent."""
    found = find_file(relpath, path)
    if found is None:
        raise FileNotFoundError(missing_message(dataset, [relpath], path))
    return found


class DatasetFileError(ValueError):
    """A dataset file that is truncated or corrupt (bad magic number, wrong size, bad checksum)."""

    REMEDY = "delete it so tinynet downloads it again, or replace it with a good copy"

    def __init__(self, file, problem, remedy=REMEDY):
        self.file = str(file)
        super().__init__(f"{file}: {problem}. The file is truncated or corrupt: {remedy}.")

"""The Free Spoken Digit Dataset (FSDD): 3,000 clips of the digits 0-9 spoken by six speakers,
8 kHz 16-bit PCM mono WAV, with the official split (takes 0-4 test, 5-49 train).

    (clips, digits, speakers), (clips_test, digits_test, speakers_test) = fsdd.load_data()
    # clips: list of int16 (L,) arrays, L from about 1,100 to 18,300 samples;
    # digits: int64 (2700,) / (300,) in 0..9; speakers: str arrays of names from SPEAKERS

Files are looked for as ``fsdd/recordings/{digit}_{speaker}_{take}.wav`` under ``path``,
``$TINYNET_DATA``, ``~/.cache/tinynet/datasets`` (the first of those folders that holds a
``fsdd/recordings`` folder is read, whatever clips it holds). When none does, the upstream
repository's archive at tag v1.0.10 is downloaded, its recordings are unpacked into the cache,
and the set is checked against a pinned digest before it is moved into place: the sha256 of the
sorted ``"<sha256 of file>  <file name>\\n"`` lines of the 3,000 WAV files (``sha256sum``'s
format), computed from a verified copy. The archive itself has no pinned checksum because GitHub
does not promise byte-stable archives; the digest pins what matters, the clips.
Nothing is written beside the data read.
"""

import hashlib
import os
import re
import shutil
import tarfile
import tempfile
import urllib.request
from pathlib import Path

import numpy as np

from ..audio.wav import WavFileError, read_wav
from ._files import DatasetFileError, cache_dir, missing_message, search_roots

SUBDIR = "fsdd/recordings"
ARCHIVE_URL = (
    "https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/tags/v1.0.10.tar.gz"
)
RECORDINGS = 3000
RECORDINGS_SHA256 = "1801eae019c063377d98f831d3f93574f259475df7332bb0e3d1b080fb5e6959"
SAMPLE_RATE = 8000
SPEAKERS = ("george", "jackson", "lucas", "nicolas", "theo", "yweweler")
TEST_TAKES = range(0, 5)  # the official split: takes 0-4 test, 5-49 train
NAME = re.compile(r"^([0-9])_([a-z]+)_([0-9]+)\.wav$")
TIMEOUT_S = 60


def load_data(path=None, download=True):
    """Return ``((clips, digits, speakers), (clips_test, digits_test, speakers_test))``.

    clips: lists of int16 (L,) arrays of variable length; digits: int64 (n,); speakers: str
    arrays (n,). Each split is sorted by digit, then speaker, then take number.
    Raises FileNotFoundError saying where to put the files when they are missing and cannot be
    downloaded, and DatasetFileError naming the file when a WAV file is not 8 kHz 16-bit PCM mono
    or is truncated."""
    folder = locate(path, download)
    entries = []
    for f in folder.iterdir():
        m = NAME.match(f.name)
        if m:
            entries.append((int(m.group(1)), m.group(2), int(m.group(3)), f))
    if not entries:
        raise DatasetFileError(folder, "holds no {digit}_{speaker}_{take}.wav files")
    entries.sort(key=lambda e: e[:3])
    splits = {"train": ([], [], []), "test": ([], [], [])}
    for digit, speaker, take, f in entries:
        clips, digits, speakers = splits["test" if take in TEST_TAKES else "train"]
        clips.append(_read(f))
        digits.append(digit)
        speakers.append(speaker)
    return tuple(
        (clips, np.array(digits, dtype=np.int64), np.array(speakers, dtype=str))
        for clips, digits, speakers in splits.values()
    )


def _read(f):
    try:
        samples, rate = read_wav(f)
    except WavFileError as e:
        raise DatasetFileError(f, str(e).split(": ", 1)[-1]) from None
    if rate != SAMPLE_RATE:
        raise DatasetFileError(f, f"sample rate {rate} Hz, expected {SAMPLE_RATE}")
    if samples.size == 0:
        raise DatasetFileError(f, "holds no samples")
    return samples


def locate(path=None, download=True):
    """The ``fsdd/recordings`` folder to read: the first found over the search roots, else the
    cache's, downloaded and verified first (when ``download``)."""
    for root in search_roots(path):
        if (root / SUBDIR).is_dir():
            return root / SUBDIR
    if not download:
        raise FileNotFoundError(_missing(path))
    try:
        return fetch(cache_dir() / SUBDIR)
    except OSError as e:
        raise FileNotFoundError(_missing(path) + f" ({e})") from None


def _missing(path):
    return missing_message("FSDD", [f"{SUBDIR}/*.wav"], path)


def manifest_digest(files):
    """sha256 of the ``"<sha256>  <name>\\n"`` lines of ``files`` (Paths), sorted by name."""
    lines = "".join(
        f"{hashlib.sha256(f.read_bytes()).hexdigest()}  {f.name}\n"
        for f in sorted(files, key=lambda f: f.name)
    )
    return hashlib.sha256(lines.encode()).hexdigest()


def fetch(dest, url=ARCHIVE_URL, expected=None, count=None):
    """Download the archive at ``url``, unpack its ``recordings/*.wav`` into a temporary folder
    beside ``dest``, check the count and :func:`manifest_digest` (default: :data:`RECORDINGS`
    files with digest :data:`RECORDINGS_SHA256`), then rename it onto ``dest``.
    Raises OSError (a download failure, or a set that differs from the pinned one, which is
    deleted) and leaves nothing at ``dest`` in that case."""
    expected = RECORDINGS_SHA256 if expected is None else expected
    count = RECORDINGS if count is None else count
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent))
    try:
        archive = work / "archive.tar.gz"
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as resp, open(archive, "wb") as out:
            shutil.copyfileobj(resp, out, 1 << 20)
        unpacked = work / "recordings"
        unpacked.mkdir()
        try:
            with tarfile.open(archive, "r:gz") as tar:
                for member in tar:
                    parts = member.name.split("/")
                    if member.isfile() and len(parts) >= 2 and parts[-2] == "recordings":
                        if NAME.match(parts[-1]):
                            with tar.extractfile(member) as src:
                                (unpacked / parts[-1]).write_bytes(src.read())
        except (tarfile.TarError, EOFError) as e:
            raise OSError(f"{url}: not a readable .tar.gz archive ({e})") from None
        files = list(unpacked.iterdir())
        digest = manifest_digest(files)
        if len(files) != count or digest != expected:
            raise OSError(
                f"{url}: its recordings ({len(files)} WAV files, digest {digest}) differ from "
                f"the pinned set ({count} files, digest {expected})"
            )
        os.replace(unpacked, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest

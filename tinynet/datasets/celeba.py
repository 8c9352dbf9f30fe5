"""CelebA faces (Liu et al. 2015), aligned, as 64x64 crops with their 40 binary attributes.

    (x_train, a_train), (x_test, a_test) = celeba.load_data()
    # x: uint8 (8000, 3, 64, 64) / (2000, 3, 64, 64), channels-first RGB
    # a: a table (NumPy structured array) with one bool column per attribute, e.g.
    a_train["Eyeglasses"], a_train["Smiling"], a_train["Male"]     # (8000,) bool
    a_train.dtype.names == celeba.ATTRIBUTES                          # the 40 official names

Files, under ``celeba/`` or ``faces/celeba/`` in ``path``, ``$TINYNET_DATA`` or
``~/.cache/tinynet/datasets`` (the first folder holding one of the layouts is read):

* tinynet's half-size mirror: ``img_align_celeba_10k_89x109.zip`` (``img_align_celeba/000001.jpg``
  ... as 89x109 JPEGs, the official aligned crop at half size) and ``list_attr_celeba_10k.csv``
  (Kaggle's layout: ``image_id`` and the 40 attributes, -1/1);
* the official download: ``img_align_celeba.zip`` (178x218 JPEGs; each is halved with a 2x2
  box filter, Pillow's ``reduce(2)``) and ``list_attr_celeba.txt`` (count line, names line, rows).

CelebA may not be redistributed, so tinynet never downloads it: get it from the official site,
http://mmlab.ie.cuhk.edu.hk/projects/CelebA.html (agreement: non-commercial research only).

The crop: rows 22-85 and columns 12-75 of the 89x109 image (the face, no resampling). Only the
first ``count`` images in the official order are read (default 10,000). The split is by image
id: the last :data:`TEST_SIZE` (2,000) of them are the test set, the others the training set
(all 10,000 belong to CelebA's official training partition, and a celebrity may appear on both
sides: the identities are not in these files). Decoded crops are cached as one ``.npy`` under
``~/.cache/tinynet/datasets/celeba/`` (keyed by the source file's name, size and mtime, the
count and the crop), written atomically; nothing is ever written beside the data read.
"""

import csv
import hashlib
import io
import itertools
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from ._files import DatasetFileError, cache_dir, search_roots

OFFICIAL_SITE = "http://mmlab.ie.cuhk.edu.hk/projects/CelebA.html"
SUBDIRS = ("faces/celeba", "celeba")
LAYOUTS = (  # (images zip, attribute table, full image size (width, height))
    ("img_align_celeba_10k_89x109.zip", "list_attr_celeba_10k.csv", (89, 109)),
    ("img_align_celeba.zip", "list_attr_celeba.txt", (178, 218)),
)
HALF_SIZE = (89, 109)
CROP_ROWS, CROP_COLS = (22, 86), (12, 76)  # rows 22-85, columns 12-75: 64 x 64
IMAGE_SHAPE = (3, 64, 64)
COUNT = 10000
TEST_SIZE = 2000
ATTRIBUTES = (
    "5_o_Clock_Shadow",
    "Arched_Eyebrows",
    "Attractive",
    "Bags_Under_Eyes",
    "Bald",
    "Bangs",
    "Big_Lips",
    "Big_Nose",
    "Black_Hair",
    "Blond_Hair",
    "Blurry",
    "Brown_Hair",
    "Bushy_Eyebrows",
    "Chubby",
    "Double_Chin",
    "Eyeglasses",
    "Goatee",
    "Gray_Hair",
    "Heavy_Makeup",
    "High_Cheekbones",
    "Male",
    "Mouth_Slightly_Open",
    "Mustache",
    "Narrow_Eyes",
    "No_Beard",
    "Oval_Face",
    "Pale_Skin",
    "Pointy_Nose",
    "Receding_Hairline",
    "Rosy_Cheeks",
    "Sideburns",
    "Smiling",
    "Straight_Hair",
    "Wavy_Hair",
    "Wearing_Earrings",
    "Wearing_Hat",
    "Wearing_Lipstick",
    "Wearing_Necklace",
    "Wearing_Necktie",
    "Young",
)
ATTRIBUTE_DTYPE = np.dtype([(name, np.bool_) for name in ATTRIBUTES])


def load_data(path=None, count=COUNT, test_size=TEST_SIZE, cache=True):
    """``((x_train, a_train), (x_test, a_test))``: the first ``count`` faces, the last
    ``test_size`` of them the test set. x uint8 (n, 3, 64, 64); a the attribute table
    (structured array, one bool column per name in :data:`ATTRIBUTES`).

    Raises FileNotFoundError pointing to the official site when the files are absent, and
    DatasetFileError naming the file when one is truncated or holds images of the wrong size."""
    if not (isinstance(count, (int, np.integer)) and count >= 1):
        raise ValueError(f"celeba.load_data: count must be a positive int, got {count!r}")
    if not 0 <= test_size < count:
        raise ValueError(
            f"celeba.load_data: test_size must be in [0, count={count}), got {test_size}"
        )
    x, a = load_faces(path, count, cache)
    cut = count - test_size
    return (x[:cut], a[:cut]), (x[cut:], a[cut:])


def load_faces(path=None, count=COUNT, cache=True):
    """The first ``count`` faces in the official order: (uint8 (count, 3, 64, 64), table)."""
    if not (isinstance(count, (int, np.integer)) and count >= 1):
        raise ValueError(f"celeba: count must be a positive int, got {count!r}")
    images, table, size = locate(path)
    names, attrs = read_attributes(table, count)
    key = _cache_key(images, count, names)
    cached = _cache_file(key) if cache else None
    x = _read_cache(cached, count)
    if x is None:
        x = decode_zip(images, names, size)
        if cached is not None:
            _write_cache(cached, x)
    return x, attrs


def locate(path=None):
    """(images zip, attribute table, full image size) of the first layout found, or
    FileNotFoundError saying what to put where and that CelebA comes from its official site."""
    roots = search_roots(path)
    for root in roots:
        for sub in SUBDIRS:
            for images, table, size in LAYOUTS:
                zip_path, table_path = root / sub / images, root / sub / table
                if zip_path.is_file() and table_path.is_file():
                    return zip_path, table_path, size
    wanted = " or ".join(f"{a} + {b}" for a, b, _ in LAYOUTS)
    where = ", ".join(str(r / s) for r in roots for s in SUBDIRS)
    raise FileNotFoundError(
        f"CelebA: could not find {wanted} in any of: {where}. CelebA may not be redistributed, "
        f"so tinynet does not download it: get the aligned images (img_align_celeba.zip) and "
        f"list_attr_celeba.txt from the official site, {OFFICIAL_SITE} (non-commercial research "
        f"only), and put them in one of those folders (e.g. export TINYNET_DATA=/path/to/data "
        f"with celeba/ inside)."
    )


class CelebAFileError(DatasetFileError):
    """A CelebA file that cannot be read. tinynet never downloads CelebA, so the remedy is a
    good copy from the official site."""

    def __init__(self, file, problem):
        super().__init__(file, problem, f"replace it with a good copy from {OFFICIAL_SITE}")


def read_attributes(table, count):
    """The image names and the attribute table of the first ``count`` rows of ``table``
    (tinynet's CSV or the official whitespace-separated txt: its count line, the 40 names, then
    "<image> v1 ... v40"). Only the rows asked for are split."""
    table = Path(table)
    try:
        text = table.read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise CelebAFileError(table, f"cannot be read ({e})") from None
    if table.suffix == ".csv":
        rows = (r for r in csv.reader(io.StringIO(text)) if r)
        skip, header_of = 0, lambda r: r[1:]
    else:
        rows = (line.split() for line in text.splitlines() if line.strip())
        skip, header_of = 1, lambda r: r
    head = list(itertools.islice(rows, skip + 1))
    if len(head) < skip + 1:
        raise CelebAFileError(table, "holds no attribute names (it is empty or cut short)")
    header = header_of(head[-1])
    body = list(itertools.islice(rows, count))
    if tuple(header) != ATTRIBUTES:
        raise CelebAFileError(
            table, f"its attribute names {header[:3]}... are not the 40 official ones"
        )
    if len(body) < count:
        raise CelebAFileError(table, f"{len(body)} rows, fewer than the {count} asked for")
    bad = [
        i for i, r in enumerate(body) if len(r) != 41 or any(v not in ("1", "-1") for v in r[1:])
    ]
    if bad:
        raise CelebAFileError(table, f"row {bad[0] + 1} is not an image name and 40 values -1/1")
    names = [r[0] for r in body]
    values = np.array([r[1:] for r in body], dtype=np.int8) > 0
    attrs = np.empty(count, dtype=ATTRIBUTE_DTYPE)
    for j, name in enumerate(ATTRIBUTES):
        attrs[name] = values[:, j]
    return names, attrs


def attribute_matrix(attrs, names):
    """The columns ``names`` of an attribute table as a float32 (n, len(names)) 0/1 matrix."""
    unknown = [n for n in names if n not in ATTRIBUTE_DTYPE.names]
    if unknown:
        raise ValueError(f"celeba.attribute_matrix: unknown attributes {unknown}")
    return np.stack([attrs[n] for n in names], axis=1).astype(np.float32)


def crop(image, who="celeba"):
    """An RGB uint8 image (109, 89, 3) -> the 64x64 face, channels-first (3, 64, 64)."""
    if image.shape != (HALF_SIZE[1], HALF_SIZE[0], 3):
        raise CelebAFileError(who, f"image of shape {image.shape}, expected (109, 89, 3)")
    face = image[CROP_ROWS[0] : CROP_ROWS[1], CROP_COLS[0] : CROP_COLS[1]]
    return np.ascontiguousarray(face.transpose(2, 0, 1))


def decode_zip(zip_path, names, size):
    """Decode the JPEGs ``names`` (in order) of the zip with Pillow, halve 178x218 ones, crop:
    uint8 (len(names), 3, 64, 64)."""
    from PIL import Image, UnidentifiedImageError

    out = np.empty((len(names),) + IMAGE_SHAPE, dtype=np.uint8)
    try:
        with zipfile.ZipFile(zip_path) as z:
            members = {Path(m).name: m for m in z.namelist() if not m.endswith("/")}
            for i, name in enumerate(names):
                member = members.get(name)
                if member is None:
                    raise CelebAFileError(zip_path, f"holds no {name} (row {i + 1} of the table)")
                where = f"{zip_path}:{member}"
                try:
                    with Image.open(io.BytesIO(z.read(member))) as img:
                        img = img.convert("RGB")
                        if img.size == (2 * HALF_SIZE[0], 2 * HALF_SIZE[1]):
                            img = img.reduce(2)
                        if img.size != HALF_SIZE:
                            raise CelebAFileError(
                                where,
                                f"image of {img.size[0]}x{img.size[1]}, expected 89x109 or "
                                f"178x218 (the aligned crop, {size[0]}x{size[1]} in this layout)",
                            )
                        out[i] = crop(np.asarray(img), where)
                except (UnidentifiedImageError, OSError, SyntaxError) as e:
                    raise CelebAFileError(where, f"not a readable JPEG ({e})") from None
    except (zipfile.BadZipFile, EOFError) as e:
        raise CelebAFileError(zip_path, f"not a readable zip ({e})") from None
    return out


def _cache_key(zip_path, count, names):
    """The zip (name, size, mtime), the count, the crop and the image names in the table's
    order: another table order is another entry."""
    st = os.stat(zip_path)
    text = f"{Path(zip_path).name}:{st.st_size}:{st.st_mtime_ns}:{count}:{CROP_ROWS}:{CROP_COLS}"
    text += ":" + ",".join(names)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _cache_file(key):
    return cache_dir() / "celeba" / f"faces64-{key}.npy"


def _read_cache(file, count):
    if file is None or not file.is_file():
        return None
    try:
        x = np.load(file, allow_pickle=False)
    except (OSError, ValueError):
        return None  # a damaged cache is decoded again and replaced
    if x.dtype != np.uint8 or x.shape != (count,) + IMAGE_SHAPE:
        return None
    return x


def _write_cache(file, x):
    """np.save to a temporary file beside ``file``, then rename onto it (atomic)."""
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=file.name + ".", suffix=".part", dir=file.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                np.save(f, x, allow_pickle=False)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would make a private cache file
            os.replace(tmp, file)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass  # a read-only home: no cache, the data is decoded each time

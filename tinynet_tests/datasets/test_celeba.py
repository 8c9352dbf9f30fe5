"""CelebA loader on synthetic folders (the crop, both layouts, the split, the attribute table,
the cache, the errors), and a handful of the real faces when $TINYNET_DATA holds them."""

import io
import os
import stat
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tinynet.datasets import DatasetFileError, celeba

REAL_DATA = os.environ.get("TINYNET_DATA")


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """An empty cache under tmp_path and no $TINYNET_DATA."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TINYNET_DATA", raising=False)
    return tmp_path


def image_of(i, size=(89, 109)):
    """An RGB image whose face box (rows 22-85, cols 12-75 at half size) holds a gradient that
    identifies image i, outside it grey 200. (H, W, 3) uint8."""
    w, h = size
    scale = w // 89
    a = np.full((h, w, 3), 200, np.uint8)
    rows, cols = np.mgrid[0:64, 0:64]
    face = np.stack([rows * 2, cols * 3, np.full_like(rows, 10 * i)], axis=-1).astype(np.uint8)
    face = face.repeat(scale, 0).repeat(scale, 1)
    a[22 * scale : 86 * scale, 12 * scale : 76 * scale] = face
    return a


def png_bytes(array):
    """PNG, not JPEG: the loader decodes whatever Pillow identifies, and PNG keeps the pixels
    exact so the crop can be checked to the pixel."""
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def rows_of(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.choice([-1, 1], (n, 40))


def make_mirror(folder, n, values=None, size=(89, 109), names=None):
    """tinynet's layout: the zip of img_align_celeba/NNNNNN.jpg and the CSV table."""
    folder.mkdir(parents=True, exist_ok=True)
    values = rows_of(n) if values is None else values
    names = names or [f"{i + 1:06d}.jpg" for i in range(n)]
    with zipfile.ZipFile(folder / "img_align_celeba_10k_89x109.zip", "w") as z:
        z.writestr("img_align_celeba/", "")
        for i, name in enumerate(names):
            z.writestr(f"img_align_celeba/{name}", png_bytes(image_of(i, size)))
    lines = ["image_id," + ",".join(celeba.ATTRIBUTES)]
    lines += [f"{i + 1:06d}.jpg," + ",".join(map(str, r)) for i, r in enumerate(values)]
    (folder / "list_attr_celeba_10k.csv").write_text("\n".join(lines) + "\n")
    return values


def test_crop_split_and_attribute_table(isolated):
    values = make_mirror(isolated / "data" / "celeba", 6)
    (x, a), (xt, at) = celeba.load_data(isolated / "data", count=6, test_size=2)
    assert x.shape == (4, 3, 64, 64) and xt.shape == (2, 3, 64, 64) and x.dtype == np.uint8
    for i, face in enumerate(np.concatenate([x, xt])):
        np.testing.assert_array_equal(face.transpose(1, 2, 0), image_of(i)[22:86, 12:76])
    assert a.dtype.names == celeba.ATTRIBUTES and len(at) == 2
    k = celeba.ATTRIBUTES.index("Eyeglasses")
    np.testing.assert_array_equal(np.concatenate([a, at])["Eyeglasses"], values[:, k] > 0)
    m = celeba.attribute_matrix(at, ("Male", "Smiling"))
    assert m.shape == (2, 2) and m.dtype == np.float32
    np.testing.assert_array_equal(m[:, 1], values[4:, celeba.ATTRIBUTES.index("Smiling")] > 0)
    with pytest.raises(ValueError, match="unknown attributes"):
        celeba.attribute_matrix(a, ("Beard",))


def test_official_layout_is_halved_then_cropped(isolated):
    folder = isolated / "data" / "celeba"
    folder.mkdir(parents=True)
    values = rows_of(3, seed=1)
    with zipfile.ZipFile(folder / "img_align_celeba.zip", "w") as z:
        for i in range(3):
            z.writestr(f"img_align_celeba/{i + 1:06d}.jpg", png_bytes(image_of(i, (178, 218))))
    lines = ["202599", " ".join(celeba.ATTRIBUTES) + " "]
    lines += [f"{i + 1:06d}.jpg  " + " ".join(f"{v:2d}" for v in r) for i, r in enumerate(values)]
    (folder / "list_attr_celeba.txt").write_text("\r\n".join(lines) + "\r\n")
    (x, a), (xt, _) = celeba.load_data(isolated / "data", count=3, test_size=1)
    # 2x2 blocks of equal pixels: the box filter gives them back exactly
    np.testing.assert_array_equal(x[1].transpose(1, 2, 0), image_of(1)[22:86, 12:76])
    np.testing.assert_array_equal(a["Male"], values[:2, celeba.ATTRIBUTES.index("Male")] > 0)


def test_faces_are_cached_outside_the_data_folder_and_read_back(isolated, monkeypatch):
    data = isolated / "data"
    make_mirror(data / "faces" / "celeba", 3)
    before = sorted(p.name for p in (data / "faces" / "celeba").iterdir())
    x, _ = celeba.load_faces(data, count=3)
    assert sorted(p.name for p in (data / "faces" / "celeba").iterdir()) == before
    cached = list((isolated / "home" / ".cache" / "tinynet" / "datasets" / "celeba").iterdir())
    assert len(cached) == 1 and cached[0].suffix == ".npy"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(cached[0].stat().st_mode) == 0o666 & ~umask

    def no_decoding(*args):
        raise AssertionError("decoded again")

    monkeypatch.setattr(celeba, "decode_zip", no_decoding)
    x2, _ = celeba.load_faces(data, count=3)
    np.testing.assert_array_equal(x, x2)
    # a damaged entry is decoded again; another count is another entry
    monkeypatch.undo()
    monkeypatch.setenv("HOME", str(isolated / "home"))
    cached[0].write_bytes(b"not an npy file")
    np.testing.assert_array_equal(celeba.load_faces(data, count=3)[0], x)
    np.testing.assert_array_equal(celeba.load_faces(data, count=2)[0], x[:2])
    assert len(list(cached[0].parent.iterdir())) == 2
    # the table's order decides the faces: a reordered table is another entry, not the old faces
    table = data / "faces" / "celeba" / "list_attr_celeba_10k.csv"
    lines = table.read_text().splitlines()
    table.write_text("\n".join([lines[0], lines[2], lines[1], lines[3]]) + "\n")
    np.testing.assert_array_equal(celeba.load_faces(data, count=3)[0], x[[1, 0, 2]])


def test_missing_files_point_to_the_official_site(isolated):
    with pytest.raises(FileNotFoundError) as e:
        celeba.load_data(isolated / "nothing")
    text = str(e.value)
    assert celeba.OFFICIAL_SITE in text and "img_align_celeba.zip" in text
    assert str(isolated / "nothing" / "celeba") in text and "not be redistributed" in text


def test_bad_files_are_named(isolated):
    folder = isolated / "data" / "celeba"
    make_mirror(folder, 3)
    with pytest.raises(DatasetFileError, match="3 rows, fewer than the 4 asked for"):
        celeba.load_data(isolated / "data", count=4, test_size=1)
    with pytest.raises(ValueError, match="test_size must be in"):
        celeba.load_data(isolated / "data", count=3, test_size=3)
    with pytest.raises(ValueError, match="count must be a positive int, got 0"):
        celeba.load_data(isolated / "data", count=0)
    table = folder / "list_attr_celeba_10k.csv"
    text = table.read_text()
    table.write_text(text.replace("Eyeglasses", "Glasses"))
    with pytest.raises(DatasetFileError, match="not the 40 official ones"):
        celeba.load_faces(isolated / "data", count=3)
    table.write_text(text.replace(",-1", ",0", 1))
    with pytest.raises(DatasetFileError, match="row 1 is not an image name and 40 values") as e:
        celeba.load_faces(isolated / "data", count=3)
    # CelebA is never downloaded: the remedy is a good copy from the official site
    assert celeba.OFFICIAL_SITE in str(e.value) and "download" not in str(e.value)
    table.write_text("\n")
    with pytest.raises(DatasetFileError, match="holds no attribute names"):
        celeba.load_faces(isolated / "data", count=3)
    official = folder / "list_attr_celeba.txt"  # the official layout, cut after its count line
    official.write_text("202599\n")
    (folder / "img_align_celeba_10k_89x109.zip").rename(folder / "img_align_celeba.zip")
    with pytest.raises(DatasetFileError, match="list_attr_celeba.txt: holds no attribute names"):
        celeba.load_faces(isolated / "data", count=3)
    (folder / "img_align_celeba.zip").unlink()
    official.unlink()
    make_mirror(folder, 3, names=["000001.jpg", "000002.jpg", "000009.jpg"])
    with pytest.raises(DatasetFileError, match=r"holds no 000003.jpg \(row 3"):
        celeba.load_faces(isolated / "data", count=3)
    make_mirror(folder, 2, size=(90, 109))
    with pytest.raises(DatasetFileError, match="image of 90x109, expected 89x109"):
        celeba.load_faces(isolated / "data", count=2)
    with zipfile.ZipFile(folder / "img_align_celeba_10k_89x109.zip", "w") as z:
        z.writestr("img_align_celeba/000001.jpg", b"not a jpeg")
    with pytest.raises(DatasetFileError, match="000001.jpg: not a readable JPEG"):
        celeba.load_faces(isolated / "data", count=1)
    (folder / "img_align_celeba_10k_89x109.zip").write_bytes(b"PK truncated")
    with pytest.raises(DatasetFileError, match="not a readable zip"):
        celeba.load_faces(isolated / "data", count=1)


def real_folder():
    if not REAL_DATA:
        pytest.skip("TINYNET_DATA is not set: no CelebA to check")
    folder = Path(REAL_DATA) / "faces" / "celeba"
    if not (folder / "list_attr_celeba_10k.csv").is_file():
        pytest.skip(f"faces/celeba/ not under TINYNET_DATA={REAL_DATA}")
    return folder


@pytest.mark.data
def test_real_table_counts_and_a_handful_of_faces():
    folder = real_folder()
    names, attrs = celeba.read_attributes(folder / "list_attr_celeba_10k.csv", 10000)
    assert names[0] == "000001.jpg" and names[-1] == "010000.jpg"
    counts = {k: int(attrs[k].sum()) for k in ("Eyeglasses", "Smiling", "Male")}
    assert counts == {"Eyeglasses": 674, "Smiling": 4822, "Male": 4217}
    assert int((attrs["Eyeglasses"] & ~attrs["Male"]).sum()) == 150
    x = celeba.decode_zip(folder / "img_align_celeba_10k_89x109.zip", names[:8], (89, 109))
    assert x.shape == (8, 3, 64, 64) and x.dtype == np.uint8
    # aligned faces: the centre (nose, cheeks) is brighter and redder than the corners' mean
    centre = x[:, :, 24:40, 24:40].mean(axis=(0, 2, 3))
    assert centre[0] > centre[2] and 60 < centre.mean() < 220

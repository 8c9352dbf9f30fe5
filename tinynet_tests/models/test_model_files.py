"""Model files checked whole before anything is built (issue 18): every section of a tampered
header is a ModelFileError naming the file and the section; sizes are bounded by the file's own
arrays before allocating; NaN weights are refused. Saving writes through symlinks, keeps the
file's mode (the umask for a new one), refuses read-only targets and names the target."""

import json
import os
import stat

import numpy as np
import pytest

from tinynet.layers import Dense
from tinynet.models import Sequential, load_model
from tinynet.models.saving import ModelFileError, sweep_stale_temporaries


@pytest.fixture
def saved(tmp_path):
    model = Sequential([Dense(4, input_shape=(3,), activation="relu"), Dense(2)])
    model.compile("adam", "mse", metrics=["mae"])
    x = np.ones((4, 3), "float32")
    model.fit(x, np.zeros((4, 2), "float32"), verbose=0)
    path = tmp_path / "m.tnz"
    model.save(path)
    return path


def tamper(path, edit_header=None, edit_arrays=None):
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    header = json.loads(bytes(arrays.pop("tinynet_header")).decode())
    if edit_header:
        edit_header(header)
    if edit_arrays:
        edit_arrays(arrays)
    blob = np.frombuffer(json.dumps(header).encode(), np.uint8)
    with open(path, "wb") as f:
        np.savez(f, tinynet_header=blob, **arrays)


def _set(keys, value):
    def edit(h):
        d = h
        for k in keys[:-1]:
            d = d[k]
        if value is KeyError:
            del d[keys[-1]]
        else:
            d[keys[-1]] = value

    return edit


@pytest.mark.parametrize(
    "edit, section, message",
    [
        (_set(["weight_shapes"], KeyError), "weight_shapes", "is missing from the header"),
        (_set(["weight_shapes"], "3x4"), "weight_shapes", "must be a list"),
        (_set(["weight_shapes", 0], [3, 5]), "weight/0", r"has shape \(3, 4\), the header says"),
        (_set(["weight_names"], ["a"]), "weight_shapes", "has 4 shapes for 1 weight names"),
        (_set(["kind"], "mdoel"), "kind", "must be 'model' or 'weights'"),
        (_set(["compile", "loss"], "msee"), "compile", "unknown loss 'msee'"),
        (_set(["compile", "loss"], 3), "compile.loss", "must be a loss name"),
        (_set(["compile", "metrics"], "mae"), "compile.metrics", "must be a list"),
        (_set(["compile", "optimizer", "class_name"], "Adamm"), "compile.optimizer", "Adamm"),
        (_set(["compile", "optimizer", "config", "epsilon"], 0), "compile.optimizer", "epsilon"),
        (_set(["compile", "optimizer", "config", "bogus"], 1), "compile.optimizer", "bogus"),
        (_set(["compile", "optimizer", "iterations"], -1), "compile.optimizer.iterations", ">= 0"),
        (_set(["compile", "optimizer"], None), "compile.optimizer", "must be"),
        (_set(["model"], []), "model", "must be a dict"),
        (_set(["model", "config", "layers", 0], {"x": 1}), r"model.layers\[0\]", "class_name"),
        (_set(["input_shape"], [0]), "input_shape", "positive sizes"),
        (_set(["dtype"], "object"), "dtype", "must be 'float16'"),
        (
            _set(["model", "config", "layers", 1, "config", "units"], 1e12),
            r"model.layers\[1\].config.units",
            r"= 1000000000000.0 is larger than this file allows .* refused before allocating",
        ),
    ],
)
def test_every_section_is_checked_before_building(saved, edit, section, message):
    tamper(saved, edit)
    with pytest.raises(ModelFileError, match=f"m.tnz: {section}: .*{message}") as info:
        load_model(saved)
    assert str(saved) in str(info.value)


def test_a_bad_optimizer_slot_is_named(saved):
    def rename(arrays):
        arrays["optimizer/0/mm"] = arrays.pop("optimizer/0/m")

    tamper(saved, edit_arrays=rename)
    with pytest.raises(ModelFileError, match=r"optimizer/0/mm: slot 'mm' is not one of Adam's"):
        load_model(saved)

    def wrong_shape(arrays):
        del arrays["optimizer/0/mm"]
        arrays["optimizer/0/m"] = np.zeros(7, "float32")

    tamper(saved, edit_arrays=wrong_shape)
    with pytest.raises(ModelFileError, match=r"optimizer/0/m: .*weight 0 has shape \(3, 4\)"):
        load_model(saved)


def test_an_array_claiming_more_than_its_bytes_is_refused_before_reading(saved):
    import zipfile

    raw = bytearray(saved.read_bytes())
    with zipfile.ZipFile(saved) as z:
        info = z.getinfo("weight/2.npy")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    header = raw[start : start + 128]
    assert b"(4, 2)" in header
    i = raw.index(b"(4, 2)", start)
    raw[i : i + 6] = b"(9999,"[:6]  # same length: the zip stays readable, the CRC does not
    saved.write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match="m.tnz: weight/2: .*(claims shape|cannot be read)"):
        load_model(saved)


def test_nan_weights_are_refused_unless_allowed(saved):
    tamper(saved, edit_arrays=lambda a: a["weight/0"].__setitem__((0, 0), np.nan))
    with pytest.raises(ModelFileError, match=r"weight/0: \(dense_\d+/kernel\) holds 1 NaN or inf"):
        load_model(saved)
    model = load_model(saved, allow_nonfinite=True)
    assert np.isnan(model.get_weights()[0][0, 0])


def test_a_pickle_message_is_not_passed_on(tmp_path):
    bad = tmp_path / "bad.tnz"
    bad.write_bytes(b"\x80\x04garbage" * 10)
    with pytest.raises(ModelFileError, match="bad.tnz: not a readable tinynet model file") as info:
        load_model(bad)
    assert "pickle" not in str(info.value).replace(str(tmp_path), "")


# ----- saving -----
def test_save_writes_through_a_symlink(saved, tmp_path):
    link = tmp_path / "link.tnz"
    link.symlink_to(saved)
    load_model(saved).save(link)
    assert link.is_symlink() and os.path.realpath(link) == str(saved)


def test_save_keeps_the_mode_and_new_files_follow_the_umask(saved, tmp_path):
    os.chmod(saved, 0o600)
    model = load_model(saved)
    model.save(saved)
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600
    old = os.umask(0o027)
    try:
        model.save(tmp_path / "new.tnz")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "new.tnz").st_mode) == 0o640


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write any file")
def test_save_refuses_a_read_only_file(saved):
    os.chmod(saved, 0o444)
    before = saved.read_bytes()
    with pytest.raises(PermissionError, match=r"cannot save .*m.tnz: the file exists and is not"):
        load_model(saved).save(saved)
    assert saved.read_bytes() == before


def test_save_refuses_a_read_only_file_by_mode(saved, monkeypatch):
    """The same check as the test above, where root's os.access always says yes."""
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(PermissionError, match="is not writable"):
        load_model(saved).save(saved)


def test_errors_name_the_target_not_the_temporary_file(saved, tmp_path):
    target = tmp_path / "missing" / "m.tnz"
    with pytest.raises(FileNotFoundError, match=f"cannot save {target}: the folder") as info:
        load_model(saved).save(target)
    assert ".tmp" not in str(info.value)
    with pytest.raises(IsADirectoryError, match="over a folder"):
        load_model(saved).save(tmp_path)


def test_stale_temporaries_of_dead_writers_are_swept(saved, tmp_path):
    dead = tmp_path / ".m.tnz.999999999.abc.tmp"  # no such pid
    mine = tmp_path / f".m.tnz.{os.getppid()}.abc.tmp"  # a live process: kept
    other = tmp_path / ".n.tnz.999999999.abc.tmp"  # another target's: kept
    for p in (dead, mine, other):
        p.write_bytes(b"x")
    assert sweep_stale_temporaries(str(tmp_path), "m.tnz") == [str(dead)]
    assert mine.exists() and other.exists() and not dead.exists()
    dead.write_bytes(b"x")
    load_model(saved).save(saved)
    assert not dead.exists()


def test_a_deeply_nested_header_is_a_model_file_error(saved):
    with np.load(saved) as f:
        arrays = {k: f[k] for k in f.files if k != "tinynet_header"}
    text = '{"format": "tinynet-model", "deep": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with open(saved, "wb") as f:
        np.savez(f, tinynet_header=np.frombuffer(text.encode(), np.uint8), **arrays)
    with pytest.raises(ModelFileError, match="m.tnz: header: corrupt header"):
        load_model(saved)

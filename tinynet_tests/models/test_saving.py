"""Model files: round trip with identical predictions, training resumed identically, atomic
writes, no pickle, and clear errors naming the file for truncated, corrupt or foreign files."""

import json
import os
import zipfile

import numpy as np
import pytest

import tinynet as tn
from tinynet.layers import (
    Activation,
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    Conv2DTranspose,
    Dense,
    Dropout,
    Flatten,
    LeakyReLU,
    MaxPooling2D,
    Reshape,
    UpSampling2D,
    ZeroPadding2D,
)
from tinynet.models import Sequential, load_model, saving
from tinynet.models.saving import ModelFileError
from tinynet.optimizers import SGD, Adam, CosineDecay


def convnet():
    tn.seed(0)
    return Sequential(
        [
            Conv2D(4, 3, padding="same", input_shape=(1, 8, 8)),
            BatchNormalization(),
            LeakyReLU(0.2),
            MaxPooling2D(2),
            ZeroPadding2D(1),
            Conv2DTranspose(3, 3, strides=2, padding="same"),
            AveragePooling2D(2, padding="same"),
            UpSampling2D(2),
            Flatten(),
            Dropout(0.3),
            Dense(12, activation="tanh"),
            Reshape((3, 4)),
            Flatten(),
            Dense(3),
            Activation("softmax"),
        ]
    )


def data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 1, 8, 8)).astype("float32"), rng.integers(0, 3, n)


@pytest.fixture
def trained(tmp_path):
    x, y = data()
    model = convnet()
    model.compile(Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    path = tmp_path / "model.tnz"
    model.save(path)
    return model, path, x, y


def test_round_trip_gives_identical_predictions_and_config(trained):
    model, path, x, y = trained
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert loaded.get_config() == model.get_config()
    assert loaded.metrics_names == ["loss", "acc"] and isinstance(loaded.optimizer, Adam)
    assert loaded.optimizer.iterations == model.optimizer.iterations == 4
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)


def test_training_resumes_identically(trained):
    model, path, x, y = trained
    loaded = load_model(path)
    for m in (model, loaded):
        tn.seed(7)  # the dropout masks
        m.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_schedule_and_sgd_state_survive(tmp_path):
    x, y = data()
    model = convnet()
    model.compile(
        SGD(CosineDecay(0.1, 100), momentum=0.9, nesterov=True), "sparse_categorical_crossentropy"
    )
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    model.save(tmp_path / "m.tnz")
    loaded = load_model(tmp_path / "m.tnz")
    assert isinstance(loaded.optimizer.lr, CosineDecay)
    assert loaded.optimizer.current_lr() == model.optimizer.current_lr()
    velocity = [model.optimizer.state[id(w)]["velocity"] for w in model.trainable_weights]
    for v, w in zip(velocity, loaded.trainable_weights):
        np.testing.assert_array_equal(loaded.optimizer.state[id(w)]["velocity"], v)


def test_nested_models_and_compile_false(tmp_path):
    tn.seed(0)
    inner = Sequential([Dense(5, activation="relu", input_shape=(3,)), Dense(2)])
    outer = Sequential([inner, Activation("sigmoid")])
    outer.compile("sgd", "binary_crossentropy")
    outer.save(tmp_path / "n.tnz")
    loaded = load_model(tmp_path / "n.tnz", compile=False)
    assert loaded.loss is None and isinstance(loaded.layers[0], Sequential)
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    np.testing.assert_array_equal(loaded.predict(x), outer.predict(x))


def test_file_is_a_plain_npz_without_pickle(trained):
    _, path, _, _ = trained
    with np.load(path, allow_pickle=False) as f:
        header = json.loads(bytes(f["tinynet_header"]).decode())
        assert (
            header["format"] == "tinynet-model"
            and header["compile"]["loss"] == "sparse_categorical_crossentropy"
        )
        assert all(f[k].dtype != object for k in f.files)
        assert any(k.startswith("optimizer/") for k in f.files)


def test_save_is_atomic(trained, monkeypatch):
    model, path, x, _ = trained
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == ["model.tnz"]  # no temporary file left


def test_truncated_file(trained):
    _, path, _, _ = trained
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match=f"{path}: not a readable tinynet model file"):
        load_model(path)


def test_corrupt_entry(trained):
    _, path, _, _ = trained
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("weight/0.npy")
    raw = bytearray(path.read_bytes())
    offset = info.header_offset + 30 + len(info.filename) + len(info.extra) + 140
    raw[offset : offset + 8] = (
        b"\xff" * 8
    )  # inside the stored array bytes: the CRC no longer matches
    path.write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match=rf"{path}: .*weight/0"):
        load_model(path)


def test_foreign_files(tmp_path):
    npz = tmp_path / "arrays.npz"
    np.savez(npz, a=np.zeros(3), b=np.ones(2))
    with pytest.raises(ModelFileError, match=r"arrays.npz: not a tinynet model file .*holds: a, b"):
        load_model(npz)
    npy = tmp_path / "one.npy"
    np.save(npy, np.zeros(3))
    with pytest.raises(ModelFileError, match="one.npy: not a tinynet model file"):
        load_model(npy)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ModelFileError, match="notes.txt: not a readable"):
        load_model(text)
    with pytest.raises(FileNotFoundError, match="missing.tnz"):
        load_model(tmp_path / "missing.tnz")


def test_weights_only_files(tmp_path, trained):
    model, _, x, _ = trained
    model.save_weights(tmp_path / "w.tnz")
    fresh = convnet()
    fresh.load_weights(tmp_path / "w.tnz")
    np.testing.assert_array_equal(fresh.predict(x), model.predict(x))
    with pytest.raises(ModelFileError, match="only weights"):
        load_model(tmp_path / "w.tnz")
    small = Sequential([Dense(2, input_shape=(3,))])
    with pytest.raises(ModelFileError, match=r"w.tnz: holds 12 weights but model"):
        small.load_weights(tmp_path / "w.tnz")


def test_custom_loss_saves_without_compile(tmp_path):
    model = Sequential([Dense(2, input_shape=(3,))])
    model.compile("sgd", loss=lambda t, p: ((p - t) * (p - t)).mean())
    with pytest.warns(UserWarning, match="compile settings are not saved"):
        model.save(tmp_path / "c.tnz")
    assert load_model(tmp_path / "c.tnz").loss is None


def test_file_from_a_newer_version(tmp_path):
    header = np.frombuffer(
        json.dumps({"format": "tinynet-model", "version": 99}).encode(), np.uint8
    )
    np.savez(tmp_path / "new.tnz", tinynet_header=header)
    os.rename(tmp_path / "new.tnz.npz", tmp_path / "new.tnz")
    with pytest.raises(ModelFileError, match="newer tinynet"):
        saving.load_model(tmp_path / "new.tnz")

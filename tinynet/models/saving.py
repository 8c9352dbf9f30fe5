"""Model files: one NumPy .npz (zip) archive, never pickle.

Entries: ``tinynet_header`` (UTF-8 JSON as uint8: format, version, the architecture config, input
shape, dtype, weight names and shapes, compile settings with the optimizer's config and iteration
count), ``weight/<i>`` (the model's weights in ``model.weights`` order) and
``optimizer/<i>/<slot>`` (the optimizer's state for weight i). Written to a temporary file in the
same folder, then renamed over the target, so a crash never leaves half a file under the name.
"""

import json
import os
import tempfile
import warnings
import zipfile

import numpy as np

from ..backend import asnumpy
from ..training import optimizers
from .config import layer_config, layer_from_config

FORMAT, VERSION = "tinynet-model", 1
HEADER = "tinynet_header"


class ModelFileError(ValueError):
    """A model file that cannot be read: names the file and what is wrong with it."""

    def __init__(self, path, problem):
        self.path = os.fspath(path)
        super().__init__(f"{self.path}: {problem}")


def _compile_section(model):
    if model.loss is None:
        return None
    try:
        metrics = [m if isinstance(m, str) else m.get_config() for m in model._compile_spec]
        return {
            "loss": model.loss.get_config(),
            "metrics": metrics,
            "optimizer": optimizers.serialize(model.optimizer),
        }
    except ValueError as e:
        warnings.warn(
            f"save: the compile settings are not saved ({e}); load with compile=False "
            f"and compile again",
            UserWarning,
            stacklevel=4,
        )
        return None


def save_model(model, filepath, include_optimizer=True):
    model._require_built()
    weights = model.weights
    header = {
        "format": FORMAT,
        "version": VERSION,
        "kind": "model",
        "model": layer_config(model),
        "input_shape": list(model.input_shape),
        "dtype": model.dtype.name,
        "weight_names": model.weight_names(),
        "weight_shapes": [list(w.shape) for w in weights],
        "compile": _compile_section(model) if include_optimizer else None,
    }
    arrays = {f"weight/{i}": asnumpy(w.data) for i, w in enumerate(weights)}
    if header["compile"] is not None:
        for key, a in model.optimizer.state_arrays(weights).items():
            arrays[f"optimizer/{key}"] = asnumpy(a)
    _write_atomic(filepath, header, arrays)


def save_weights(model, filepath):
    model._require_built()
    weights = model.weights
    header = {
        "format": FORMAT,
        "version": VERSION,
        "kind": "weights",
        "weight_names": model.weight_names(),
        "weight_shapes": [list(w.shape) for w in weights],
    }
    _write_atomic(filepath, header, {f"weight/{i}": asnumpy(w.data) for i, w in enumerate(weights)})


def _write_atomic(filepath, header, arrays):
    path = os.fspath(filepath)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            blob = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
            np.savez(f, **{HEADER: blob}, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class _ModelFile:
    """Reads a model file, turning every failure into a ModelFileError naming the file."""

    def __init__(self, filepath):
        self.path = os.fspath(filepath)
        if not os.path.exists(self.path):
            raise FileNotFoundError(f"{self.path}: no such model file")
        try:
            self.npz = np.load(self.path, allow_pickle=False)
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
            raise ModelFileError(
                self.path,
                f"not a readable tinynet model file (truncated, corrupt or another format: {e})",
            ) from None
        if not isinstance(self.npz, np.lib.npyio.NpzFile):
            raise ModelFileError(
                self.path, "not a tinynet model file (it holds a single .npy array)"
            )
        if HEADER not in self.npz.files:
            self.npz.close()
            shown = ", ".join(self.npz.files[:5]) + (" ..." if len(self.npz.files) > 5 else "")
            raise ModelFileError(
                self.path,
                f"not a tinynet model file (an .npz archive without a "
                f"tinynet header; it holds: {shown or 'nothing'})",
            )
        try:
            self.header = json.loads(bytes(self.array(HEADER)).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ModelFileError(self.path, f"corrupt header ({e})") from None
        if self.header.get("format") != FORMAT:
            raise ModelFileError(self.path, f"unknown format {self.header.get('format')!r}")
        if self.header.get("version", 0) > VERSION:
            raise ModelFileError(
                self.path,
                f"written by a newer tinynet (file format version "
                f"{self.header.get('version')}, this one reads {VERSION})",
            )

    def array(self, key):
        try:
            return self.npz[key]
        except KeyError:
            raise ModelFileError(
                self.path, f"entry {key!r} is missing (truncated or corrupt file)"
            ) from None
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
            raise ModelFileError(
                self.path, f"entry {key!r} cannot be read (corrupt file: {e})"
            ) from None

    def weights(self):
        shapes = self.header["weight_shapes"]
        out = []
        for i, shape in enumerate(shapes):
            a = self.array(f"weight/{i}")
            if list(a.shape) != list(shape):
                raise ModelFileError(
                    self.path,
                    f"weight {i} ({self.header['weight_names'][i]}) has "
                    f"shape {a.shape}, the header says {tuple(shape)}",
                )
            out.append(a)
        return out

    def close(self):
        self.npz.close()


def _set_weights(model, f):
    values = f.weights()
    weights = model.weights
    if len(values) != len(weights):
        raise ModelFileError(
            f.path, f"holds {len(values)} weights but model {model.name!r} has {len(weights)}"
        )
    for w, v, name in zip(weights, values, f.header["weight_names"]):
        if w.shape != v.shape:
            raise ModelFileError(
                f.path, f"weight {name} has shape {v.shape} but the model's is {w.shape}"
            )
    model.set_weights(values)


def load_model(filepath, compile=True):
    f = _ModelFile(filepath)
    try:
        if f.header.get("kind") != "model":
            raise ModelFileError(
                f.path,
                "holds only weights (saved by save_weights); build the model "
                "and call model.load_weights",
            )
        try:
            model = layer_from_config(f.header["model"])
            if not model.built:
                model.build(tuple(f.header["input_shape"]), f.header["dtype"])
        except (KeyError, TypeError, ValueError) as e:
            raise ModelFileError(f.path, f"the architecture cannot be rebuilt ({e})") from None
        _set_weights(model, f)
        spec = f.header.get("compile")
        if compile and spec is not None:
            model.compile(
                optimizer=optimizers.from_config(spec["optimizer"]),
                loss=spec["loss"],
                metrics=spec["metrics"],
            )
            prefix = "optimizer/"
            state = {k[len(prefix) :]: f.array(k) for k in f.npz.files if k.startswith(prefix)}
            model.optimizer.load_state(model.weights, state, spec["optimizer"].get("iterations", 0))
        return model
    finally:
        f.close()


def load_weights(model, filepath):
    f = _ModelFile(filepath)
    try:
        model._require_built()
        _set_weights(model, f)
    finally:
        f.close()

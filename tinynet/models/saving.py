"""Model files: one NumPy .npz (zip) archive, never pickle.

Entries: ``tinynet_header`` (UTF-8 JSON as uint8: format, version, the architecture config, input
shape, dtype, weight names and shapes, compile settings with the optimizer's config and iteration
count), ``weight/<i>`` (the model's weights in ``model.weights`` order) and
``optimizer/<i>/<slot>`` (the optimizer's state for weight i); a checkpoint adds ``run_state`` to
the header. Written to a temporary file in the same folder (``.<name>.<pid>.<random>.tmp``), then
renamed over the target, so a crash never leaves half a file under the name; the next save into
the folder removes the temporary files of writers that are gone.

Reading validates the whole file before building anything (see ``_ModelFile``); every fault is a
ModelFileError naming the file and the section. Weights holding NaN or inf are refused (a model
that diverged would otherwise load and predict NaN silently); ``allow_nonfinite=True`` loads them.
"""

import errno
import json
import math
import numbers
import os
import stat
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
    """A model file that cannot be read: names the file, the section of it at fault (``section``:
    e.g. "weight_shapes", "compile.optimizer", "weight/3") and what is wrong with it."""

    def __init__(self, path, problem, section=None):
        self.path, self.section = os.fspath(path), section
        super().__init__(f"{self.path}: {section + ': ' if section else ''}{problem}")


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


def save_model(model, filepath, include_optimizer=True, run_state=None):
    """Write ``model`` to ``filepath``; ``run_state`` (a JSON-able dict, e.g. a checkpoint's
    epochs and history) goes into the same header, so model and state are committed together."""
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
    if run_state is not None:
        header["run_state"] = run_state
    arrays = {f"weight/{i}": asnumpy(w.data) for i, w in enumerate(weights)}
    if header["compile"] is not None:
        for key, a in model.optimizer.state_arrays(weights).items():
            arrays[f"optimizer/{key}"] = asnumpy(a)
    _write_atomic(filepath, header, arrays)


def save_weights(model, filepath):
    model._require_built()
    save_arrays(filepath, model.weight_names(), [w.data for w in model.weights])


def save_arrays(filepath, names, arrays, extra=None):
    """Write float arrays under their names as a weights file (atomically, like save_model);
    ``extra``, a JSON-able dict, joins the header. load_arrays reads it back."""
    arrays = [asnumpy(a) for a in arrays]
    if len(names) != len(arrays):
        raise ValueError(f"save_arrays: {len(names)} names for {len(arrays)} arrays")
    header = {
        **(extra or {}),
        "format": FORMAT,
        "version": VERSION,
        "kind": "weights",
        "weight_names": list(names),
        "weight_shapes": [list(a.shape) for a in arrays],
    }
    _write_atomic(filepath, header, {f"weight/{i}": a for i, a in enumerate(arrays)})


def load_arrays(filepath, allow_nonfinite=False):
    """(header, [(name, array)]) of a weights file, the whole file validated first; faults are
    ModelFileErrors naming the file."""
    f = _ModelFile(filepath)
    try:
        return f.header, list(zip(f.header["weight_names"], f.weights(allow_nonfinite)))
    finally:
        f.close()


def _write_atomic(filepath, header, arrays):
    """Write the archive to a temporary file beside the target, then rename it over the target.

    A symlink is written through (its target is replaced, the link stays); an existing file keeps
    its permission bits and a new one gets 0666 minus the umask, as open() would; a file the user
    cannot write is refused, as open() would. The temporary name carries the writer's pid, so the
    temporary files of writers killed mid-save are swept by the next save into the folder."""
    path = os.fspath(filepath)
    target = os.path.realpath(path)
    folder = os.path.dirname(target)
    if os.path.isdir(target):
        raise IsADirectoryError(errno.EISDIR, f"cannot save a model over a folder: {path}", path)
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            errno.ENOENT, f"cannot save {path}: the folder {folder} does not exist", path
        )
    if os.path.exists(target):
        if not os.access(target, os.W_OK):
            raise PermissionError(
                errno.EACCES,
                f"cannot save {path}: the file exists and is not writable (mode "
                f"{stat.S_IMODE(os.stat(target).st_mode):04o}); chmod it or save elsewhere",
                path,
            )
        mode = stat.S_IMODE(os.stat(target).st_mode)
    else:
        mode = 0o666 & ~_umask()
    base = os.path.basename(target)
    sweep_stale_temporaries(folder, base)
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{base}.{os.getpid()}.", suffix=".tmp")
    except OSError as e:
        raise type(e)(e.errno, f"cannot save {path}: {e.strerror}", path) from None
    try:
        with os.fdopen(fd, "wb") as f:
            blob = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
            np.savez(f, **{HEADER: blob}, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(e, OSError) and e.errno is not None and path not in str(e):
            raise type(e)(e.errno, f"cannot save {path}: {e.strerror}", path) from e
        raise
    _fsync_folder(folder)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_folder(folder):
    """Make the rename itself durable (best effort: not every system opens folders)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def sweep_stale_temporaries(folder, base):
    """Remove ``.<base>.<pid>.*.tmp`` files in ``folder`` whose writer process is gone (saves
    killed before their rename); returns the removed paths."""
    prefix = f".{base}."
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        pid = name[len(prefix) :].split(".", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        try:
            os.unlink(os.path.join(folder, name))
            removed.append(os.path.join(folder, name))
        except OSError:
            pass
    return removed


class _ModelFile:
    """Reads a model file, turning every failure into a ModelFileError naming the file.

    Opening checks the whole header against the format (``validate``) before anything is built:
    the sections' types, the entries' shapes and dtypes read from their .npy headers (their data
    is not loaded), each entry's claimed size against the bytes it occupies, and every size in
    the architecture against the number of weight values the file holds, so a tampered file
    cannot make load allocate more than the file itself could fill."""

    def __init__(self, filepath):
        self.path = os.fspath(filepath)
        if not os.path.exists(self.path):
            raise FileNotFoundError(f"{self.path}: no such model file")
        if os.path.isdir(self.path):
            raise ModelFileError(self.path, "is a folder, not a tinynet model file")
        try:
            self.npz = np.load(self.path, allow_pickle=False)
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
            # NumPy's own message about allow_pickle would mislead: nothing is unpickled
            detail = "not an .npz archive" if "pickle" in str(e) else str(e)
            raise ModelFileError(
                self.path,
                f"not a readable tinynet model file (truncated, corrupt or another format: "
                f"{detail})",
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
        try:  # every entry's claimed size checked before any entry (the header too) is read
            self.entries = self._entry_headers()
        except BaseException:
            self.npz.close()
            raise
        try:
            self.header = json.loads(bytes(self.array(HEADER)).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
            self.npz.close()
            raise ModelFileError(
                self.path, f"corrupt header ({type(e).__name__}: {e})", "header"
            ) from None
        except ModelFileError:
            self.npz.close()
            raise
        try:
            self.validate()
        except BaseException:
            self.npz.close()
            raise

    def fail(self, section, problem):
        raise ModelFileError(self.path, problem, section)

    # ----- the schema -----
    def validate(self):
        h = self.header
        if not isinstance(h, dict):
            self.fail("header", f"must be a JSON object, got {type(h).__name__}")
        if h.get("format") != FORMAT:
            raise ModelFileError(self.path, f"unknown format {h.get('format')!r}")
        version = h.get("version", 0)
        if not _is_int(version):
            self.fail("version", f"must be an integer, got {version!r}")
        if version > VERSION:
            raise ModelFileError(
                self.path,
                f"written by a newer tinynet (file format version "
                f"{h.get('version')}, this one reads {VERSION})",
            )
        kind = h.get("kind")
        if kind not in ("model", "weights"):
            self.fail("kind", f"must be 'model' or 'weights', got {kind!r}")
        names, shapes = (
            self._required(h, "weight_names", list),
            self._required(h, "weight_shapes", list),
        )
        if not all(isinstance(n, str) for n in names):
            self.fail("weight_names", "must be a list of strings")
        if len(names) != len(shapes):
            self.fail("weight_shapes", f"has {len(shapes)} shapes for {len(names)} weight names")
        total = 0
        for i, shape in enumerate(shapes):
            if not isinstance(shape, list) or not all(_is_int(d) and d >= 0 for d in shape):
                self.fail("weight_shapes", f"entry {i} must be a list of sizes, got {shape!r}")
            key = f"weight/{i}"
            if key not in self.entries:
                self.fail(key, "is missing (truncated or corrupt file)")
            got, dtype = self.entries[key]
            if list(got) != shape:
                self.fail(key, f"({names[i]}) has shape {got}, the header says {tuple(shape)}")
            if dtype.kind != "f":
                self.fail(key, f"({names[i]}) has dtype {dtype}, expected a float dtype")
            total += math.prod(shape)
        extra = [
            k
            for k in self.entries
            if k.startswith("weight/") and k[7:] not in {str(i) for i in range(len(shapes))}
        ]
        if extra:
            self.fail(extra[0], f"is not listed in weight_shapes ({len(shapes)} weights)")
        self.total = total
        if kind == "model":
            self._validate_model(h, total)
            self._validate_compile(h, shapes)

    def _required(self, h, key, kind):
        if key not in h:
            self.fail(key, "is missing from the header")
        if not isinstance(h[key], kind):
            self.fail(key, f"must be a {kind.__name__}, got {type(h[key]).__name__}")
        return h[key]

    def _entry_headers(self):
        """{entry name: (shape, dtype)} from each .npy member's header, checking that its data
        fits in the bytes the member occupies."""
        out = {}
        zf = self.npz.zip
        for name in self.npz.files:
            member = name + ".npy"
            try:
                info = zf.getinfo(member)
                with zf.open(member) as fp:
                    version = np.lib.format.read_magic(fp)
                    if version == (1, 0):
                        shape, _, dtype = np.lib.format.read_array_header_1_0(fp)
                    else:
                        shape, _, dtype = np.lib.format.read_array_header_2_0(fp)
            except (KeyError, ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
                self.fail(name, f"cannot be read (corrupt file: {e})")
            if dtype.hasobject:
                self.fail(name, "holds Python objects (never in a tinynet file)")
            if math.prod(shape) * dtype.itemsize > info.file_size:
                self.fail(
                    name,
                    f"claims shape {shape} ({math.prod(shape) * dtype.itemsize:,} bytes) but "
                    f"holds {info.file_size:,} bytes",
                )
            out[name] = (tuple(shape), dtype)
        return out

    def _validate_model(self, h, total):
        spec = self._required(h, "model", dict)
        self._layer_spec(spec, "model")
        shape = self._required(h, "input_shape", list)
        if not shape or not all(_is_int(d) and d > 0 for d in shape):
            self.fail("input_shape", f"must be a list of positive sizes, got {shape!r}")
        dtype = h.get("dtype")
        if dtype not in ("float16", "float32", "float64"):
            self.fail("dtype", f"must be 'float16', 'float32' or 'float64', got {dtype!r}")
        # Every size in the architecture is bounded by the weight values the file holds (a
        # layer's weights are at least as many as its units or filters); input sizes by a
        # generous floor, so a tampered config cannot make build allocate more than that.
        bound = max(total, SIZE_FLOOR)
        for where, value in _numbers(spec["config"], "model"):
            if abs(value) > bound:
                self.fail(
                    where,
                    f"= {value!r} is larger than this file allows (its {total:,} weight values; "
                    f"a tampered or corrupt file): refused before allocating",
                )
        big = math.prod(shape)
        if big > max(bound, SIZE_FLOOR**2):
            self.fail("input_shape", f"{shape} ({big:,} values per sample) is implausibly large")

    def _layer_spec(self, spec, where):
        if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str):
            self.fail(where, "must be {'class_name': str, 'config': {...}}")
        if not isinstance(spec.get("config"), dict):
            self.fail(f"{where}.config", f"must be an object, got {spec.get('config')!r}")
        for i, sub in enumerate(spec["config"].get("layers") or []):
            self._layer_spec(sub, f"{where}.layers[{i}]")

    def _validate_compile(self, h, shapes):
        spec = h.get("compile")
        if spec is None:
            return
        if not isinstance(spec, dict):
            self.fail("compile", f"must be an object or null, got {type(spec).__name__}")
        loss = spec.get("loss")
        if not isinstance(loss, str):
            self.fail("compile.loss", f"must be a loss name, got {loss!r}")
        # the name itself is resolved by the model's compile (a model may bring its own loss)
        metrics = spec.get("metrics", [])
        if not isinstance(metrics, list) or not all(isinstance(m, (str, dict)) for m in metrics):
            self.fail("compile.metrics", f"must be a list of metric names, got {metrics!r}")
        opt = spec.get("optimizer")
        if not isinstance(opt, dict) or not isinstance(opt.get("config"), dict):
            self.fail("compile.optimizer", f"must be {{'class_name', 'config'}}, got {opt!r}")
        iterations = opt.get("iterations", 0)
        if not _is_int(iterations) or iterations < 0:
            self.fail(
                "compile.optimizer.iterations", f"must be an integer >= 0, got {iterations!r}"
            )
        try:
            self.optimizer = optimizers.from_config(opt)
        except (TypeError, ValueError, KeyError) as e:
            self.fail("compile.optimizer", f"cannot be rebuilt ({e})")
        slots = set(self.optimizer.slot_names())
        for key, (shape, dtype) in self.entries.items():
            if not key.startswith("optimizer/"):
                continue
            parts = key.split("/")
            if len(parts) != 3 or not parts[1].isdigit() or int(parts[1]) >= len(shapes):
                self.fail(key, f"is not optimizer/<weight index < {len(shapes)}>/<slot>")
            if parts[2] not in slots:
                self.fail(
                    key,
                    f"slot {parts[2]!r} is not one of {type(self.optimizer).__name__}'s "
                    f"({', '.join(sorted(slots)) or 'none'})",
                )
            if list(shape) != shapes[int(parts[1])] or dtype.kind != "f":
                self.fail(
                    key,
                    f"has shape {shape} and dtype {dtype}; weight {parts[1]} has shape "
                    f"{tuple(shapes[int(parts[1])])}",
                )

    # ----- reading -----
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

    def weights(self, allow_nonfinite=False):
        names = self.header["weight_names"]
        out = []
        for i in range(len(self.header["weight_shapes"])):
            a = self.array(f"weight/{i}")
            if not allow_nonfinite and not np.isfinite(a).all():
                bad = int(a.size - np.isfinite(a).sum())
                self.fail(
                    f"weight/{i}",
                    f"({names[i]}) holds {bad} NaN or inf values of {a.size}; refused (a model "
                    f"that diverged?); load_model(..., allow_nonfinite=True) loads it anyway",
                )
            out.append(a)
        return out

    def close(self):
        self.npz.close()


SIZE_FLOOR = 1 << 16  # sizes up to this are always allowed in an architecture


def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _numbers(obj, where):
    """(path, value) of every number in a config, seeds excepted (they are not sizes)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if "seed" not in str(k):
                yield from _numbers(v, f"{where}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _numbers(v, f"{where}[{i}]")
    elif isinstance(obj, numbers.Real) and not isinstance(obj, bool):
        if not math.isfinite(obj):
            return
        yield where, obj


def _set_weights(model, f, allow_nonfinite=False):
    values = f.weights(allow_nonfinite)
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


def read_header(filepath):
    """The validated header of a model file (a dict), without building the model."""
    f = _ModelFile(filepath)
    f.close()
    return f.header


def load_model(filepath, compile=True, allow_nonfinite=False):
    """The model saved in ``filepath`` (weights, and the compile settings with the optimizer's
    state unless ``compile=False``). The whole file is validated first; any fault is a
    ModelFileError naming the file and its section. Weights holding NaN or inf are refused
    unless ``allow_nonfinite``."""
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
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise ModelFileError(
                f.path, f"the architecture cannot be rebuilt ({e})", "model"
            ) from None
        _set_weights(model, f, allow_nonfinite)
        spec = f.header.get("compile")
        if compile and spec is not None:
            try:
                model.compile(optimizer=f.optimizer, loss=spec["loss"], metrics=spec["metrics"])
            except (KeyError, TypeError, ValueError) as e:
                raise ModelFileError(f.path, f"cannot be applied ({e})", "compile") from None
            prefix = "optimizer/"
            state = {k[len(prefix) :]: f.array(k) for k in f.npz.files if k.startswith(prefix)}
            model.optimizer.load_state(model.weights, state, spec["optimizer"].get("iterations", 0))
        return model
    finally:
        f.close()


def load_weights(model, filepath, allow_nonfinite=False):
    f = _ModelFile(filepath)
    try:
        model._require_built()
        _set_weights(model, f, allow_nonfinite)
    finally:
        f.close()

"""The Python blocks of README.md and docs/*.md run as written, so they cannot drift.

Convention: a block fenced ```python runs; one fenced ```python no-run is shown only (a block
that needs a GPU, a long run or files a reader does not have). The blocks of one file run in
order in one namespace, like a reader pasting them into one session, in a scratch folder (what
they save lands there). Fast settings, applied while they run and nowhere else: the dataset
loaders (tinynet.datasets mnist, cifar10, fsdd, and keras.datasets through them) return 512
training and 128 test samples spread over the split, and every fit (Trainer.fit, GAN.fit) runs
one epoch. Blocks that need no data run everywhere; files with blocks that load a dataset are
skipped without $TINYNET_DATA.
"""

import functools
import os
import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^```(\S*)[ \t]*(.*)$")
FAST_SAMPLES = (512, 128)  # per split: training, test
DATA_HINT = re.compile(r"\.load_data\(")


def blocks(path):
    """[(line, info, source)]: the fenced blocks of a markdown file; ``line`` is the 1-based
    line of the first code line, ``info`` the fence's words ('python', 'python no-run')."""
    out, current = [], None
    for i, text in enumerate(path.read_text().splitlines(), 1):
        m = FENCE.match(text.strip()) if text.lstrip().startswith("```") else None
        if current is None and m:
            current = (i + 1, f"{m.group(1)} {m.group(2)}".strip(), [])
        elif current is not None and text.strip() == "```":
            out.append((current[0], current[1], "\n".join(current[2]) + "\n"))
            current = None
        elif current is not None:
            current[2].append(text)
    return out


def runnable(path):
    """The blocks that run: fenced ```python without 'no-run'."""
    return [(line, src) for line, info, src in blocks(path) if info.split() == ["python"]]


def doc_files():
    return [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))


def _spread(value, n):
    """The first-level arrays / lists of a loader's result cut to n items spread evenly over
    them (a split sorted by label keeps every label)."""
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a namedtuple
        return type(value)(*(_spread(v, n) for v in value))
    if isinstance(value, tuple):
        return tuple(_spread(v, n) for v in value)
    if isinstance(value, (np.ndarray, list)) and len(value) > n:
        idx = np.linspace(0, len(value) - 1, n).astype(int)
        return value[idx] if isinstance(value, np.ndarray) else [value[i] for i in idx]
    return value


def _small_loader(load):
    @functools.wraps(load)
    def small(*args, **kwargs):
        data = load(*args, **kwargs)
        if isinstance(data, tuple) and len(data) == 2:
            return tuple(_spread(split, n) for split, n in zip(data, FAST_SAMPLES))
        return data

    return small


def _one_epoch(fit):
    @functools.wraps(fit)
    def short(self, *args, **kwargs):
        if "epochs" in kwargs:
            kwargs["epochs"] = min(int(kwargs["epochs"]), 1)
        elif len(args) >= 4:  # fit(x, y, batch_size, epochs, ...)
            args = args[:3] + (min(int(args[3]), 1),) + args[4:]
        return fit(self, *args, **kwargs)

    return short


@pytest.fixture
def fast(monkeypatch, tmp_path):
    """The fast settings of the module docstring, in a scratch working folder."""
    import importlib

    for name in ("mnist", "cifar10", "fsdd"):
        try:
            module = importlib.import_module(f"tinynet.datasets.{name}")
        except ImportError:
            continue
        if hasattr(module, "load_data"):
            monkeypatch.setattr(module, "load_data", _small_loader(module.load_data))
    from tinynet.training.trainer import Trainer

    monkeypatch.setattr(Trainer, "fit", _one_epoch(Trainer.fit))
    from tinynet.gan import gan_model

    if "fit" in vars(gan_model.GAN):
        monkeypatch.setattr(gan_model.GAN, "fit", _one_epoch(gan_model.GAN.fit))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return tmp_path


def run_blocks(path):
    """Run the file's runnable blocks in order in one namespace -> number run; a failing block
    is reported with its file and line (the traceback points into the markdown file)."""
    namespace = {"__name__": "__docs__"}
    done = 0
    for line, src in runnable(path):
        code = compile("\n" * (line - 1) + src, str(path), "exec")
        try:
            exec(code, namespace)
        except Exception as e:
            rel = path.relative_to(ROOT)
            raise AssertionError(
                f"{rel}: the python block at line {line} fails: {type(e).__name__}: {e}\n"
                f"(make it run with the fast settings of tinynet_tests/test_docs.py, or fence it "
                f"```python no-run)"
            ) from e
        done += 1
    return done


def _cases():
    """One case per file; those whose blocks train (call fit) take tens of seconds: slow."""
    for path in doc_files():
        trains = any(".fit(" in src for _, src in runnable(path))
        yield pytest.param(
            path,
            id=str(path.relative_to(ROOT)),
            marks=[pytest.mark.slow] if trains else [],
        )


@pytest.mark.parametrize("path", list(_cases()))
def test_python_blocks_run(path, fast, capsys):
    found = runnable(path)
    if not found:
        pytest.skip(f"{path.name} has no python block to run")
    if any(DATA_HINT.search(src) for _, src in found) and not os.environ.get("TINYNET_DATA"):
        pytest.skip(f"{path.name}'s blocks load data sets: set TINYNET_DATA")
    import matplotlib.pyplot as plt

    try:
        done = run_blocks(path)
    finally:
        plt.close("all")
    with capsys.disabled():
        print(f"\n{path.relative_to(ROOT)}: {done} python blocks run", end="")
    assert done == len(found)


def test_the_readme_shows_runnable_code():
    readme = ROOT / "README.md"
    assert len(runnable(readme)) >= 5
    fences = [info.split()[0] if info else "" for _, info, _ in blocks(readme)]
    assert set(fences) <= {"python", "bash", ""}, fences  # a typo such as ```pyhton would hide


def test_block_parser_and_fast_settings(tmp_path):
    md = tmp_path / "case.md"
    md.write_text("a\n```python\nx = 1\n```\n```python no-run\ny = 2\n```\n```bash\nls\n```\n")
    assert blocks(md) == [
        (3, "python", "x = 1\n"),
        (6, "python no-run", "y = 2\n"),
        (9, "bash", "ls\n"),
    ]
    assert runnable(md) == [(3, "x = 1\n")]
    ((x, y), (xt, yt)) = _small_loader(
        lambda: ((np.arange(1000), np.arange(1000) // 100), (np.arange(300), [0] * 300))
    )()
    assert len(x) == 512 and len(xt) == 128 and set(y) == set(range(10)) and len(yt) == 128

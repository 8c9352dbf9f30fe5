"""The whole benchmark run: kernels and training steps on each asked-for device, with PyTorch
(and Chainer, when it imports) beside tinynet; returns one JSON-ready dict."""

import datetime
import os
import statistics
import subprocess
import time
from dataclasses import asdict
from pathlib import Path

from tinynet import backend

from . import chainer_child, memory
from .common import array_module, chainer_or_none, strict_float32, torch_sync, torch_usable
from .kernels import KernelBench
from .steps import STEPS, step_batch
from .timing import machine, synchronize, torch_or_none

SCHEMA = 1


def _load():
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def _git_state():
    """The commit of the checkout and whether tinynet/ or benchmarks/ differ
    from it (None when this is not a git checkout)."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            text=True,
            capture_output=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "tinynet", "benchmarks"],
            cwd=root,
            text=True,
            capture_output=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": head, "modified": bool(changed)}


def available_devices(asked):
    """(devices to measure, {device: reason skipped}) for --device cpu|gpu|all."""
    wanted = ["gpu", "cpu"] if asked == "all" else [asked]  # the GPU first: the scarcer machine
    devices, skipped = [], {}
    for d in wanted:
        if d == "gpu" and not backend.gpu_available():
            skipped["gpu"] = (
                "CuPy is not installed" if backend.cupy is None else "CuPy sees no CUDA device"
            )
        else:
            devices.append(d)
    return devices, skipped


def time_in_turns(calls, repeats, warmup, settle=0.0, turns=2):
    """{name: (fn, wait)} -> {name: [seconds of each timed call]}.

    Each framework runs a block of calls alone (warm-up, then timed calls), in ``turns``
    passes of alternating order, A B ... then ... B A, then A B ..., the repeats shared among
    the passes: a drift of the machine's speed (a shared machine has slow spells of seconds)
    touches every framework alike, while no framework's timed calls follow another's directly
    (PyTorch's and BLAS's idle worker threads and cold caches would make call-by-call turns
    unfair).
    """
    names, times = list(calls), {name: [] for name in calls}
    for turn in range(turns):
        count = repeats * (turn + 1) // turns - repeats * turn // turns
        if count == 0:
            continue
        for name in names if turn % 2 == 0 else names[::-1]:
            fn, wait = calls[name]
            time.sleep(settle)
            for _ in range(warmup):
                fn()
            wait()
            for _ in range(count):
                t0 = time.perf_counter()
                fn()
                wait()
                times[name].append(time.perf_counter() - t0)
    return times


def _guarded(make, errors, name):
    try:
        return make()
    except Exception as e:  # a framework that cannot build the step is reported, not fatal
        errors[name] = f"{type(e).__name__}: {e}"
        return None


def run_step(module, device, cfg, torch, chainer, log, chainer_python=None):
    """Time one training step in every framework available on ``device``; memory too."""
    batch = step_batch(module, cfg)
    xp = array_module(device)
    row = {"step": module.NAME, "title": module.TITLE, "batch": batch, "device": device}
    errors, calls = {}, {}
    fn = _guarded(lambda: module.make_tinynet(xp, batch), errors, "tinynet")
    if fn is not None:
        calls["tinynet"] = (fn, lambda: synchronize(xp))
    if torch_usable(torch, device):
        tfn = _guarded(lambda: module.make_torch(torch, device, batch), errors, "torch")
        if tfn is not None:
            calls["torch"] = (tfn, torch_sync(torch, device) or (lambda: None))
    if chainer is not None and device == "cpu" and hasattr(module, "make_chainer"):
        cfn = _guarded(lambda: module.make_chainer(chainer, batch), errors, "chainer")
        if cfn is not None:
            calls["chainer"] = (cfn, lambda: None)
    try:
        times = time_in_turns(calls, cfg.repeats, cfg.warmup, cfg.settle_s, cfg.turns)
    except Exception as e:
        times, errors["timing"] = {}, f"{type(e).__name__}: {e}"
    for name in ("tinynet", "torch", "chainer"):
        row[f"{name}_ms"] = statistics.median(times[name]) * 1e3 if name in times else None
        if name in times:
            row[f"{name}_min_ms"] = min(times[name]) * 1e3
    if chainer is None and chainer_python and device == "cpu" and hasattr(module, "make_chainer"):
        got = chainer_child.time_in(chainer_python, batch, cfg.repeats, cfg.warmup)
        if "error" in got:
            errors["chainer"] = got["error"]
        else:
            row["chainer_ms"] = got["chainer_ms"]
            row["chainer_env"] = dict(
                python=str(chainer_python), chainer=got["chainer"], numpy=got["numpy"]
            )
    ours = row["tinynet_ms"]
    row["ratio"] = ours / row["torch_ms"] if ours and row["torch_ms"] else None
    fastest = row.get("tinynet_min_ms"), row.get("torch_min_ms")
    row["fastest_ratio"] = fastest[0] / fastest[1] if all(fastest) else None
    row["chainer_ratio"] = ours / row["chainer_ms"] if ours and row["chainer_ms"] else None
    if cfg.memory:
        row["memory"] = step_memory(module, device, batch, calls, torch)
    if errors:
        row["errors"] = errors
    log(
        f"  {module.NAME:<10} {device}: tinynet {_fmt(ours)} ms, PyTorch "
        + (f"{_fmt(row['torch_ms'])} ms" if torch is not None else "not installed")
        + (f", ratio {row['ratio']:.2f}x" if row["ratio"] else "")
        + (f", Chainer {_fmt(row['chainer_ms'])} ms" if row["chainer_ms"] else "")
        + (f"  errors: {errors}" if errors else "")
    )
    return row


def step_memory(module, device, batch, calls, torch):
    out = {}
    for name in calls:
        try:
            if device == "cpu":
                out[name] = memory.cpu_peak(module.NAME, name, batch)
            elif name == "tinynet":
                out[name] = memory.gpu_peak_cupy(calls[name][0])
            elif name == "torch":
                out[name] = memory.gpu_peak_torch(torch, calls[name][0])
        except Exception as e:
            out[name] = {"error": f"{type(e).__name__}: {e}"}
    return out


def _fmt(v):
    return "-" if v is None else f"{v:.1f}"


def run_suite(
    cfg,
    device="all",
    parts=("kernels", "steps"),
    steps=None,
    log=print,
    chainer_python=None,
    on_device_done=None,
):
    """Measure everything asked for; returns the results dict (see report.py for its use).
    ``chainer_python``: an interpreter with Chainer, used when Chainer does not import here.
    ``on_device_done(results)`` is called after each device, with the results so far."""
    devices, skipped = available_devices(device)
    torch = torch_or_none()
    if torch is not None:
        strict_float32(torch)
    chainer = chainer_or_none()
    results = {
        "schema": SCHEMA,
        "config": asdict(cfg),
        "machine": machine(),
        "created": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "git": _git_state(),
        "devices": devices,
        "skipped": skipped,
        "load_before": _load(),
        "frameworks": {
            "torch": getattr(torch, "__version__", None),
            "torch_tf32": False if torch is not None else None,
            "chainer": getattr(chainer, "__version__", None),
        },
        "peak_gflops": {},
        "kernels": [],
        "steps": [],
    }
    for reason_device, reason in skipped.items():
        log(f"{reason_device}: skipped ({reason})")
    for dev in devices:
        xp = array_module(dev)
        torch_dev = ("cuda" if dev == "gpu" else "cpu") if torch_usable(torch, dev) else None
        # the headline figures first, while the machine is as it was when the run began
        if "steps" in parts:
            log(f"training steps on {dev}:")
            for name, module in STEPS.items():
                if steps is None or name in steps:
                    results["steps"].append(
                        run_step(module, dev, cfg, torch, chainer, log, chainer_python)
                    )
        if "kernels" in parts:
            log(f"kernels on {xp.__name__} ({cfg.name}, {cfg.repeats} repeats)...")
            kernel_torch = torch_dev if cfg.torch_kernels else None
            bench = KernelBench(xp, cfg, torch if kernel_torch else None, kernel_torch)
            results["kernels"] += bench.run()
            results["peak_gflops"][xp.__name__] = bench.peak_gflops
            if kernel_torch:
                results["peak_gflops"][f"torch-{torch_dev}"] = bench.records[0].get("torch_gflops")
        results["load_after"] = _load()
        if on_device_done is not None:
            on_device_done(results)
    results.setdefault("load_after", _load())
    return results

"""Timing helpers: warm-up, then the median of repeats; GPU work is synchronised."""

import re
import statistics
import time

from tinynet import backend


def synchronize(xp):
    if xp is not None and xp.__name__ == "cupy":
        xp.cuda.Device().synchronize()


def time_calls(fn, repeats=10, warmup=2, xp=None, sync=None, settle=0.0):
    """Wall times of ``repeats`` calls of fn() in seconds, after ``warmup`` untimed calls
    (and a pause of ``settle`` seconds before them).

    The device work of each call is waited for: ``xp`` cupy synchronises the current CUDA
    device, ``sync`` is any other waiting function (e.g. ``torch.cuda.synchronize``).
    """

    def wait():
        synchronize(xp)
        if sync is not None:
            sync()

    if settle:
        time.sleep(settle)
    for _ in range(warmup):
        fn()
    wait()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        wait()
        times.append(time.perf_counter() - t0)
    return times


def median_time(fn, repeats=10, warmup=2, xp=None, sync=None, settle=0.0):
    """Median wall time of fn() in seconds, after ``warmup`` untimed calls."""
    return statistics.median(time_calls(fn, repeats, warmup, xp, sync, settle))


def torch_or_none():
    try:
        import torch

        return torch
    except ImportError:
        return None


def machine():
    """A short description of this machine: CPU model, cores, NumPy version, GPU name."""
    import os
    import platform

    import numpy

    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "blas": _blas_name(),
        "blas_kernels": backend.blas_kernels(),
    }
    torch = torch_or_none()
    if torch is not None:
        info["torch"] = torch.__version__
    if backend.gpu_available():
        import cupy

        name = cupy.cuda.runtime.getDeviceProperties(0)["name"]
        info["gpu"] = name.decode() if isinstance(name, bytes) else str(name)
        info["cupy"] = cupy.__version__
        info["cuda_runtime"] = cupy.cuda.runtime.runtimeGetVersion()
    return info


def _blas_name():
    """NumPy's BLAS, e.g. 'scipy-openblas 0.3.31.188.0' (empty when NumPy does not say)."""
    import numpy

    try:
        blas = numpy.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name', '')} {blas.get('version', '')}".strip()
    except Exception:
        return ""


def slug(text):
    """'AMD EPYC 7B13 64-Core' -> 'amd-epyc-7b13-64-core': safe in a file name."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unknown"


def machine_slug(info, with_gpu):
    """A file-name stem naming the machine: CPU model and cores, then the GPU when measured."""
    stem = f"{slug(info.get('cpu') or 'cpu')}-{info.get('cores')}c"
    if with_gpu and info.get("gpu"):
        stem += "_" + slug(info["gpu"])
    return stem

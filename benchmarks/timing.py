"""Timing helpers: warm-up, then the median of repeats; GPU work is synchronised."""
import statistics
import time

from tinynet import backend


def synchronize(xp):
    if xp is not None and xp.__name__ == "cupy":
        xp.cuda.Device().synchronize()


def median_time(fn, repeats=10, warmup=2, xp=None):
    """Median wall time of fn() in seconds, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    synchronize(xp)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        synchronize(xp)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


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
    info = {"cpu": cpu, "cores": os.cpu_count(), "numpy": numpy.__version__}
    if backend.gpu_available():
        import cupy
        info["gpu"] = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
    return info

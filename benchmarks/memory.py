"""Peak memory of one training step, beyond what is held before it (parameters, data).

CPU (tinynet and PyTorch alike): each (step, framework) runs in a fresh Python process, so no
other benchmark's buffers or allocator caches are resident. There the step runs once (warm-up),
glibc's ``malloc_trim`` returns freed heap pages to the OS, the kernel's resident-set high-water
mark is reset (``5`` written to ``/proc/self/clear_refs``), and one more step runs:
peak = VmHWM after - VmRSS before ("rss_hwm"). Where the reset is refused, the warm-up is
skipped and ``ru_maxrss`` after the first step less the RSS before it is used ("ru_maxrss";
an upper bound when the imports peaked higher). For tinynet the process also reports
``tracemalloc``'s peak during a third step: NumPy reports its array buffers to tracemalloc, so
that figure is the arrays alone, without BLAS workspace or allocator slack.

GPU (measured in the main process): CuPy's default memory pool is emptied of cached blocks,
then peak = pool.total_bytes() after the step - pool.used_bytes() before (the pool keeps every
block it grew to, so its total is the step's high-water mark, rounding included); PyTorch:
torch.cuda.max_memory_allocated() - memory_allocated() before.

    python -m benchmarks.memory STEP FRAMEWORK BATCH    (prints one JSON line; CPU only)
"""

import ctypes
import gc
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np

MIB = 2.0**20
ROOT = Path(__file__).resolve().parent.parent


def _status_kib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def _rss_bytes():
    try:
        return _status_kib("VmRSS") * 1024
    except (OSError, KeyError):
        return None


def _reset_hwm():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _trim():
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _maxrss_bytes():
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r if sys.platform == "darwin" else r * 1024


def measure_rss(step, numpy_trace=False):
    """Run ``step`` in this (fresh) process as described above; returns a result dict."""
    result = {}
    if _reset_hwm():
        step()
        _trim()
        _reset_hwm()
        before = _rss_bytes()
        step()
        result.update(method="rss_hwm", peak_mib=(_status_kib("VmHWM") * 1024 - before) / MIB)
    else:
        before = _rss_bytes() or 0
        step()
        result.update(method="ru_maxrss", peak_mib=(_maxrss_bytes() - before) / MIB)
    if numpy_trace:
        import tracemalloc

        _trim()
        tracemalloc.start()
        try:
            step()
            current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        result["numpy_peak_mib"] = peak / MIB
    return result


def child(step_name, framework, batch):
    from .common import chainer_or_none
    from .steps import STEPS

    module = STEPS[step_name]
    if framework == "tinynet":
        step = module.make_tinynet(np, batch)
    elif framework == "torch":
        import torch

        step = module.make_torch(torch, "cpu", batch)
    elif framework == "chainer":
        step = module.make_chainer(chainer_or_none(), batch)
    else:
        raise ValueError(f"benchmarks.memory: unknown framework {framework!r}")
    return measure_rss(step, numpy_trace=framework == "tinynet")


def cpu_peak(step_name, framework, batch, timeout=600):
    """Run ``child`` in a fresh process; its result dict, or {"error": ...}."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "benchmarks.memory", step_name, framework, str(batch)]
    try:
        out = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    if out.returncode != 0:
        tail = (out.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit {out.returncode}: {tail}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def gpu_peak_cupy(step):
    """Peak of CuPy's memory pool during one call of ``step`` (after one warm-up call)."""
    import cupy

    pool = cupy.get_default_memory_pool()
    step()
    cupy.cuda.Device().synchronize()
    gc.collect()
    pool.free_all_blocks()
    before = pool.used_bytes()
    step()
    cupy.cuda.Device().synchronize()
    return {"method": "cupy_pool", "peak_mib": (pool.total_bytes() - before) / MIB}


def gpu_peak_torch(torch, step):
    step()
    torch.cuda.synchronize()
    gc.collect()
    before = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    step()
    torch.cuda.synchronize()
    return {
        "method": "torch_cuda_max_allocated",
        "peak_mib": (torch.cuda.max_memory_allocated() - before) / MIB,
    }


if __name__ == "__main__":
    name, fw, n = sys.argv[1:4]
    print(json.dumps(child(name, fw, int(n))))

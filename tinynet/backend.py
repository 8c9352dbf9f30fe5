"""The array module: NumPy on the CPU, CuPy on a CUDA GPU.

Every op asks ``get_array_module(x)`` for the module of its inputs, so one piece of code runs on
both. Devices are named ``"cpu"`` and ``"gpu"``. Random numbers come from one seeded generator per
backend (:func:`seed`, :func:`rng`).
"""

import os

import numpy

try:  # CuPy is optional: a GPU is never required.
    import cupy
except Exception:  # ImportError, or a CUDA library that fails to load
    cupy = None


def gpu_available():
    """True when CuPy is importable and sees at least one CUDA device."""
    if cupy is None:
        return False
    try:
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def is_gpu_array(a):
    return cupy is not None and isinstance(a, cupy.ndarray)


def device_of(a):
    """``"gpu"`` for a CuPy array, ``"cpu"`` for anything else."""
    return "gpu" if is_gpu_array(a) else "cpu"


def get_array_module(*arrays):
    """``cupy`` if any argument is a CuPy array, else ``numpy``."""
    for a in arrays:
        if is_gpu_array(a):
            return cupy
    return numpy


def check_device(name, arrays):
    """Raise TypeError when ``arrays`` (a list of (label, array)) live on different devices."""
    devices = {device_of(a) for _, a in arrays if a is not None}
    if len(devices) > 1:
        where = ", ".join(f"{label} on {device_of(a)}" for label, a in arrays if a is not None)
        raise TypeError(
            f"{name}: inputs are on different devices ({where}); move them to one "
            f"device first, e.g. tensor.to('gpu') or tensor.to('cpu')"
        )


def to_device(a, device):
    """Return array ``a`` on ``device`` ("cpu" or "gpu"); no copy when it is already there."""
    if device == "cpu":
        return asnumpy(a)
    if device == "gpu":
        if not gpu_available():
            raise RuntimeError(
                "to_device('gpu'): no CUDA GPU is available (CuPy is "
                + ("not installed)" if cupy is None else "installed but sees no device)")
            )
        return cupy.asarray(a)
    raise ValueError(f"to_device: device must be 'cpu' or 'gpu', got {device!r}")


def asnumpy(a):
    """A NumPy array holding ``a`` (copied from the GPU when needed)."""
    if is_gpu_array(a):
        return cupy.asnumpy(a)
    return numpy.asarray(a)


_seed = 0
_rngs = {}


def seed(value):
    """Seed every backend's generator (and the initializers that draw from them)."""
    global _seed
    _seed = int(value)
    _rngs.clear()


def rng(xp=numpy):
    """The seeded generator of backend ``xp``: a ``numpy.random.Generator`` or CuPy's equivalent."""
    gen = _rngs.get(xp.__name__)
    if gen is None:
        gen = numpy.random.default_rng(_seed) if xp is numpy else cupy.random.default_rng(_seed)
        _rngs[xp.__name__] = gen
    return gen


def uniform(xp, shape, dtype, batch_axis=None):
    """Uniform [0, 1) samples of ``dtype`` drawn from the backend's seeded generator.
    batch_axis: which axis of ``shape`` counts the batch, told to a generator that asks
    (``takes_batch_axis``: a distributed fit's, which keeps this rank's rows of it)."""
    gen = rng(xp)
    if batch_axis is not None and getattr(gen, "takes_batch_axis", False):
        return gen.random(shape, dtype=dtype, batch_axis=batch_axis)
    return gen.random(shape, dtype=dtype)


def tune_malloc():
    """Keep big freed buffers in the heap (glibc only); returns True when glibc took the settings.

    A training step allocates and frees the same large arrays (im2col columns, activations) every
    iteration. By default glibc serves each one with a fresh mmap and unmaps it on free, so every
    step pays a page fault per 4 KiB page touched. Raising the mmap and trim thresholds lets freed
    blocks be reused; the cost is that the process keeps its peak heap. This changes the whole
    process's allocator, so the library never calls it on import: the ``tinynet`` command and the
    benchmarks do. TINYNET_MALLOC_TUNING=0 leaves glibc's defaults alone.
    """
    if os.environ.get("TINYNET_MALLOC_TUNING", "1") == "0":
        return False
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
        return bool(
            libc.mallopt(M_MMAP_THRESHOLD, 1 << 30)
            and libc.mallopt(M_TRIM_THRESHOLD, (1 << 31) - 1)
        )
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl): nothing to do
        return False


def blas_kernels():
    """The kernels the loaded OpenBLAS runs ('Haswell', 'SkylakeX', ...), or None when NumPy's
    BLAS is not a loaded OpenBLAS that says (Linux: found through /proc/self/maps).

    OpenBLAS picks them once, when NumPy loads it, from the CPU or from OPENBLAS_CORETYPE. They
    set the GEMMs' speed (docs/performance.md), so benchmark results record which ones ran."""
    import ctypes

    try:
        with open("/proc/self/maps") as f:
            fields = [line.rstrip("\n").split(maxsplit=5) for line in f]
    except OSError:
        return None
    paths = {f[5].removesuffix(" (deleted)") for f in fields if len(f) == 6}
    paths = [p for p in paths if p.startswith("/") and "openblas" in os.path.basename(p).lower()]
    for path in sorted(paths, key=lambda p: ("numpy" not in p, p)):  # NumPy's own first
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for symbol in (
            "scipy_openblas_get_corename64_",
            "openblas_get_corename64_",
            "openblas_get_corename",
        ):
            fn = getattr(lib, symbol, None)
            if fn is not None:
                fn.restype = ctypes.c_char_p
                name = fn()
                return name.decode() if name else None
    return None


def memory_order(a):
    """a's axes from outermost to innermost in memory."""
    return tuple(sorted(range(a.ndim), key=lambda k: -abs(a.strides[k])))


def dense_order(a):
    """The memory order (outermost first) of ``a``'s axes longer than 1 when ``a`` fills its
    memory without gaps in that order, else None: two arrays of one shape with the same dense
    order are laid out alike, whatever the strides of their length-1 axes."""
    axes = sorted((k for k in range(a.ndim) if a.shape[k] > 1), key=lambda k: -abs(a.strides[k]))
    step = a.itemsize
    for k in reversed(axes):
        if a.strides[k] != step:
            return None
        step *= a.shape[k]
    return tuple(axes)

"""Both cores on a training step: tinynet splits its own large passes in two.

OpenBLAS runs each GEMM on all cores, and its idle threads spin between calls, so every pass
NumPy runs between two GEMMs (an activation, a batch norm, the window copies of a convolution)
runs on one core while the others are taken by spinning threads. After :func:`enable`, OpenBLAS
runs on one thread (through threadpoolctl) and tinynet's ops split their GEMMs and their large
elementwise passes in two halves, one run by the calling thread and one by a helper thread at
the same time (NumPy releases the GIL in both). :func:`disable` restores OpenBLAS's threads.

The halves are fixed by the shapes and never split a sum (a GEMM is cut along its rows or
columns, a kernel gradient along its rows), so a step gives the same numbers in every run; they
equal one thread's to rounding (BLAS may take another code path for a half, e.g. a GEMV for a
half one column wide). It changes the whole process's BLAS, so the library never enables it
on import: the ``tinynet`` command and the benchmarks do. TINYNET_THREADS=0 keeps it off.

    from tinynet import threads
    threads.enable()      # or tn.threads.enable()
    threads.matmul(a, b)  # a @ b, halves on both cores when enabled and large
"""

import os
import queue
import threading

import numpy as np

from .backend import dense_order, get_array_module, memory_order

MIN_BYTES = 1 << 19  # passes over less than this stay on one thread: a hand-over costs ~50 us
MIN_FLOPS = 2e8  # a GEMM of fewer operations stays whole: two such halves at once overlap
# little (measured: (32, 32) @ (32, 8192) takes longer split than whole on one thread)

_state = {"on": False, "helper": None, "limiter": None}
_inside = threading.local()  # .split: this thread is running half of a split
_starting = threading.Lock()  # around the helper's creation


class _Helper:
    """One daemon thread that runs the first half of each split while the caller runs the rest.
    One split at a time: a thread that finds the helper busy (another thread splitting) runs
    its pass whole."""

    def __init__(self):
        self.tasks, self.done = queue.SimpleQueue(), queue.SimpleQueue()
        self.busy = threading.Lock()
        self.count = 0  # tasks handed over; each result comes back with its task's number
        threading.Thread(target=self._loop, name="tinynet-half", daemon=True).start()

    def _loop(self):
        _inside.split = True  # this thread only ever runs halves
        while True:
            number, fn = self.tasks.get()
            try:
                fn()
                self.done.put((number, None))
            except BaseException as e:  # handed to the caller, which raises it
                self.done.put((number, e))

    def run(self, first, second):
        """first() here-and-now beside second() on the helper; raises what either raised.
        Returns False (running nothing) when another thread's split holds the helper."""
        if not self.busy.acquire(blocking=False):
            return False
        try:
            self.count += 1
            number = self.count
            self.tasks.put((number, second))
            _inside.split = True
            try:
                first()
            finally:
                _inside.split = False
                while True:  # a result left by a wait that was interrupted (Ctrl-C) is not ours
                    done, error = self.done.get()
                    if done == number:
                        break
        finally:
            self.busy.release()
        if error is not None:
            raise error
        return True


def _reset_after_fork():  # a forked child has no helper thread: it starts one when needed
    global _starting
    _state["helper"] = None
    _starting = threading.Lock()


os.register_at_fork(after_in_child=_reset_after_fork)


def _cores_per_process():
    """The cores this process may use, shared with the other ranks of an MPI job on them
    (PMI_SIZE: MPICH's launcher; OMPI_COMM_WORLD_SIZE: Open MPI's)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    ranks = os.environ.get("PMI_SIZE") or os.environ.get("OMPI_COMM_WORLD_SIZE") or "1"
    return (cores or 1) // max(1, int(ranks) if ranks.isdigit() else 1)


def enable():
    """Run OpenBLAS on one thread and split tinynet's large passes over two threads; returns
    whether it is on (False when TINYNET_THREADS=0, threadpoolctl is missing, or this process
    has fewer than two cores to itself, e.g. two MPI ranks on two cores)."""
    if os.environ.get("TINYNET_THREADS", "1") == "0" or _cores_per_process() < 2:
        return False
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return False
    if not _state["on"]:
        _state["limiter"] = threadpool_limits(1, user_api="blas")
        _state["on"] = True
    return True


def disable():
    """Back to one thread for tinynet's passes and OpenBLAS's own thread count."""
    if _state["on"]:
        _state["limiter"].restore_original_limits()
        _state["on"], _state["limiter"] = False, None


def enabled():
    return _state["on"]


def split(fn, n, nbytes, like=None):
    """fn(lo, hi) over [0, n): as fn(0, n/2) and fn(n/2, n) at once on two threads when enabled,
    n >= 2 and the pass touches ``nbytes`` >= MIN_BYTES (and ``like``, if given, is a NumPy
    array: GPU work is not split); else fn(0, n). The two calls must write disjoint memory. A
    split inside a half runs whole (the helper is busy with the other half)."""
    if (
        not _state["on"]
        or getattr(_inside, "split", False)
        or n < 2
        or nbytes < MIN_BYTES
        or (like is not None and not isinstance(like, np.ndarray))
    ):
        fn(0, n)
        return
    with _starting:
        if _state["helper"] is None:
            _state["helper"] = _Helper()
    mid = n // 2
    if not _state["helper"].run(lambda: fn(mid, n), lambda: fn(0, mid)):
        fn(0, n)


def matmul(a, b, out=None):
    """a (M, K) @ b (K, N) -> (M, N) (into ``out`` if given), split over the longer of M and N
    when enabled; otherwise (and for other shapes) NumPy's matmul."""
    if not _state["on"] or a.ndim != 2 or b.ndim != 2 or not isinstance(a, np.ndarray):
        return a @ b if out is None else get_array_module(a).matmul(a, b, out=out)
    if out is None:
        out = np.empty((a.shape[0], b.shape[1]), dtype=np.result_type(a, b))
    if 2 * a.shape[0] * a.shape[1] * b.shape[1] < MIN_FLOPS:
        return np.matmul(a, b, out=out)
    work = a.nbytes + b.nbytes + out.nbytes  # what the GEMM reads and writes
    if out.shape[0] >= out.shape[1]:
        split(lambda lo, hi: np.matmul(a[lo:hi], b, out=out[lo:hi]), out.shape[0], work)
    else:
        split(lambda lo, hi: np.matmul(a, b[:, lo:hi], out=out[:, lo:hi]), out.shape[1], work)
    return out


def _flat(a, axes):
    return a.transpose(axes).reshape(-1)


def apply(fn, arrays, out):
    """``fn(*arrays, out)`` writes an elementwise result into ``out``: run on two halves of the
    memory at once when every array has out's shape and dense memory order (else whole).
    Returns out."""
    order = dense_order(out)
    same = order is not None and all(
        a.shape == out.shape and dense_order(a) == order for a in arrays
    )
    if not same or not _state["on"] or out.nbytes < MIN_BYTES or not isinstance(out, np.ndarray):
        fn(*arrays, out)
        return out
    axes = memory_order(out)
    flats = [_flat(a, memory_order(a)) for a in arrays] + [_flat(out, axes)]
    split(
        lambda lo, hi: fn(*(f[lo:hi] for f in flats[:-1]), flats[-1][lo:hi]), out.size, out.nbytes
    )
    return out

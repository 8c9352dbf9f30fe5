"""The communicator: which process this is among how many, and the collectives training needs.

    comm = tn.distributed.init()      # under mpiexec: MPI over mpi4py; under plain python: size 1
    comm.rank, comm.size, comm.local_rank, comm.is_main
    comm.allreduce(a)                 # in place: a becomes the elementwise sum over the ranks
    comm.broadcast(a, root=0)         # in place: a becomes root's values
    comm.broadcast_object(obj)        # any picklable object, root's returned everywhere
    comm.average({"loss": 0.3}, weight=share)   # sum over ranks of weight * value
    comm.barrier()

mpi4py is imported only when the process was started by an MPI launcher (the launcher's rank
variables are set) or ``init("mpi")`` asks for it, so one script runs under ``python`` and under
``mpiexec -n N python``. Arrays are NumPy or CuPy; CuPy arrays go through NCCL when
:mod:`.nccl` can set it up (one GPU per local rank), else through host memory. Under MPI with
GPUs, init makes GPU ``local_rank`` the current device. A rank that dies
of an uncaught exception aborts the whole job (its traceback printed first, named by rank), so
the other ranks never wait forever in a collective.
"""

import os
import sys
import traceback

import numpy as np

from ..backend import asnumpy, get_array_module

# set by mpiexec / srun for each process: Hydra (MPICH, Intel MPI), Open MPI, PMIx, Slurm
LAUNCHER_VARIABLES = ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "SLURM_PROCID")
BACKENDS = ("auto", "mpi", "local")

_world = None


def launched_by_mpi():
    """True when a launcher's rank variables are in the environment."""
    return any(v in os.environ for v in LAUNCHER_VARIABLES)


def init(backend="auto"):
    """The communicator of this process (made once; later calls return the same one).

    backend: "auto" (MPI when launched by mpiexec, else one process), "mpi" (MPI always; an
    ImportError says how to install it) or "local" (one process, no MPI).
    """
    global _world
    if backend not in BACKENDS:
        raise ValueError(f"init: backend must be one of {BACKENDS}, got {backend!r}")
    if _world is not None:
        if backend == "mpi" and isinstance(_world, LocalCommunicator):
            raise RuntimeError("init('mpi'): a one-process communicator was already made")
        return _world
    if backend == "mpi" or (backend == "auto" and launched_by_mpi()):
        try:
            from mpi4py import MPI
        except ImportError as e:
            raise ImportError(
                f"init: this process runs under an MPI launcher but mpi4py cannot be imported "
                f"({e}); pip install 'tinynet[distributed]' (mpi4py and mpich)"
            ) from None
        _world = MPICommunicator(MPI.COMM_WORLD, MPI)
        if _world.size > 1:
            _abort_on_uncaught(_world)
            _pin_gpu(_world.local_rank)
    else:
        _world = LocalCommunicator()
    return _world


class Communicator:
    """What every communicator offers; subclasses give rank, size, local_rank and the
    collectives on NumPy arrays (``_allreduce_host``, ``_broadcast_host``)."""

    rank, size, local_rank = 0, 1, 0

    @property
    def is_main(self):
        return self.rank == 0

    def allreduce(self, a):
        """Sum ``a`` (a contiguous NumPy or CuPy array) over the ranks, in place; returns a."""
        _check_buffer("allreduce", a)
        if self.size == 1:
            return a
        if get_array_module(a) is np:
            self._allreduce_host(a)
        else:
            self._allreduce_device(a)
        return a

    def broadcast(self, a, root=0):
        """Overwrite ``a`` (contiguous, same shape and dtype on every rank) with root's values."""
        _check_buffer("broadcast", a)
        if self.size == 1:
            return a
        if get_array_module(a) is np:
            self._broadcast_host(a, root)
        else:
            host = asnumpy(a)
            self._broadcast_host(host, root)
            a[...] = get_array_module(a).asarray(host)
        return a

    def average(self, values, weight=None):
        """{name: sum over ranks of weight * value}: the mean over the global batch when each
        rank's weight is its share of it (default 1 / size). Every rank must give the same names
        in the same order."""
        names = list(values)
        w = 1.0 / self.size if weight is None else float(weight)
        buf = np.array([float(values[k]) * w for k in names], dtype=np.float64)
        self.allreduce(buf)
        return dict(zip(names, buf.tolist()))

    def _allreduce_device(self, a):
        """CuPy arrays: through host memory (the NCCL communicator overrides this)."""
        host = asnumpy(a)
        self._allreduce_host(host)
        a[...] = get_array_module(a).asarray(host)

    def broadcast_object(self, obj, root=0):
        return obj

    def barrier(self):
        pass

    def abort(self, code=1):
        raise SystemExit(code)

    def __repr__(self):
        return f"{type(self).__name__}(rank={self.rank}, size={self.size})"


class LocalCommunicator(Communicator):
    """One process: every collective is the identity."""


class MPICommunicator(Communicator):
    """MPI over mpi4py; ``comm`` an mpi4py communicator (COMM_WORLD by default)."""

    def __init__(self, comm, MPI):
        self.comm, self.MPI = comm, MPI
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        node = comm.Split_type(MPI.COMM_TYPE_SHARED, key=self.rank)
        self.local_rank, self.local_size = node.Get_rank(), node.Get_size()
        node.Free()
        self._nccl = None

    def _allreduce_host(self, a):
        self.comm.Allreduce(self.MPI.IN_PLACE, a, op=self.MPI.SUM)

    def _broadcast_host(self, a, root):
        self.comm.Bcast(a, root=root)

    def _allreduce_device(self, a):
        from . import nccl

        if self._nccl is None:
            self._nccl = nccl.make(self) or False
        if self._nccl:
            self._nccl.allreduce(a)
        else:
            super()._allreduce_device(a)

    def broadcast_object(self, obj, root=0):
        return self.comm.bcast(obj, root=root)

    def barrier(self):
        self.comm.Barrier()

    def abort(self, code=1):
        self.comm.Abort(code)


def _pin_gpu(local_rank):
    """With CuPy and GPUs, make GPU local_rank (modulo their number) this process's current
    device, before any model moves there: one GPU per local rank, as NCCL needs."""
    from .. import backend

    if not backend.gpu_available():
        return
    cupy = backend.cupy
    cupy.cuda.Device(local_rank % cupy.cuda.runtime.getDeviceCount()).use()


def _check_buffer(who, a):
    if not hasattr(a, "dtype") or not getattr(a, "flags", None) or not a.flags.c_contiguous:
        raise TypeError(
            f"{who}: expected a C-contiguous NumPy or CuPy array, got "
            f"{type(a).__name__}{'' if not hasattr(a, 'flags') else ' (not contiguous)'}"
        )


def _abort_on_uncaught(comm):
    """An uncaught exception on any rank prints its traceback, named by rank, and aborts every
    rank (MPI_Abort), so mpiexec exits non-zero instead of the others hanging in a collective."""
    previous = sys.excepthook

    def hook(kind, value, tb):
        sys.stderr.write(f"[tinynet rank {comm.rank}/{comm.size}] uncaught exception:\n")
        sys.stderr.write("".join(traceback.format_exception(kind, value, tb)))
        sys.stderr.flush()
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, value, tb)
        comm.abort(1)

    sys.excepthook = hook

"""NCCL for CuPy gradients: one GPU per local rank, the unique id made on rank 0 and broadcast
over MPI (cupy.cuda.nccl). ``make(comm)`` returns None where NCCL cannot be used (no CuPy, no
NCCL in it, or fewer GPUs on the node than local ranks: NCCL refuses two ranks on one device),
and the communicator then reduces CuPy arrays through host memory."""

NCCL_TYPES = {"float16": 6, "float32": 7, "float64": 8}  # ncclHalf, ncclFloat, ncclDouble


def available(local_size=1):
    """True when CuPy has NCCL and the node has at least ``local_size`` GPUs."""
    try:
        import cupy
        from cupy.cuda import nccl  # noqa: F401
    except Exception:
        return False
    try:
        return cupy.cuda.runtime.getDeviceCount() >= max(local_size, 1)
    except Exception:
        return False


def make(comm):
    """An NCCL communicator over the ranks of the MPI communicator ``comm``, or None."""
    if not available(getattr(comm, "local_size", 1)):
        return None
    return NCCLCommunicator(comm)


class NCCLCommunicator:
    """In-place sum Allreduce of CuPy arrays on the current stream; device = the local rank."""

    def __init__(self, comm):
        import cupy
        from cupy.cuda import nccl

        self.cupy, self.nccl = cupy, nccl
        uid = nccl.get_unique_id() if comm.rank == 0 else None
        uid = comm.broadcast_object(uid)
        self.comm = nccl.NcclCommunicator(comm.size, uid, comm.rank)

    def allreduce(self, a):
        kind = NCCL_TYPES.get(a.dtype.name)
        if kind is None:
            raise TypeError(
                f"allreduce: NCCL reduces float16/32/64 arrays here, got {a.dtype}; cast first"
            )
        stream = self.cupy.cuda.get_current_stream().ptr
        self.comm.allReduce(a.data.ptr, a.data.ptr, a.size, kind, self.nccl.NCCL_SUM, stream)
        return a

"""The NCCL path with a stand-in for cupy.cuda.nccl (the real one needs a GPU per rank: the
two-GPU check in test_mpi.py skips without them): the unique id made on rank 0 and broadcast,
the in-place sum on the current stream with NCCL's type code, the refusal of other dtypes, and
the MPI communicator's choice between NCCL and host memory."""

import sys
import types

import numpy as np
import pytest

from tinynet.distributed import MPICommunicator, nccl


class FakeNcclComm:
    made = []

    def __init__(self, size, uid, rank):
        self.args, self.calls = (size, uid, rank), []
        FakeNcclComm.made.append(self)

    def allReduce(self, send, recv, count, kind, op, stream):
        self.calls.append((send, recv, count, kind, op, stream))


@pytest.fixture
def fake_cupy(monkeypatch):
    """cupy, cupy.cuda and cupy.cuda.nccl modules with ``gpus`` devices (set on the result)."""
    cupy = types.ModuleType("cupy")
    cuda = types.ModuleType("cupy.cuda")
    lib = types.ModuleType("cupy.cuda.nccl")
    lib.NCCL_SUM = 0
    lib.get_unique_id = lambda: ("uid", 42)
    lib.NcclCommunicator = FakeNcclComm
    cuda.nccl = lib
    cuda.runtime = types.SimpleNamespace(getDeviceCount=lambda: cupy.gpus)
    cuda.get_current_stream = lambda: types.SimpleNamespace(ptr=1234)
    cupy.cuda, cupy.gpus = cuda, 2
    for name, module in (("cupy", cupy), ("cupy.cuda", cuda), ("cupy.cuda.nccl", lib)):
        monkeypatch.setitem(sys.modules, name, module)
    FakeNcclComm.made = []
    return cupy


class Ranks:
    """Rank ``rank`` of ``size`` (local_size ranks on this node); broadcast_object gives rank
    0's object, recorded."""

    def __init__(self, rank, size=2, local_size=2, root_object=None):
        self.rank, self.size, self.local_size = rank, size, local_size
        self.root_object, self.sent = root_object, []

    def broadcast_object(self, obj, root=0):
        self.sent.append(obj)
        return obj if self.rank == root else self.root_object


class DeviceArray:
    """What NCCLCommunicator reads of a CuPy array: data.ptr, size, dtype."""

    def __init__(self, dtype, size=10, ptr=99):
        self.dtype, self.size = np.dtype(dtype), size
        self.data = types.SimpleNamespace(ptr=ptr)


def test_nccl_needs_a_gpu_per_local_rank(fake_cupy):
    assert nccl.available(2)
    fake_cupy.gpus = 1  # two ranks on one GPU: NCCL would refuse
    assert not nccl.available(2) and nccl.make(Ranks(0)) is None


def test_the_unique_id_comes_from_rank_0(fake_cupy):
    root = nccl.make(Ranks(0))
    other = nccl.make(Ranks(1, root_object=("uid", 42)))
    assert isinstance(root, nccl.NCCLCommunicator)
    assert root.comm.args == (2, ("uid", 42), 0)
    assert other.comm.args == (2, ("uid", 42), 1)


def test_allreduce_sums_in_place_on_the_current_stream(fake_cupy):
    c = nccl.make(Ranks(0))
    a = DeviceArray("float32", size=7, ptr=555)
    assert c.allreduce(a) is a
    assert c.comm.calls == [(555, 555, 7, 7, 0, 1234)]  # ncclFloat = 7, ncclSum = 0
    c.allreduce(DeviceArray("float64"))
    assert c.comm.calls[-1][3] == 8
    with pytest.raises(TypeError, match="NCCL reduces float16/32/64 arrays here, got int32"):
        c.allreduce(DeviceArray("int32"))


def mpi_communicator(local_size):
    comm = MPICommunicator.__new__(MPICommunicator)  # no MPI: only what the device path reads
    comm.rank, comm.size, comm.local_size, comm._nccl = 0, 2, local_size, None
    comm.broadcast_object = lambda obj, root=0: obj
    return comm


def test_the_mpi_communicator_reduces_device_arrays_through_nccl(fake_cupy):
    comm = mpi_communicator(local_size=2)
    comm._allreduce_device(DeviceArray("float32", ptr=7))
    comm._allreduce_device(DeviceArray("float32", ptr=8))
    assert len(FakeNcclComm.made) == 1  # made once, on the first device Allreduce
    assert [call[0] for call in comm._nccl.comm.calls] == [7, 8]


def test_without_a_gpu_per_rank_device_arrays_go_through_host_memory(fake_cupy, monkeypatch):
    fake_cupy.gpus = 1
    comm = mpi_communicator(local_size=2)
    staged = []
    monkeypatch.setattr(
        "tinynet.distributed.comm.Communicator._allreduce_device",
        lambda self, a: staged.append(a),
    )
    a = DeviceArray("float32")
    comm._allreduce_device(a)
    assert comm._nccl is False and staged == [a] and not FakeNcclComm.made

"""Data-parallel training over MPI (mpi4py), with NCCL for CuPy arrays.

    comm = tn.distributed.init()                 # size 1 under plain python
    model.fit(x, y, batch_size=256, distributed=comm)   # 256 = the global batch
    model.fit(batches, distributed=comm)         # an iterator built alike on every rank
    opt = DistributedOptimizer(optimizer, comm)  # for a loop of one's own

Run a script on N processes with ``mpiexec -n N python script.py``; the extra
``pip install 'tinynet[distributed]'`` brings mpi4py and MPICH.
"""

from .comm import Communicator, LocalCommunicator, MPICommunicator, init, launched_by_mpi
from .optimizer import DistributedOptimizer
from .parallel import DataParallel, batch_norm_layers, broadcast_model

__all__ = [
    "Communicator",
    "DataParallel",
    "DistributedOptimizer",
    "LocalCommunicator",
    "MPICommunicator",
    "batch_norm_layers",
    "broadcast_model",
    "init",
    "launched_by_mpi",
]

"""tinynet: a small deep-learning engine on NumPy (CPU) and CuPy (GPU) arrays.

    import tinynet as tn
    x = tn.Tensor(np.ones((2, 3)), requires_grad=True)
    (x * x).sum().backward()
"""
import importlib

from .backend import get_array_module, to_device, asnumpy, gpu_available, seed
from .autograd import Tensor, Function, no_grad, is_grad_enabled
from . import functional  # installs the Tensor operators

__version__ = "0.1.0"

_SUBMODULES = ("functional", "gradcheck", "layers", "training", "optimizers", "callbacks", "models",
               "legacy", "zoo", "gan", "trees", "datasets", "preprocessing", "plot", "utils", "apps")


def __getattr__(name):
    """Subpackages are reachable as attributes (``tn.datasets``) without importing them all."""
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'tinynet' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES))

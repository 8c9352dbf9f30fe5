"""tinynet: a small deep-learning engine on NumPy (CPU) and CuPy (GPU) arrays.

import tinynet as tn
x = tn.Tensor(np.ones((2, 3)), requires_grad=True)
(x * x).sum().backward()
"""

import importlib

from . import functional  # installs the Tensor operators
from .autograd import Function, Tensor, grad, is_grad_enabled, no_grad
from .backend import asnumpy, get_array_module, gpu_available, seed, to_device

__version__ = "0.1.0"
__all__ = [
    "Tensor",
    "Function",
    "grad",
    "no_grad",
    "is_grad_enabled",
    "get_array_module",
    "to_device",
    "asnumpy",
    "gpu_available",
    "seed",
    "functional",
]

_SUBMODULES = (
    "functional",
    "gradcheck",
    "layers",
    "training",
    "optimizers",
    "callbacks",
    "models",
    "keras",
    "legacy",
    "zoo",
    "gan",
    "wavenet",
    "trees",
    "datasets",
    "audio",
    "preprocessing",
    "plot",
    "utils",
    "apps",
    "viz",
    "distributed",
)


def __getattr__(name):
    """Subpackages are reachable as attributes (``tn.datasets``) without importing them all;
    ``tn.profile`` is ``tn.viz.profile``."""
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name == "profile":
        return importlib.import_module(".viz", __name__).profile
    raise AttributeError(f"module 'tinynet' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES) + ["profile"])

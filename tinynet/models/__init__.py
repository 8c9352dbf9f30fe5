"""Models: Model (subclass it: layers assigned as attributes are tracked), Sequential (a stack
of layers) and model files (saving).

    from tinynet.models import Model, Sequential, load_model
"""

from .model import Model
from .saving import ModelFileError, load_model
from .sequential import Sequential

__all__ = ["Model", "Sequential", "load_model", "ModelFileError"]

"""Models: Sequential (a stack of layers) and model files (saving).

    from tinynet.models import Sequential, load_model
"""
from .saving import ModelFileError, load_model
from .sequential import Sequential

__all__ = ["Sequential", "load_model", "ModelFileError"]

"""keras.models: Sequential, Model, load_model (tinynet's)."""

from ..models import Model, Sequential, load_model

__all__ = ["Sequential", "Model", "load_model"]

"""Layer and model configs as JSON-able dicts: {"class_name": ..., "config": {...}}."""

from ..layers.base import layer_class


def layer_config(layer):
    """{"class_name", "config"} of a layer or model (its registered class and constructor args)."""
    return {
        "class_name": getattr(layer, "config_class_name", type(layer).__name__),
        "config": layer.get_config(),
    }


def layer_from_config(spec):
    """The layer or model described by ``layer_config``; only registered Layer classes are used."""
    cls = layer_class(spec["class_name"])
    return cls.from_config(spec["config"])

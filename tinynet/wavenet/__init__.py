"""WaveNet on tinynet: the model, clip batches, fast cached generation, baselines."""

from .model import WaveNet, stack_dilations

__all__ = ["WaveNet", "stack_dilations"]

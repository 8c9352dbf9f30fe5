"""Feeding data to training: ImageDataGenerator (vectorised augmentation) and batch loaders.

from tinynet.preprocessing import ImageDataGenerator, batch_loader
it = batch_loader(x, y, batch_size=128, seed=0, background=True)   # plain batches of arrays
xb, yb = next(it); len(it); it.close()
"""

from .background import BackgroundIterator
from .image import ImageDataGenerator
from .iterators import ArrayIterator, BatchIterator, NumpyArrayIterator

__all__ = [
    "ImageDataGenerator",
    "ArrayIterator",
    "BatchIterator",
    "NumpyArrayIterator",
    "BackgroundIterator",
    "batch_loader",
]


def batch_loader(x, y=None, batch_size=32, shuffle=True, seed=None, background=False, queue_size=8):
    """Batches ``x[idx]`` / ``(x[idx], y[idx])`` of arrays, epoch after epoch forever (``len()`` per
    epoch); made ahead in a background thread when ``background`` (then call ``close()``).
    """
    it = ArrayIterator(x, y, batch_size, shuffle, seed)
    return BackgroundIterator(it, queue_size) if background else it

"""keras.losses: tinynet's loss classes (CategoricalCrossentropy, BinaryCrossentropy, ...)."""

from ..training.losses import *  # noqa: F401,F403

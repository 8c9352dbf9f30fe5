"""keras.callbacks: tinynet's (EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, ...)."""

from ..training.callbacks import *  # noqa: F401,F403

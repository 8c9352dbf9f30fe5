"""Public path of the callbacks (``from tinynet.callbacks import EarlyStopping``); they live in
tinynet.training.callbacks."""

from .training.callbacks import *  # noqa: F401,F403

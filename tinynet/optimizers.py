"""Public path of the optimizers (``from tinynet.optimizers import Adam``); they live in
tinynet.training.optimizers."""

from .training.optimizers import *  # noqa: F401,F403

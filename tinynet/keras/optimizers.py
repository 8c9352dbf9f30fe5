"""keras.optimizers: tinynet's (Adam(learning_rate=1e-3), SGD, RMSprop, Adagrad, schedules)."""

from ..training.optimizers import *  # noqa: F401,F403

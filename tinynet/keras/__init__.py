"""Today's Keras surface on tinynet: keras.io's code runs with only its imports changed.

    from tinynet import keras            # instead of: import keras
    from tinynet.keras import layers     # instead of: from keras import layers

    model = keras.Sequential([keras.Input(shape=(28, 28, 1)),
                              layers.Conv2D(32, kernel_size=(3, 3), activation="relu"), ...])

Image layers here default to Keras's layout, channels-last (N, H, W, C): ``keras.config
.image_data_format()`` is 'channels_last' until ``keras.config.set_image_data_format`` changes
it, apart from tinynet's own default (``tinynet.layers.image_data_format()``, channels-first).
Inside, the model stays channels-first: its first layer (``Input`` or a layer given
``input_shape=``) turns the batch into (N, C, H, W) once. The layers, models, optimizers,
callbacks and losses are tinynet's own (``keras.layers.Dense is tinynet.layers.Dense``); only the
image layers are wrapped, to default to this namespace's layout.
"""

from ..models import Model, Sequential
from . import backend, callbacks, config, datasets, layers, losses, models, optimizers, utils
from .layers import Input, InputLayer

__all__ = [
    "Sequential",
    "Model",
    "Input",
    "InputLayer",
    "layers",
    "models",
    "datasets",
    "utils",
    "optimizers",
    "callbacks",
    "losses",
    "config",
    "backend",
]

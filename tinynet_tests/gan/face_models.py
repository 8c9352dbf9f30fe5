"""Stand-ins for the face DCGAN and its judge, built as tinynet models with set weights, so the
arithmetic's outcome is known: the generator paints channel k of a face with tanh(z_k) (k < 3),
and the classifier reads P(attribute k) = sigmoid(gain * mean of channel k), the columns being
Eyeglasses, Smiling, Male. A concept is then a sign pattern of z_0..z_2 and the equations hold
exactly in the average."""

import numpy as np

from tinynet.layers import Activation, Dense, GlobalAveragePooling2D, Reshape
from tinynet.models import Sequential

PIXELS = 64 * 64


def painting_generator(latent_dim=6):
    """z (N, latent_dim) -> faces (N, 3, 64, 64): channel k is tanh(z_k) everywhere."""
    g = Sequential(
        [
            Dense(3 * PIXELS, use_bias=False, input_shape=(latent_dim,)),
            Activation("tanh"),
            Reshape((3, 64, 64)),
        ],
        name="painting_generator",
    )
    w = np.zeros((latent_dim, 3 * PIXELS), np.float32)
    for k in range(3):
        w[k, k * PIXELS : (k + 1) * PIXELS] = 1
    g.set_weights([w])
    return g


def channel_reader(gain=8.0):
    """faces (N, 3, 64, 64) -> P (N, 3) = sigmoid(gain * channel means); features: gain * means."""
    c = Sequential(
        [GlobalAveragePooling2D(input_shape=(3, 64, 64)), Dense(3), Activation("sigmoid")],
        name="channel_reader",
    )
    c.set_weights([gain * np.eye(3, dtype=np.float32), np.zeros(3, np.float32)])
    return c

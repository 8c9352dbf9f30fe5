"""Radford et al.'s 64x64 DCGAN (2015, figure 1) for faces, at a width the CPU can train.

    G = face_generator(width=32)      # z (N, 100), uniform in [-1, 1] -> (N, 3, 64, 64), tanh
    D = face_discriminator(width=32)  # images (N, 3, 64, 64) in [-1, 1] -> P(real) (N, 1)
    gan = face_gan(width=32)          # GAN(G, D, uniform z), compiled: Adam(2e-4, beta_1 0.5) per
                                      # player, the generator's weight average for sampling

Generator: z is projected to (8w, 4, 4) (a matrix multiplication reshaped, Radford's "project
and reshape"; no hidden dense layer), then four fractionally-strided convolutions, 5x5 (the
paper's kernel) stride 2, halve the channels and double the size: 8w@4 -> 4w@8 -> 2w@16 -> w@32
-> 3@64; BatchNorm and ReLU after each but the last, which is tanh. Discriminator, the mirror:
strided 5x5 convolutions 3@64 -> w@32 -> 2w@16 -> 4w@8 -> 8w@4, LeakyReLU 0.2, BatchNorm on all
but the input layer, then the (8w*4*4) features straight into one sigmoid unit. No pooling. The
paper's width is w = 128 (1024 channels at 4x4); w is a parameter here (see docs/faces.md for
the measured step times and the choice). Weights from N(0, 0.02); BatchNorm momentum 0.9 as in
tinynet's MNIST DCGAN. The weight average's decay, 0.997 (a horizon of about 330 iterations),
is scaled to a CPU run of about 4,000 iterations (docs/faces.md says why).
"""

from ..layers import (
    Activation,
    BatchNormalization,
    Conv2D,
    Conv2DTranspose,
    Dense,
    Flatten,
    LeakyReLU,
    Reshape,
)
from ..layers.initializers import RandomNormal
from ..models import Sequential
from .gan_model import GAN

LATENT_DIM = 100
IMAGE_SHAPE = (3, 64, 64)
KERNEL = 5
DEFAULT_WIDTH = 32
EMA_DECAY = 0.997


def _init():
    return RandomNormal(0.0, 0.02)


def _check_width(width, who):
    if not (isinstance(width, int) and width >= 1):
        raise ValueError(f"{who}: width must be a positive int, got {width!r}")


def face_generator(
    latent_dim=LATENT_DIM, width=DEFAULT_WIDTH, kernel=KERNEL, name="face_generator"
):
    """z (N, latent_dim) -> (N, 3, 64, 64) in [-1, 1]: project to (8w, 4, 4), four
    fractionally-strided convolutions (``kernel`` x ``kernel``, stride 2) to 64x64."""
    _check_width(width, "face_generator")
    layers = [
        Dense(
            8 * width * 16, use_bias=False, kernel_initializer=_init(), input_shape=(latent_dim,)
        ),
        BatchNormalization(momentum=0.9),
        Activation("relu"),
        Reshape((8 * width, 4, 4)),
    ]
    for filters in (4 * width, 2 * width, width):
        layers += [
            Conv2DTranspose(
                filters,
                kernel,
                strides=2,
                padding="same",
                use_bias=False,
                kernel_initializer=_init(),
            ),
            BatchNormalization(momentum=0.9),
            Activation("relu"),
        ]
    layers.append(
        Conv2DTranspose(
            3, kernel, strides=2, padding="same", activation="tanh", kernel_initializer=_init()
        )
    )
    return Sequential(layers, name=name)


def face_discriminator(width=DEFAULT_WIDTH, kernel=KERNEL, name="face_discriminator"):
    """(N, 3, 64, 64) -> P(real) (N, 1): four strided convolutions w, 2w, 4w, 8w (64 -> 4),
    LeakyReLU 0.2, BatchNorm after all but the first, one sigmoid unit on the flattened map."""
    _check_width(width, "face_discriminator")
    layers = [
        Conv2D(
            width,
            kernel,
            strides=2,
            padding="same",
            kernel_initializer=_init(),
            input_shape=IMAGE_SHAPE,
        ),
        LeakyReLU(0.2),
    ]
    for filters in (2 * width, 4 * width, 8 * width):
        layers += [
            Conv2D(
                filters,
                kernel,
                strides=2,
                padding="same",
                use_bias=False,
                kernel_initializer=_init(),
            ),
            BatchNormalization(momentum=0.9),
            LeakyReLU(0.2),
        ]
    layers += [Flatten(), Dense(1, activation="sigmoid", kernel_initializer=_init())]
    return Sequential(layers, name=name)


def face_gan(width=DEFAULT_WIDTH, latent_dim=LATENT_DIM, kernel=KERNEL, ema_decay=EMA_DECAY):
    """The pair as a compiled tinynet.gan.GAN: z uniform in [-1, 1] (Radford's), Adam(2e-4,
    beta_1 0.5) for each player, and (ema_decay > 0) sampling from the weight average."""
    gan = GAN(
        face_generator(latent_dim, width, kernel),
        face_discriminator(width, kernel),
        latent_dim=latent_dim,
        latent="uniform",
        name="face_dcgan",
    )
    return gan.compile(ema_decay=ema_decay or None)

"""The players: the lecture's generator / discriminator, a DCGAN pair for 28x28 digits and a
class-conditional DCGAN pair. Every builder returns an uncompiled Sequential, channels-first.

    G = generator_model()          # z (N, 100) in [-1, 1]  -> images (N, 1, 28, 28) in [-1, 1]
    D = discriminator_model()      # images (N, 1, 28, 28)  -> P(real) (N, 1)
    G = dcgan_generator()          # z (N, 100)             -> images (N, 1, 28, 28), tanh
    D = dcgan_discriminator()      # images (N, 1, 28, 28)  -> P(real) (N, 1)
    G, D = dcgan_generator(dense=1024), dcgan_discriminator(dense=1024)  # InfoGAN's MNIST pair
    G = conditional_generator()    # [z, onehot(label)] (N, 110)           -> images (N, 1, 28, 28)
    D = conditional_discriminator()  # [image, label planes] (N, 11, 28, 28) -> P(real) (N, 1)

The DCGAN pair follows Radford et al. (2015): fractionally-strided convolutions instead of
upsampling, BatchNorm in both players (not on D's input layer nor G's output), ReLU in G with a
tanh output, LeakyReLU(0.2) in D, weights drawn from N(0, 0.02). The BatchNorm momentum is 0.9
(Keras convention) so the moving statistics used for sampling track the fast-changing generator.
"""

from ..layers import (
    Activation,
    BatchNormalization,
    Conv2D,
    Conv2DTranspose,
    Dense,
    Flatten,
    LeakyReLU,
    MaxPooling2D,
    Reshape,
    UpSampling2D,
)
from ..layers.initializers import RandomNormal
from ..models import Sequential

LATENT_DIM = 100
IMAGE_SHAPE = (1, 28, 28)
NUM_CLASSES = 10


def generator_model(latent_dim=LATENT_DIM):
    """The lecture's generator (jacobgil/keras-dcgan): Dense 1024 tanh, Dense 128*7*7, BatchNorm,
    tanh, Reshape (128, 7, 7), UpSampling 2, Conv 64@5x5 same tanh, UpSampling 2, Conv 1@5x5 same
    tanh. z (N, latent_dim) -> (N, 1, 28, 28)."""
    model = Sequential(name="generator")
    model.add(Dense(1024, input_shape=(latent_dim,)))
    model.add(Activation("tanh"))
    model.add(Dense(128 * 7 * 7))
    model.add(BatchNormalization())
    model.add(Activation("tanh"))
    model.add(Reshape((128, 7, 7)))
    model.add(UpSampling2D(size=(2, 2)))
    model.add(Conv2D(64, 5, padding="same"))
    model.add(Activation("tanh"))
    model.add(UpSampling2D(size=(2, 2)))
    model.add(Conv2D(1, 5, padding="same"))
    model.add(Activation("tanh"))
    return model


def discriminator_model(input_shape=IMAGE_SHAPE):
    """The lecture's discriminator: Conv 64@5x5 same tanh, MaxPool 2, Conv 128@5x5 (valid) tanh,
    MaxPool 2, Flatten, Dense 1024 tanh, Dense 1 sigmoid. (N, 1, 28, 28) -> (N, 1)."""
    model = Sequential(name="discriminator")
    model.add(Conv2D(64, 5, padding="same", input_shape=input_shape))
    model.add(Activation("tanh"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Conv2D(128, 5))
    model.add(Activation("tanh"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Flatten())
    model.add(Dense(1024))
    model.add(Activation("tanh"))
    model.add(Dense(1))
    model.add(Activation("sigmoid"))
    return model


def _init():
    return RandomNormal(0.0, 0.02)


def dcgan_generator(
    latent_dim=LATENT_DIM, width=64, channels=1, dense=None, name="dcgan_generator"
):
    """DCGAN generator for 28x28: [Dense ``dense``, BN, ReLU,] Dense 2w*7*7, BN, ReLU, Reshape
    (2w, 7, 7), ConvTranspose w@4x4 stride 2 (14x14), BN, ReLU, ConvTranspose ``channels``@4x4
    stride 2 (28x28), tanh. z (N, latent_dim) -> (N, channels, 28, 28); w = ``width``.
    ``dense=1024`` adds the hidden fully connected layer of InfoGAN's MNIST generator (Chen et al.)."""
    head = (
        []
        if not dense
        else [
            Dense(dense, use_bias=False, kernel_initializer=_init(), input_shape=(latent_dim,)),
            BatchNormalization(momentum=0.9),
            Activation("relu"),
        ]
    )
    first = {} if head else {"input_shape": (latent_dim,)}
    return Sequential(
        head
        + [
            Dense(2 * width * 7 * 7, use_bias=False, kernel_initializer=_init(), **first),
            BatchNormalization(momentum=0.9),
            Activation("relu"),
            Reshape((2 * width, 7, 7)),
            Conv2DTranspose(
                width, 4, strides=2, padding="same", use_bias=False, kernel_initializer=_init()
            ),
            BatchNormalization(momentum=0.9),
            Activation("relu"),
            Conv2DTranspose(
                channels,
                4,
                strides=2,
                padding="same",
                activation="tanh",
                kernel_initializer=_init(),
            ),
        ],
        name=name,
    )


def dcgan_discriminator(input_shape=IMAGE_SHAPE, width=64, dense=None, name="dcgan_discriminator"):
    """DCGAN discriminator for 28x28: Conv w@4x4 stride 2 (14x14), LeakyReLU 0.2, Conv 2w@4x4
    stride 2 (7x7), BN, LeakyReLU 0.2, Flatten, [Dense ``dense``, BN, LeakyReLU 0.2,] Dense 1
    sigmoid. (N, *input_shape) -> (N, 1). ``dense=1024``: InfoGAN's MNIST discriminator."""
    layers = [
        Conv2D(
            width, 4, strides=2, padding="same", kernel_initializer=_init(), input_shape=input_shape
        ),
        LeakyReLU(0.2),
        Conv2D(2 * width, 4, strides=2, padding="same", use_bias=False, kernel_initializer=_init()),
        BatchNormalization(momentum=0.9),
        LeakyReLU(0.2),
        Flatten(),
    ]
    if dense:
        layers += [
            Dense(dense, use_bias=False, kernel_initializer=_init()),
            BatchNormalization(momentum=0.9),
            LeakyReLU(0.2),
        ]
    layers.append(Dense(1, activation="sigmoid", kernel_initializer=_init()))
    return Sequential(layers, name=name)


def conditional_generator(latent_dim=LATENT_DIM, num_classes=NUM_CLASSES, width=64):
    """The DCGAN generator fed [z, one-hot label]: (N, latent_dim + num_classes) -> (N, 1, 28, 28)."""
    return dcgan_generator(latent_dim + num_classes, width, name="conditional_generator")


def conditional_discriminator(num_classes=NUM_CLASSES, width=64):
    """The DCGAN discriminator fed the image with one constant plane per class (the one-hot label
    broadcast over 28x28): (N, 1 + num_classes, 28, 28) -> (N, 1)."""
    return dcgan_discriminator((1 + num_classes, 28, 28), width, name="conditional_discriminator")

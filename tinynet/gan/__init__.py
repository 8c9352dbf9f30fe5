"""Generative adversarial networks on tinynet: the lecture's GAN and a DCGAN forging MNIST, the
keras-adversarial API, quality measures, latent arithmetic and class-conditional generation.

    from tinynet.gan import GAN, dcgan_generator, dcgan_discriminator
    gan = GAN(dcgan_generator(), dcgan_discriminator(), latent_dim=100).compile()
    gan.fit(x_train, epochs=5, batch_size=128)      # x scaled to [-1, 1], (N, 1, 28, 28)
    images = gan.generate(100)

Modules: networks (the players), gan_model (GAN, ConditionalGAN: train_steps on the shared
loop), adversarial (AdversarialModel, simple_gan, gan_targets, ...), monitors (SampleGrid,
LossRecorder, TextLog), quality (digit classifier, confident share, class shares, Fréchet
distance), latent (sampling, interpolation, arithmetic), ema (a moving average of the generator).
The runs behind the examples and ``tinynet gan`` are application code, in tinynet.apps.
"""

from .adversarial import (
    AdversarialModel,
    AdversarialOptimizerAlternating,
    AdversarialOptimizerSimultaneous,
    ImageGridCallback,
    gan_targets,
    normal_latent_sampling,
    simple_gan,
    uniform_latent_sampling,
)
from .gan_model import DIGIT_NAMES, GAN, ConditionalGAN
from .latent import arithmetic, interpolate, sample_latent
from .monitors import LossRecorder, SampleGrid, TextLog, TimeBudget
from .networks import (
    conditional_discriminator,
    conditional_generator,
    dcgan_discriminator,
    dcgan_generator,
    discriminator_model,
    generator_model,
)

__all__ = [
    "GAN",
    "ConditionalGAN",
    "DIGIT_NAMES",
    "AdversarialModel",
    "AdversarialOptimizerSimultaneous",
    "AdversarialOptimizerAlternating",
    "ImageGridCallback",
    "simple_gan",
    "gan_targets",
    "normal_latent_sampling",
    "uniform_latent_sampling",
    "SampleGrid",
    "LossRecorder",
    "TextLog",
    "TimeBudget",
    "generator_model",
    "discriminator_model",
    "dcgan_generator",
    "dcgan_discriminator",
    "conditional_generator",
    "conditional_discriminator",
    "sample_latent",
    "interpolate",
    "arithmetic",
]

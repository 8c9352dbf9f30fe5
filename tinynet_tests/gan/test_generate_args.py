"""GAN.generate checks its sizes at the door (issue 18): a negative n or batch_size is named,
not passed on as NumPy's "negative dimensions"; adversarial_compile refuses unknown keywords."""

import pytest

import tinynet as tn
from tinynet.gan import GAN

from .test_gan import small_dcgan


@pytest.fixture(scope="module")
def gan():
    tn.seed(0)
    return GAN(*small_dcgan()).compile()


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"n": -1}, ValueError, "GAN.generate: n must be an integer >= 0, got -1"),
        ({"n": 2.5}, TypeError, "GAN.generate: n must be an integer >= 0, got 2.5"),
        ({"n": 4, "batch_size": 0}, ValueError, "batch_size must be an integer >= 1, got 0"),
    ],
)
def test_generate_names_a_bad_size(gan, kwargs, error, message):
    with pytest.raises(error, match=message):
        gan.generate(**kwargs)


def test_generate_n_and_z_must_agree(gan):
    import numpy as np

    with pytest.raises(ValueError, match="n=3 but z has 2 rows"):
        gan.generate(3, z=np.zeros((2, gan.latent_dim), "float32"))
    assert gan.generate(3).shape[0] == 3 and gan.generate(0).shape[0] == 0


def test_adversarial_compile_refuses_unknown_keywords():
    from tinynet.gan import (
        AdversarialModel,
        AdversarialOptimizerSimultaneous,
        normal_latent_sampling,
        simple_gan,
    )

    from .test_gan import dense_pair

    g, d = dense_pair()
    model = AdversarialModel(
        player_models=[
            simple_gan(g, d, normal_latent_sampling((4,))),
            simple_gan(g, d, normal_latent_sampling((4,))),
        ],
        player_params=[g.trainable_weights, d.trainable_weights],
        player_names=["generator", "discriminator"],
    )
    with pytest.raises(TypeError, match="adversarial_compile: unexpected keyword argument 'lr'"):
        model.adversarial_compile(
            AdversarialOptimizerSimultaneous(), ["adam", "adam"], "binary_crossentropy", lr=0.1
        )

"""tinynet.gan on a CUDA GPU (CuPy): training steps give the CPU's numbers, generation and the
quality measures run there. Skipped without a GPU."""

import numpy as np
import pytest

import tinynet as tn
from tinynet.backend import gpu_available
from tinynet.gan import (
    GAN,
    AdversarialModel,
    AdversarialOptimizerSimultaneous,
    ConditionalGAN,
    dcgan_discriminator,
    dcgan_generator,
    gan_targets,
    normal_latent_sampling,
    simple_gan,
)
from tinynet.gan import quality as metrics
from tinynet.optimizers import Adam

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not gpu_available(), reason="needs a CUDA GPU (CuPy)"),
]


def real(n, shape=(1, 28, 28)):
    return np.random.default_rng(0).uniform(-1, 1, (n,) + shape).astype(np.float32)


def gan_losses(device, conditional=False, ema_decay=None):
    tn.seed(0)
    if conditional:
        gan = ConditionalGAN(
            dcgan_generator(8 + 10, 8), dcgan_discriminator((11, 28, 28), 8), latent_dim=8
        )
    else:
        gan = GAN(
            dcgan_generator(8, 8, dense=16), dcgan_discriminator(width=8, dense=16), latent_dim=8
        )
    gan.compile(ema_decay=ema_decay).to(device)
    y = np.arange(16) % 10
    out = [gan.train_on_batch(real(16), y if conditional else None) for _ in range(3)]
    z = gan.sample_z(4, np.random.default_rng(1))
    return out, gan.generate(z=z, labels=[1, 2, 3, 4] if conditional else None)


@pytest.mark.parametrize(
    "conditional, ema_decay", [(False, None), (True, None), (False, 0.9), (True, 0.9)]
)
def test_gan_steps_on_gpu_match_cpu(conditional, ema_decay):
    cpu, img_cpu = gan_losses("cpu", conditional, ema_decay)
    gpu, img_gpu = gan_losses("gpu", conditional, ema_decay)
    for a, b in zip(cpu, gpu):
        for k in ("d_loss", "g_loss"):
            assert b[k] == pytest.approx(a[k], rel=2e-3, abs=2e-4), k
        assert b["d_acc"] == pytest.approx(
            a["d_acc"], abs=2 / 32
        )  # a logit near 0 may change sides
    assert isinstance(img_gpu, np.ndarray)
    np.testing.assert_allclose(img_gpu, img_cpu, rtol=1e-2, atol=2e-3)


def test_adversarial_model_on_gpu_matches_cpu():
    values = []
    for device in ("cpu", "gpu"):
        tn.seed(0)
        g, d = dcgan_generator(8, 8), dcgan_discriminator(width=8)
        model = AdversarialModel(
            base_model=simple_gan(g, d, normal_latent_sampling((8,))),
            player_params=[g.trainable_weights, d.trainable_weights],
        )
        model.adversarial_compile(
            AdversarialOptimizerSimultaneous(), [Adam(1e-3), Adam(1e-3)], "binary_crossentropy"
        )
        model.to(device)
        values.append([model.train_on_batch(real(8), gan_targets(8)) for _ in range(2)])
    np.testing.assert_allclose(values[1], values[0], rtol=2e-3, atol=2e-4)


def test_quality_measures_on_gpu_match_cpu():
    from tinynet.layers import Dense, Flatten
    from tinynet.models import Sequential

    tn.seed(0)
    clf = Sequential(
        [
            Flatten(input_shape=(1, 28, 28)),
            Dense(16, activation="relu"),
            Dense(10, activation="softmax"),
        ]
    )
    x = (real(300) + 1) / 2
    cpu = metrics.quality_report(clf, x[:100], x)
    gpu = metrics.quality_report(clf.to("gpu"), x[:100], x)
    for k in ("confident_share", "fid", "fid_real_halves"):
        assert gpu[k] == pytest.approx(cpu[k], rel=1e-3, abs=1e-6), k

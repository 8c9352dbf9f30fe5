"""WGAN-GP (Gulrajani et al., 2017): a Wasserstein critic kept 1-Lipschitz by a gradient penalty,
the penalty's gradient taken by double backpropagation (``tinynet.grad(create_graph=True)``).

    from tinynet.gan.wgan_gp import WGANGP, wgan_critic
    gan = WGANGP(dcgan_generator(dense=1024), wgan_critic(dense=1024), latent_dim=100)
    gan.compile()                 # Adam(1e-4, beta_1=0, beta_2=0.9) each, n_critic 5, weight 10
    gan.fit(x, epochs=5, batch_size=64)   # x (N, 1, 28, 28) in [-1, 1]

Each batch of real images is one critic step, minimising D(G(z)) - D(x) + 10 (||grad D(x_hat)||
- 1)^2 averaged over the batch, x_hat = e x + (1 - e) G(z) with e ~ U(0, 1) per image (the
paper's Algorithm 1); every ``n_critic`` batches the generator takes one step on -D(G(z)). The
critic is the DCGAN discriminator without BatchNorm (the penalty is per image, which batch
statistics would break) and without an output activation. It runs on the shared training loop
as a tinynet.gan.GAN (sampling, EMA, saving as there); logs d_loss (the critic's loss),
g_loss, w_distance (the estimate D(x) - D(G(z))) and gp (the penalty, before its weight).
"""

import numpy as np

from ..autograd import Tensor, grad, no_grad
from ..backend import get_array_module
from ..backend import rng as backend_rng
from ..layers import Conv2D, Dense, Flatten, LeakyReLU
from ..models import Sequential
from ..training import optimizers
from .gan_model import GAN
from .networks import IMAGE_SHAPE, _init

GP_WEIGHT = 10.0  # lambda of the paper
N_CRITIC = 5


def default_optimizer():
    """The paper's setting: Adam, lr 1e-4, beta_1 0, beta_2 0.9."""
    return optimizers.Adam(lr=1e-4, beta_1=0.0, beta_2=0.9)


def wgan_critic(input_shape=IMAGE_SHAPE, width=64, dense=None, name="wgan_critic"):
    """The DCGAN discriminator as a WGAN-GP critic: Conv w@4x4 stride 2, LeakyReLU 0.2, Conv
    2w@4x4 stride 2, LeakyReLU 0.2, Flatten, [Dense ``dense``, LeakyReLU 0.2,] Dense 1 (a score,
    no activation). No BatchNorm. (N, *input_shape) -> (N, 1)."""
    layers = [
        Conv2D(
            width, 4, strides=2, padding="same", kernel_initializer=_init(), input_shape=input_shape
        ),
        LeakyReLU(0.2),
        Conv2D(2 * width, 4, strides=2, padding="same", kernel_initializer=_init()),
        LeakyReLU(0.2),
        Flatten(),
    ]
    if dense:
        layers += [Dense(dense, kernel_initializer=_init()), LeakyReLU(0.2)]
    layers.append(Dense(1, kernel_initializer=_init()))
    return Sequential(layers, name=name)


def gradient_penalty(critic, real, fake, rng=None, training=True):
    """The mean over the batch of (||d critic(x_hat) / d x_hat||_2 - 1)^2, x_hat = e real +
    (1 - e) fake, e ~ U(0, 1) per image (from ``rng``, default tinynet's seeded generator).
    real, fake: raw arrays (N, C, H, W) (constants). Returns a scalar Tensor whose graph holds
    the gradient's own graph, so backward() reaches the critic's weights through it."""
    xp = get_array_module(real)
    if real.shape != fake.shape:
        raise ValueError(
            f"gradient_penalty: real {real.shape} and fake {fake.shape} images differ in shape"
        )
    n = real.shape[0]
    e = (rng or backend_rng()).uniform(0, 1, size=(n,) + (1,) * (real.ndim - 1))
    e = xp.asarray(e, dtype=real.dtype)
    x_hat = Tensor(e * real + (1 - e) * fake, requires_grad=True)
    scores = critic(x_hat, training)
    (g,) = grad(scores.sum(), x_hat, create_graph=True)
    sq = (g * g).reshape(n, -1).sum(axis=1)
    norm = (sq + real.dtype.type(1e-12)) ** 0.5  # the tiny term keeps d norm finite at g = 0
    return ((norm - 1) ** 2).mean()


class WGANGP(GAN):
    """A generator against a WGAN-GP critic (images -> score (N, 1), no output activation).
    ``compile(n_critic=5, gp_weight=10)``; the rest as :class:`tinynet.gan.GAN`."""

    metrics_names = ("d_loss", "g_loss", "w_distance", "gp")

    def _check_shapes(self):
        super()._check_shapes()
        if self.discriminator.output_activation != "linear":
            raise ValueError(
                f"WGANGP: the critic must give an unbounded score (no output activation), "
                f"got {self.discriminator.output_activation!r}"
            )

    def compile(
        self, optimizer=None, g_optimizer=None, d_optimizer=None, n_critic=N_CRITIC,
        gp_weight=GP_WEIGHT, ema_decay=None,
    ):  # fmt: skip
        """Optimizers as GAN.compile (default: Adam(1e-4, beta_1=0, beta_2=0.9) each); n_critic
        critic steps per generator step; gp_weight the penalty's lambda (>= 0)."""
        if not (isinstance(gp_weight, (int, float)) and gp_weight >= 0):
            raise ValueError(f"WGANGP.compile: gp_weight must be a number >= 0, got {gp_weight!r}")
        fallback = optimizer if optimizer is not None else default_optimizer()
        super().compile(fallback, g_optimizer, d_optimizer, d_steps=n_critic, ema_decay=ema_decay)
        self.gp_weight = float(gp_weight)
        return self

    @property
    def n_critic(self):
        return self.d_steps

    def discriminator_step(self, x_real, labels=None):
        """One critic update on a device batch of real images against as many generated ones.
        Returns (loss, w_distance, gp) as device scalars."""
        d = self.discriminator
        n = x_real.shape[0]
        z = self._dev(self.sample_z(n))
        train = self._freeze_all_but(d)
        with no_grad():
            fake = self.generator(z, training=True).data
        if not train:
            with no_grad():
                w = d(x_real, training=True).mean() - d(fake, training=True).mean()
            return -w.data, w.data, w.data * 0
        w = d(x_real, training=True).mean() - d(fake, training=True).mean()
        gp = gradient_penalty(d, x_real, fake)
        loss = gp * self.gp_weight - w
        loss.backward()
        self.d_optimizer.step(d.trainable_weights)
        return loss.data, w.data, gp.data

    def generator_step(self, n):
        """One generator update on n fresh z: minimise -D(G(z)). Returns the loss."""
        g = self.generator
        z = self._dev(self.sample_z(n))
        train = self._freeze_all_but(g)
        if not train:
            with no_grad():
                return -self.discriminator(g(z, training=True), training=True).mean().data
        loss = -self.discriminator(g(z, training=True), training=True).mean()
        loss.backward()
        self.g_optimizer.step(g.trainable_weights)
        if self.ema is not None:
            self.ema.update()
        return loss.data

    def train_step(self, batch):
        x = batch[0]
        d_loss, w, gp = self.discriminator_step(x)
        logs = {"d_loss": d_loss, "w_distance": w, "gp": gp}
        if (self.step_in_epoch + 1) % self.d_steps == 0:
            logs["g_loss"] = self.generator_step(x.shape[0])
        return logs

    def train_on_batch(self, x, y=None):
        """One critic step on the real batch x and one generator step. Returns
        {"d_loss", "g_loss", "w_distance", "gp"} as floats."""
        self.check_compiled("train_on_batch")
        xb, _ = self.device_batch(self._real_arrays(x, None, "train_on_batch"))
        try:
            d_loss, w, gp = self.discriminator_step(xb)
            g_loss = self.generator_step(len(x))
        finally:
            self._restore_trainable()
        values = [float(np.asarray(v)) for v in (d_loss, g_loss, w, gp)]
        return dict(zip(self.metrics_names, values))

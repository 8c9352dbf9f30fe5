"""GAN: adversarial training of a generator against a discriminator, Keras-style.

    from tinynet.gan import GAN, dcgan_generator, dcgan_discriminator
    gan = GAN(dcgan_generator(), dcgan_discriminator(), latent_dim=100)
    gan.compile()                        # Adam(2e-4, beta_1=0.5) for each player
    history = gan.fit(x, epochs=5, batch_size=128)   # x (N, 1, 28, 28) scaled to [-1, 1]
    images = gan.generate(64)            # (64, 1, 28, 28) NumPy, in [-1, 1]

Labels: real = 1, fake = 0. Each batch of real images gives one discriminator step (real and
generated images in separate forward passes, so BatchNorm never mixes them); every ``d_steps``
batches the generator takes one step with the non-saturating loss -log D(G(z)) (targets 1).
While one player steps, the other is frozen: no gradients for its weights and no change to its
BatchNorm moving statistics. The discriminator is trained on its logits when its output
activation is a sigmoid (the stable fused loss); a discriminator without output activation is
read as giving logits.

ConditionalGAN feeds the class to both players: the generator gets [z, one-hot label], the
discriminator the image with one constant plane per class; ``fit(x, y)`` takes the labels.
"""

import numpy as np

from .. import functional as F
from ..autograd import Tensor, no_grad
from ..backend import get_array_module, is_gpu_array, to_device
from ..backend import rng as backend_rng
from ..layers.base import set_trainable_grads
from ..models import Sequential
from ..training import optimizers
from ..training.data import check_int
from ..training.logs import to_floats
from ..training.trainer import Trainer
from .ema import WeightAverage
from .latent import check_distribution, sample_latent
from .ops import concat_channels, label_planes, one_hot

DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
METRICS = ("d_loss", "g_loss", "d_acc")


def default_optimizer():
    """Radford et al.'s setting for both players: Adam, lr 2e-4, beta_1 0.5."""
    return optimizers.Adam(lr=2e-4, beta_1=0.5)


class GAN(Trainer):
    """A generator (z (N, latent_dim) -> images) against a discriminator (images -> P(real) (N, 1)).

    On the shared training loop: ``train_step`` is one discriminator step and, every ``d_steps``
    batches, one generator step; every batch is full (BatchNorm); epochs log their seconds as
    'time'; a NaN or infinite loss stops training."""

    num_classes = None
    default_batch_size = 64
    drop_remainder = True
    log_epoch_time = True
    stop_on_nonfinite = True
    metrics_names = METRICS

    def __init__(self, generator, discriminator, latent_dim=None, latent="normal", name="gan"):
        for role, m in (("generator", generator), ("discriminator", discriminator)):
            if not isinstance(m, Sequential):
                raise TypeError(
                    f"GAN: the {role} must be a tinynet Sequential, got {type(m).__name__}"
                )
        generator._require_built()
        discriminator._require_built()
        self.generator, self.discriminator, self.name = generator, discriminator, name
        g_in = generator.input_shape
        self.latent_dim = int(
            latent_dim if latent_dim is not None else g_in[0] - (self.num_classes or 0)
        )
        self.latent = check_distribution(latent, "GAN")
        self._check_shapes()
        self.g_optimizer = self.d_optimizer = None
        self.d_steps, self.label_smoothing, self.ema = 1, 0.0, None
        self.device = generator.device

    # ----- checks -----
    def _g_input_width(self):
        return self.latent_dim + (self.num_classes or 0)

    def _d_input_shape(self):
        return self.generator.output_shape

    def _check_shapes(self):
        g, d = self.generator, self.discriminator
        want = (self._g_input_width(),)
        if tuple(g.input_shape) != want:
            extra = f" + {self.num_classes} classes" if self.num_classes else ""
            raise ValueError(
                f"{type(self).__name__}: the generator takes input {g.input_shape} but "
                f"latent_dim={self.latent_dim}{extra} needs {want}"
            )
        if tuple(d.input_shape) != tuple(self._d_input_shape()):
            raise ValueError(
                f"{type(self).__name__}: the discriminator takes input {d.input_shape} but "
                f"it is fed {tuple(self._d_input_shape())} (the generator makes "
                f"{g.output_shape})"
            )
        if tuple(d.output_shape) != (1,):
            raise ValueError(
                f"{type(self).__name__}: the discriminator must give one output per image "
                f"(N, 1), it gives {d.output_shape}"
            )
        if d.output_activation not in ("sigmoid", "linear"):
            raise ValueError(
                f"{type(self).__name__}: the discriminator's output activation must be "
                f"'sigmoid' (or none, for logits), got {d.output_activation!r}"
            )

    # ----- set-up -----
    def compile(
        self,
        optimizer=None,
        g_optimizer=None,
        d_optimizer=None,
        d_steps=1,
        label_smoothing=0.0,
        ema_decay=None,
    ):
        """optimizer: for both players (each gets its own copy); g_optimizer / d_optimizer override
        it per player; default Adam(2e-4, beta_1=0.5). d_steps: discriminator steps per generator
        step (k in Goodfellow et al.). label_smoothing: real targets become 1 - label_smoothing
        (one-sided smoothing, Salimans et al.). ema_decay (e.g. 0.999): keep an exponential moving
        average of the generator's weights (``self.ema``, see tinynet.gan.ema) and sample from it."""
        if not (isinstance(d_steps, int) and d_steps >= 1):
            raise ValueError(
                f"{type(self).__name__}.compile: d_steps must be an int >= 1, got {d_steps!r}"
            )
        if not 0 <= label_smoothing < 0.5:
            raise ValueError(
                f"{type(self).__name__}.compile: label_smoothing must be in [0, 0.5), "
                f"got {label_smoothing!r}"
            )

        def make(specific):
            if specific is not None:
                return optimizers.get(specific)
            if optimizer is None:
                return default_optimizer()
            base = optimizers.get(optimizer)
            return optimizers.from_config(optimizers.serialize(base))

        self.g_optimizer, self.d_optimizer = make(g_optimizer), make(d_optimizer)
        if g_optimizer is not None and self.g_optimizer is self.d_optimizer:
            raise ValueError(f"{type(self).__name__}.compile: the players need separate optimizers")
        self.d_steps, self.label_smoothing = d_steps, float(label_smoothing)
        self.ema = WeightAverage(self.generator, ema_decay) if ema_decay else None
        for opt in (self.g_optimizer, self.d_optimizer):
            opt.to(self.device)
        return self

    def to(self, device):
        """Move both players (and the optimizers' state) to "cpu" or "gpu". Returns self."""
        self.generator.to(device)
        self.discriminator.to(device)
        for opt in (self.g_optimizer, self.d_optimizer):
            if opt is not None:
                opt.to(device)
        if self.ema is not None:
            self.ema.to(device)
        self.device = device
        return self

    def _label(self):
        return type(self).__name__

    def check_compiled(self, who):
        if self.g_optimizer is None:
            raise RuntimeError(f"{type(self).__name__}.{who}: call compile() first")

    # ----- sampling -----
    def sample_z(self, n, rng=None):
        """(n, latent_dim) float32 latent vectors on the host (default: tinynet's seeded generator)."""
        return sample_latent(n, self.latent_dim, self.latent, rng)

    def _sample_labels(self, n, rng=None):
        if self.num_classes is None:
            return None
        return (rng or backend_rng()).integers(0, self.num_classes, n)

    def _g_input(self, z, labels):
        return z

    def _d_input(self, x, labels):
        return x

    def _d_logits(self, x, labels, training):
        d = self.discriminator
        x = self._d_input(x, labels)
        if d.output_activation == "sigmoid":
            return d.call_pre_activation(x, training)
        return d(x, training)

    def _dev(self, a):
        """A host or device array as the models' dtype on their device."""
        if not is_gpu_array(a):
            a = np.asarray(a, dtype=self.generator.dtype)
        elif a.dtype != self.generator.dtype:
            a = a.astype(self.generator.dtype)
        return to_device(a, self.device)

    @property
    def sampler(self):
        """The generator that ``generate`` draws from: the weight average when compiled with
        ema_decay (its BatchNorm statistics refreshed on fresh z first), else the generator."""
        if self.ema is None:
            return self.generator
        if self.ema.stale:

            def make_input(k):
                rng = np.random.default_rng(k)
                return self._dev(
                    self._g_input(self.sample_z(256, rng), self._sample_labels(256, rng))
                )

            self.ema.refresh(make_input)
        return self.ema.model

    def generate(self, n=None, z=None, labels=None, batch_size=500, rng=None):
        """Images (N, *image_shape) as a NumPy array in the generator's output range, made in
        inference mode (BatchNorm moving statistics) by ``sampler``. Give n (fresh z) or z
        (N, latent_dim)."""
        who = f"{type(self).__name__}.generate"
        if z is None:
            if n is None:
                raise ValueError(f"{who}: give n or z")
            n = check_int(n, "n", who, minimum=0)
            z = self.sample_z(n, rng)
        elif n is not None and n != len(z):
            raise ValueError(f"{who}: n={n!r} but z has {len(z)} rows; give one of them")
        check_int(batch_size, "batch_size", who)
        z = np.asarray(z, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(
                f"{type(self).__name__}.generate: z must have shape (N, {self.latent_dim}), "
                f"got {z.shape}"
            )
        labels = self._check_labels(labels, len(z), rng)
        g_in = self._g_input(z, labels)
        return self.sampler.predict(g_in, batch_size=batch_size)

    def _check_labels(self, labels, n, rng=None):
        return None

    # ----- one step per player -----
    def _freeze_all_but(self, player):
        """requires_grad only on ``player``'s trainable weights; the other player's are constants
        (no weight gradients, no BatchNorm moving-statistics updates)."""
        return bool(
            set_trainable_grads((self.generator, self.discriminator), player.trainable_weights)
        )

    def _restore_trainable(self):
        set_trainable_grads((self.generator, self.discriminator))

    def discriminator_step(self, x_real, labels=None):
        """One discriminator update on a device batch of real images (and their labels for a
        conditional GAN) against as many generated ones. Returns (loss, accuracy) as device
        scalars; loss = (BCE(D(x), 1 - smoothing) + BCE(D(G(z)), 0)) / 2."""
        d = self.discriminator
        n = x_real.shape[0]
        fake_labels = self._sample_labels(n)
        z = self._dev(self.sample_z(n))
        train = self._freeze_all_but(d)
        with no_grad():
            fake = self.generator(self._dev(self._g_input(z, fake_labels)), training=True).data
        xp = get_array_module(x_real)
        t_real = xp.full((n, 1), 1.0 - self.label_smoothing, dtype=x_real.dtype)
        t_fake = xp.zeros((n, 1), dtype=x_real.dtype)

        def forward():
            zr = self._d_logits(x_real, labels, training=True)
            zf = self._d_logits(fake, fake_labels, training=True)
            loss = (
                F.binary_cross_entropy_with_logits(zr, t_real)
                + F.binary_cross_entropy_with_logits(zf, t_fake)
            ) * 0.5
            return loss, zr, zf

        if train:
            loss, zr, zf = forward()
            loss.backward()
            self.d_optimizer.step(d.trainable_weights)
        else:
            with no_grad():
                loss, zr, zf = forward()
        acc = ((zr.data > 0).sum() + (zf.data < 0).sum()) / (2.0 * n)
        return loss.data, acc

    def generator_step(self, n):
        """One generator update on n fresh z through the frozen discriminator, targets 1
        (non-saturating loss). Returns the loss as a device scalar."""
        g = self.generator
        labels = self._sample_labels(n)
        z = self._dev(self.sample_z(n))
        xp = get_array_module(z)
        t = xp.ones((n, 1), dtype=z.dtype)
        train = self._freeze_all_but(g)

        def forward():
            fake = g(self._dev(self._g_input(z, labels)), training=True)
            return F.binary_cross_entropy_with_logits(
                self._d_logits(fake, labels, training=True), t
            )

        if train:
            loss = forward()
            loss.backward()
            self.g_optimizer.step(g.trainable_weights)
            if self.ema is not None:
                self.ema.update()
        else:
            with no_grad():
                loss = forward()
        return loss.data

    def train_step(self, batch):
        """One discriminator step on the device batch (x[, labels]); every ``d_steps`` batches of
        an epoch also one generator step. Returns d_loss, d_acc (and g_loss) as device scalars."""
        x, labels = batch[0], (batch[1] if len(batch) > 1 else None)
        d_loss, d_acc = self.discriminator_step(x, labels)
        logs = {"d_loss": d_loss, "d_acc": d_acc}
        if (self.step_in_epoch + 1) % self.d_steps == 0:
            logs["g_loss"] = self.generator_step(x.shape[0])
        return logs

    def end_training(self):
        self._restore_trainable()

    def train_on_batch(self, x, y=None):
        """One discriminator step on the real batch x (N, *image_shape) and one generator step on
        N fresh z. Returns {"d_loss", "g_loss", "d_acc"} as floats."""
        self.check_compiled("train_on_batch")
        xb, yb = self.device_batch(self._real_arrays(x, y, "train_on_batch"))
        try:
            d_loss, d_acc = self.discriminator_step(xb, yb)
            g_loss = self.generator_step(len(x))
        finally:
            self._restore_trainable()
        return dict(zip(("d_loss", "g_loss", "d_acc"), to_floats([d_loss, g_loss, d_acc])))

    def _real_arrays(self, x, y, who):
        x = np.asarray(x) if not hasattr(x, "shape") else x
        if tuple(x.shape[1:]) != tuple(self.generator.output_shape):
            raise ValueError(
                f"{type(self).__name__}: real images must have shape (N, "
                f"{', '.join(map(str, self.generator.output_shape))}) like the generator's "
                f"output, got {tuple(x.shape)}"
            )
        return (x, y)

    def device_batch(self, arrays):
        x, y = arrays[0], (arrays[1] if len(arrays) > 1 else None)
        return self._dev(x), None if y is None else to_device(
            np.asarray(y, dtype=np.int64), self.device
        )

    def fit_arrays(self, x, y, sample_weight, class_weight, who):
        x = np.asarray(x) if not hasattr(x, "shape") else x
        arrays = self._real_arrays(x, self._check_fit_labels(x, y), who)
        return tuple(a for a in arrays if a is not None)

    # ----- fit -----
    def fit(
        self,
        x,
        y=None,
        batch_size=None,
        epochs=1,
        verbose=1,
        callbacks=None,
        shuffle=True,
        initial_epoch=0,
        steps_per_epoch=None,
        **kwargs,
    ):
        """Train for ``epochs`` over the real images x (N, *image_shape), a NumPy array scaled like
        the generator's output ([-1, 1] for tanh), in full batches (default 64). Logs per batch
        and per epoch: d_loss, g_loss, d_acc (epoch: also 'time', seconds). Returns a History."""
        self.check_compiled("fit")
        x = np.asarray(x) if not hasattr(x, "shape") else x
        if x.dtype.kind in "iu":
            raise ValueError(
                f"{type(self).__name__}.fit: x has integer dtype {x.dtype}; scale the images "
                f"to the generator's output range first (e.g. x / 127.5 - 1 for tanh)"
            )
        batch_size = self.default_batch_size if batch_size is None else int(batch_size)
        if batch_size < 2:
            raise ValueError(
                f"{type(self).__name__}.fit: batch_size must be >= 2 (BatchNorm), got {batch_size}"
            )
        if len(x) < batch_size:
            raise ValueError(
                f"{type(self).__name__}.fit: {len(x)} images is fewer than one batch of {batch_size}"
            )
        return super().fit(
            x,
            y,
            batch_size=batch_size,
            epochs=epochs,
            verbose=verbose,
            callbacks=callbacks,
            shuffle=shuffle,
            initial_epoch=initial_epoch,
            steps_per_epoch=steps_per_epoch,
            **kwargs,
        )

    def _check_fit_labels(self, x, y):
        if y is not None:
            raise ValueError(
                f"{type(self).__name__}.fit: an unconditional GAN takes no labels (use "
                f"ConditionalGAN for class-conditional generation)"
            )
        return None

    # ----- files -----
    def save(self, directory):
        """Write generator.tnz and discriminator.tnz (architecture and weights) into
        ``directory``, and generator_ema.tnz (the weight average, ready to sample) when compiled
        with ema_decay. The optimizers' state, for resuming, is tinynet.gan.checkpoint's."""
        import os

        os.makedirs(directory, exist_ok=True)
        self.generator.save(os.path.join(directory, "generator.tnz"))
        self.discriminator.save(os.path.join(directory, "discriminator.tnz"))
        if self.ema is not None:
            self.sampler.save(os.path.join(directory, "generator_ema.tnz"), include_optimizer=False)


class ConditionalGAN(GAN):
    """A GAN whose players both see the class: G([z, one-hot y]), D([x, label planes]).

    ``generate(labels=[...])`` takes integer labels or digit names ("seven")."""

    def __init__(
        self,
        generator,
        discriminator,
        latent_dim=None,
        num_classes=10,
        latent="normal",
        class_names=DIGIT_NAMES,
        name="conditional_gan",
    ):
        self.num_classes = int(num_classes)
        self.class_names = tuple(class_names)[: self.num_classes]
        super().__init__(generator, discriminator, latent_dim, latent, name)

    def _d_input_shape(self):
        c, h, w = self.generator.output_shape
        return (c + self.num_classes, h, w)

    def _g_input(self, z, labels):
        xp = get_array_module(z)
        return xp.concatenate([z, one_hot(labels, self.num_classes, xp, z.dtype)], axis=1)

    def _d_input(self, x, labels):
        data = x.data if isinstance(x, Tensor) else x
        xp = get_array_module(data)
        planes = label_planes(labels, self.num_classes, data.shape[2:], xp, data.dtype)
        return concat_channels(x, planes)

    def _sample_labels(self, n, rng=None):
        return (rng or backend_rng()).integers(0, self.num_classes, n)

    def label_of(self, label):
        """An integer class from an int or a class name ("seven" -> 7)."""
        if isinstance(label, str):
            key = label.strip().lower()
            if key in self.class_names:
                return self.class_names.index(key)
            if key.isdigit():
                label = int(key)
            else:
                raise ValueError(
                    f"{type(self).__name__}: unknown class name {label!r}; known: "
                    f"{', '.join(self.class_names)}"
                )
        label = int(label)
        if not 0 <= label < self.num_classes:
            raise ValueError(
                f"{type(self).__name__}: label {label} outside 0..{self.num_classes - 1}"
            )
        return label

    def _check_labels(self, labels, n, rng=None):
        if labels is None:
            return self._sample_labels(n, rng)
        if isinstance(labels, (str, int, np.integer)):
            labels = [labels] * n
        labels = np.array([self.label_of(v) for v in labels], dtype=np.int64)
        if len(labels) != n:
            raise ValueError(f"{type(self).__name__}.generate: {len(labels)} labels for {n} images")
        return labels

    def generate(self, n=None, z=None, labels=None, batch_size=500, rng=None):
        """Images of the requested classes: ``labels`` a list of ints / names (one per image) or
        one label for all; n defaults to len(labels) (1 for a single label)."""
        if n is None and z is None and labels is not None:
            n = 1 if isinstance(labels, (str, int, np.integer)) else len(labels)
        return super().generate(n, z, labels, batch_size, rng)

    def _real_arrays(self, x, y, who):
        x, _ = super()._real_arrays(x, None, who)
        if y is None:
            raise ValueError(f"{type(self).__name__}: real images need their labels")
        return (x, np.asarray(y).reshape(-1).astype(np.int64))

    def _check_fit_labels(self, x, y):
        if y is None:
            raise ValueError(
                f"{type(self).__name__}.fit: give the class labels y (N,) of the images"
            )
        y = np.asarray(y).reshape(-1)
        if len(y) != len(x):
            raise ValueError(f"{type(self).__name__}.fit: {len(x)} images but {len(y)} labels")
        if y.size and (y.min() < 0 or y.max() >= self.num_classes):
            raise ValueError(
                f"{type(self).__name__}.fit: labels must be in 0..{self.num_classes - 1}, "
                f"got range [{y.min()}, {y.max()}]"
            )
        return y.astype(np.int64)

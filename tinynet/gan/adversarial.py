"""The keras-adversarial API the lecture shows, on tinynet models.

    gan = simple_gan(generator, discriminator, normal_latent_sampling((100,)))  # x -> [yfake, yreal]
    model = AdversarialModel(base_model=gan,
                             player_params=[generator.trainable_weights, discriminator.trainable_weights],
                             player_names=["generator", "discriminator"])
    model.adversarial_compile(adversarial_optimizer=AdversarialOptimizerSimultaneous(),
                              player_optimizers=[Adam(1e-4, decay=1e-4), Adam(1e-3, decay=1e-4)],
                              loss="binary_crossentropy")
    history = model.fit(x=xtrain, y=gan_targets(len(xtrain)), epochs=10, batch_size=32)

``simple_gan`` gives a model from real images x (N, 1, 28, 28) to two outputs: yfake = D(G(z))
with z drawn for each batch, and yreal = D(x). Every player trains that model (or its own,
``player_models=[gan_g, gan_d]``) against its own targets, updating only its own parameters:
with ``gan_targets`` the generator wants yfake = 1 (and yreal = 0, a term its parameters cannot
change), the discriminator yfake = 0 and yreal = 1. A player's loss is the sum over the outputs.
History keys follow keras-adversarial: loss, generator_loss, generator_yfake_loss,
generator_yreal_loss, discriminator_loss, discriminator_yfake_loss, discriminator_yreal_loss.
"""

import numpy as np

from ..autograd import no_grad
from ..backend import to_device
from ..layers.base import set_trainable_grads
from ..models import Sequential
from ..training import losses as losses_mod
from ..training import optimizers
from ..training.callbacks import Callback
from ..training.trainer import Trainer
from .latent import sample_latent


def gan_targets(n):
    """Standard targets [generator_fake, generator_real, discriminator_fake, discriminator_real]
    = [1, 0, 0, 1], each an (n, 1) float32 array."""
    n = int(n)
    if n < 0:
        raise ValueError(f"gan_targets: n must be >= 0, got {n}")
    ones, zeros = np.ones((n, 1), np.float32), np.zeros((n, 1), np.float32)
    return [ones, zeros, zeros.copy(), ones.copy()]


class LatentSampling:
    """Draws z (batch, *latent_shape) for a batch of real images, on the host from tinynet's
    seeded generator."""

    def __init__(self, latent_shape, distribution, low=0.0, high=1.0):
        self.latent_shape = tuple(int(d) for d in latent_shape)
        self.distribution, self.low, self.high = distribution, float(low), float(high)

    def __call__(self, n, rng=None):
        dim = int(np.prod(self.latent_shape))
        if self.distribution == "normal":
            z = sample_latent(n, dim, "normal", rng)
        else:
            u = (sample_latent(n, dim, "uniform", rng) + 1) / 2
            z = (self.low + (self.high - self.low) * u).astype(np.float32)
        return z.reshape((n,) + self.latent_shape)


def normal_latent_sampling(latent_shape):
    """z ~ N(0, 1) of shape (batch,) + latent_shape."""
    return LatentSampling(latent_shape, "normal")


def uniform_latent_sampling(latent_shape, low=0.0, high=1.0):
    """z ~ U(low, high) of shape (batch,) + latent_shape."""
    return LatentSampling(latent_shape, "uniform", low, high)


class SimpleGAN:
    """x -> [yfake, yreal] with yfake = D(G(z)), z = latent_sampling(len(x)), yreal = D(x)."""

    output_names = ("yfake", "yreal")

    def __init__(self, generator, discriminator, latent_sampling, name="gan"):
        for role, m in (("generator", generator), ("discriminator", discriminator)):
            if not isinstance(m, Sequential):
                raise TypeError(
                    f"simple_gan: the {role} must be a tinynet Sequential, got {type(m).__name__}"
                )
        generator._require_built()
        discriminator._require_built()
        if tuple(generator.output_shape) != tuple(discriminator.input_shape):
            raise ValueError(
                f"simple_gan: the generator makes {generator.output_shape} but the "
                f"discriminator takes {discriminator.input_shape}"
            )
        z_shape = latent_sampling(1).shape[1:]
        if tuple(z_shape) != tuple(generator.input_shape):
            raise ValueError(
                f"simple_gan: latent_sampling gives z of shape {z_shape} but the generator "
                f"takes {generator.input_shape}"
            )
        self.generator, self.discriminator = generator, discriminator
        self.latent_sampling, self.name = latent_sampling, name

    @property
    def input_shape(self):
        return self.discriminator.input_shape

    @property
    def models(self):
        return (self.generator, self.discriminator)

    def outputs(self, x, training=True, logits=False):
        """[yfake, yreal] Tensors (N, 1) for real images x (device array): probabilities, or the
        discriminator's logits when ``logits`` (its output activation must then be a sigmoid)."""
        d = self.discriminator
        z = to_device(self.latent_sampling(x.shape[0]).astype(x.dtype), self.generator.device)
        fake = self.generator(z, training)
        run = d.call_pre_activation if logits else d
        return [run(fake, training), run(x, training)]

    def summary(self, print_fn=print):
        print_fn(
            f"{self.name}: x {(None,) + tuple(self.input_shape)} -> yfake = "
            f"{self.discriminator.name}({self.generator.name}(z)), yreal = {self.discriminator.name}(x)"
        )


def simple_gan(generator, discriminator, latent_sampling):
    """The GAN x -> [yfake, yreal] of keras-adversarial (z drawn inside, per batch)."""
    return SimpleGAN(generator, discriminator, latent_sampling)


class AdversarialOptimizerSimultaneous:
    """Every player steps on the same batch at once: one forward pass per model, each player's
    gradient taken from its own loss, then all updates."""

    def step(self, am, x, targets):
        models = am.distinct_models()
        params = am.all_params()
        am.set_requires_grad(params)
        outs = {id(m): am.forward(m, x, training=True) for m in models}
        losses = [am.player_loss(i, outs[id(m)], targets) for i, m in enumerate(am.player_models)]
        grads = []
        for i, (total, _) in enumerate(losses):
            for p in params:
                p.grad = None
            if total.requires_grad:
                total.backward(retain_graph=i < len(losses) - 1)
            grads.append([p.grad for p in am.player_params[i]])
        for i, opt in enumerate(am.optimizers):
            for p, g in zip(am.player_params[i], grads[i]):
                p.grad = g
            opt.step(am.player_params[i])
        return losses


class AdversarialOptimizerAlternating:
    """Players take turns on each batch (in order, or reversed): each turn is a fresh forward
    pass (fresh z) and an update of that player's parameters only. The losses reported are those
    of each player's own turn, before its update."""

    def __init__(self, reverse=False):
        self.reverse = bool(reverse)

    def step(self, am, x, targets):
        order = list(range(am.player_count))
        if self.reverse:
            order.reverse()
        losses = [None] * am.player_count
        for i in order:
            am.set_requires_grad(am.player_params[i])
            outs = am.forward(am.player_models[i], x, training=True)
            total, parts = am.player_loss(i, outs, targets)
            if total.requires_grad:
                total.backward()
                am.optimizers[i].step(am.player_params[i])
            losses[i] = (total, parts)
        return losses


class AdversarialModel(Trainer):
    """Adversarial training for multi-player games (keras-adversarial's AdversarialModel).

    On the shared training loop: ``train_step`` is one step of the adversarial optimizer on a
    batch (x, *targets); epochs log their seconds as 'time'.

    player_params: one list of weight Tensors per player (e.g. ``generator.trainable_weights``).
    base_model: one model (from simple_gan) trained by every player; or player_models: one per
    player, all with the same inputs and outputs. player_names: default player_0, player_1, ...
    """

    def __init__(self, player_params, base_model=None, player_models=None, player_names=None):
        if base_model is None and player_models is None:
            raise ValueError("AdversarialModel: give base_model or player_models")
        if base_model is not None and player_models is not None:
            raise ValueError("AdversarialModel: give base_model or player_models, not both")
        if not player_params:
            raise ValueError(
                "AdversarialModel: player_params must list at least one player's parameters"
            )
        self.player_params = [list(p) for p in player_params]
        self.player_count = len(self.player_params)
        if player_names is None:
            player_names = [f"player_{i}" for i in range(self.player_count)]
        if len(player_names) != self.player_count:
            raise ValueError(
                f"AdversarialModel: {len(player_names)} player_names for {self.player_count} players"
            )
        self.player_names = list(player_names)
        if player_models is not None:
            if len(player_models) != self.player_count:
                raise ValueError(
                    f"AdversarialModel: {len(player_models)} player_models for "
                    f"{self.player_count} players"
                )
            self.player_models = list(player_models)
        else:
            self.player_models = [base_model] * self.player_count
        self.output_names = list(self.player_models[0].output_names)
        for m in self.player_models:
            if (
                list(m.output_names) != self.output_names
                or m.input_shape != self.player_models[0].input_shape
            ):
                raise ValueError(
                    "AdversarialModel: every player model needs the same inputs and outputs"
                )
        known = {id(w) for m in self.distinct_models() for sub in m.models for w in sub.weights}
        for name, params in zip(self.player_names, self.player_params):
            if not params:
                raise ValueError(f"AdversarialModel: player {name!r} has no parameters")
            if any(id(p) not in known for p in params):
                raise ValueError(
                    f"AdversarialModel: player {name!r} lists parameters that are not "
                    f"weights of the player models"
                )
        self.optimizers = self.loss = self.adversarial_optimizer = None
        self.device = self.player_models[0].generator.device

    # ----- structure -----
    def distinct_models(self):
        out = []
        for m in self.player_models:
            if all(m is not o for o in out):
                out.append(m)
        return out

    def _sequentials(self):
        out = []
        for m in self.distinct_models():
            for sub in m.models:
                if all(sub is not o for o in out):
                    out.append(sub)
        return out

    def all_params(self):
        seen, out = set(), []
        for params in self.player_params:
            for p in params:
                if id(p) not in seen:
                    seen.add(id(p))
                    out.append(p)
        return out

    def set_requires_grad(self, params):
        """Only ``params`` take gradients (and only their layers update BatchNorm statistics)."""
        set_trainable_grads(self._sequentials(), params)

    def _restore(self):
        set_trainable_grads(self._sequentials())

    @property
    def metrics_names(self):
        names = ["loss"]
        for player in self.player_names:
            names.append(f"{player}_loss")
            names += [f"{player}_{o}_loss" for o in self.output_names]
        return names

    def to(self, device):
        """Move every player model and optimizer state to "cpu" or "gpu". Returns self."""
        for m in self._sequentials():
            m.to(device)
        for opt in self.optimizers or []:
            opt.to(device)
        self.device = device
        return self

    # ----- compile -----
    def adversarial_compile(self, adversarial_optimizer, player_optimizers, loss, **unknown):
        """adversarial_optimizer: AdversarialOptimizerSimultaneous() or ...Alternating();
        player_optimizers: one optimizer (or name) per player; loss: a Keras loss name (e.g.
        'binary_crossentropy') applied to every output. Other keywords are refused (they would
        change nothing)."""
        for k in unknown:
            raise TypeError(f"adversarial_compile: unexpected keyword argument {k!r}")
        if not hasattr(adversarial_optimizer, "step"):
            raise TypeError(
                f"adversarial_compile: adversarial_optimizer must be an "
                f"AdversarialOptimizer, got {type(adversarial_optimizer).__name__}"
            )
        if len(player_optimizers) != self.player_count:
            raise ValueError(
                f"adversarial_compile: {len(player_optimizers)} player_optimizers for "
                f"{self.player_count} players"
            )
        opts = [optimizers.get(o) for o in player_optimizers]
        if len({id(o) for o in opts}) != len(opts):
            raise ValueError("adversarial_compile: each player needs its own optimizer instance")
        self.adversarial_optimizer, self.optimizers = adversarial_optimizer, opts
        self.loss = losses_mod.get(loss)
        for opt in opts:
            opt.to(self.device)
        return self

    log_epoch_time = True

    def _label(self):
        return "AdversarialModel"

    def check_compiled(self, who):
        if self.optimizers is None:
            raise RuntimeError(f"AdversarialModel.{who}: call adversarial_compile() first")

    # ----- one batch -----
    def forward(self, model, x, training):
        """The model's outputs for device images x: logits when the loss fuses the discriminator's
        sigmoid, else probabilities."""
        fused = (
            self.loss.fuses is not None and model.discriminator.output_activation == self.loss.fuses
        )
        return model.outputs(x, training, logits=fused), fused

    def player_loss(self, i, outputs, targets):
        """(total, [per-output loss]) of player i: the sum over outputs of loss(output, its target)."""
        outs, fused = outputs
        k = len(self.output_names)
        parts = []
        for j, out in enumerate(outs):
            t = targets[i * k + j]
            parts.append(self.loss.from_logits(out, t) if fused else self.loss(out, t))
        total = parts[0]
        for p in parts[1:]:
            total = total + p
        return total, parts

    def _targets(self, y, n, who):
        k = self.player_count * len(self.output_names)
        if not isinstance(y, (list, tuple)) or len(y) != k:
            raise ValueError(
                f"AdversarialModel.{who}: y must be a list of {k} target arrays "
                f"({len(self.output_names)} outputs x {self.player_count} players, e.g. "
                f"gan_targets(n)), got {type(y).__name__} of length {len(y) if hasattr(y, '__len__') else '?'}"
            )
        out = []
        for t in y:
            t = np.asarray(t, dtype=np.float32)
            if t.ndim == 1:
                t = t[:, None]
            if len(t) != n:
                raise ValueError(
                    f"AdversarialModel.{who}: a target array has {len(t)} rows for {n} images"
                )
            out.append(t)
        return out

    def _check_x(self, x, who):
        x = np.asarray(x) if not hasattr(x, "shape") else x
        shape = tuple(self.player_models[0].input_shape)
        if tuple(x.shape[1:]) != shape:
            raise ValueError(
                f"AdversarialModel.{who}: expected images of shape (N, {', '.join(map(str, shape))}), "
                f"got {tuple(x.shape)}"
            )
        if x.dtype.kind in "iu":
            raise ValueError(
                f"AdversarialModel.{who}: x has integer dtype {x.dtype}; scale the images first"
            )
        return x

    def _values(self, losses):
        """[loss, player_loss, player_output_losses..., ...] as device scalars."""
        values, total = [], None
        for t, parts in losses:
            values.append(t.data)
            values += [p.data for p in parts]
            total = t.data if total is None else total + t.data
        return [total] + values

    # ----- Trainer's hooks -----
    def fit_arrays(self, x, y, sample_weight, class_weight, who):
        who = who.split(".")[-1]
        x = self._check_x(x, who)
        return (x, *self._targets(y, len(x), who))

    def device_batch(self, arrays):
        return tuple(to_device(a.astype(np.float32, copy=False), self.device) for a in arrays)

    def train_step(self, batch):
        x, targets = batch[0], list(batch[1:])
        losses = self.adversarial_optimizer.step(self, x, targets)
        return dict(zip(self.metrics_names, self._values(losses)))

    def test_step(self, batch):
        x, targets = batch[0], list(batch[1:])
        with no_grad():
            cache = {id(m): self.forward(m, x, training=False) for m in self.distinct_models()}
            losses = [
                self.player_loss(i, cache[id(m)], targets) for i, m in enumerate(self.player_models)
            ]
        return dict(zip(self.metrics_names, self._values(losses)))

    def end_training(self):
        self._restore()

    def train_on_batch(self, x, y):
        """One adversarial step on a batch; returns the list of values named by metrics_names."""
        return super().train_on_batch(x, y)

    def test_on_batch(self, x, y):
        return super().test_on_batch(x, y)

    def evaluate(self, x, y, batch_size=32, verbose=0):
        """The metrics_names values averaged over x in batches (inference mode)."""
        return super().evaluate(x, y, batch_size=batch_size, verbose=verbose)


class ImageGridCallback(Callback):
    """keras-adversarial's ImageGridCallback: after each epoch, ``generator_sampler()`` returns
    images (rows, cols, H, W) (or (rows, cols, 1, H, W)) in [0, 1], saved as a grid PNG at
    ``image_path.format(epoch)``."""

    def __init__(self, image_path, generator_sampler, value_range=(0.0, 1.0)):
        super().__init__()
        self.image_path, self.generator_sampler, self.value_range = (
            image_path,
            generator_sampler,
            value_range,
        )
        self.saved = []

    def on_epoch_end(self, epoch, logs=None):
        from ..plot import save_sample_grid

        grid = np.asarray(self.generator_sampler())
        rows, cols = grid.shape[:2]
        images = grid.reshape((rows * cols,) + grid.shape[2:])
        path = self.image_path.format(epoch)
        save_sample_grid(
            images, path, nrow=cols, title=f"epoch {epoch + 1}", value_range=self.value_range
        )
        self.saved.append(path)

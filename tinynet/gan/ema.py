"""An exponential moving average of a generator's weights, to sample from.

    ema = WeightAverage(generator, decay=0.999)   # a copy of the generator, same device
    ...after each generator step:  ema.update()
    images = ema.model.predict(z)                  # call ema.refresh(make_input) first

The average of a GAN generator's recent weights draws better samples than the last weights
(Yazici et al. 2019, "The unusual effectiveness of averaging in GAN training"). Its BatchNorm
layers need statistics of their own: averaged weights do not produce the activations the
moving statistics were gathered on, so ``refresh`` re-estimates them as the plain mean over a
few training-mode passes of the averaged model (BigGAN's "standing statistics").
"""

from ..autograd import no_grad
from ..layers import BatchNormalization
from ..layers.base import set_trainable_grads
from ..models import Sequential


class WeightAverage:
    """model: a Sequential copy of ``source`` whose trainable weights follow
    w_avg <- decay * w_avg + (1 - decay) * w after every ``update()``."""

    def __init__(self, source, decay=0.999):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"WeightAverage: decay must be in (0, 1), got {decay!r}")
        self.source, self.decay = source, float(decay)
        self.model = Sequential.from_config(source.get_config())
        self.model.build(source.input_shape)
        self.model.to(source.device)
        self.model.set_weights(source.get_weights())
        set_trainable_grads([self.model], [])  # a constant copy: no gradients, no BatchNorm updates
        self.updates, self.stale = 0, False

    def to(self, device):
        self.model.to(device)
        return self

    def update(self):
        """One averaging step towards the source's current trainable weights."""
        rate = 1.0 - self.decay
        for avg, w in zip(self._pairs(self.model), self._pairs(self.source)):
            avg.data += rate * (w.data - avg.data)
        self.updates += 1
        self.stale = True

    @staticmethod
    def _pairs(model):
        return [w for layer in model.layers for w in layer.trainable_weights]

    def refresh(self, make_input, batches=10):
        """Re-estimate the averaged model's BatchNorm moving statistics: the mean over ``batches``
        training-mode forward passes of make_input(k) (a device batch), under no_grad."""
        norms = [layer for layer in self.model.layers if isinstance(layer, BatchNormalization)]
        if norms:
            momenta = [layer.momentum for layer in norms]
            set_trainable_grads([self.model], self.model.weights)  # BatchNorm updates only then
            try:
                with no_grad():
                    for k in range(batches):
                        for (
                            layer
                        ) in norms:  # running = k/(k+1) * running + batch/(k+1): a plain mean
                            layer.momentum = k / (k + 1)
                        self.model(make_input(k), training=True)
            finally:
                for layer, m in zip(norms, momenta):
                    layer.momentum = m
                set_trainable_grads([self.model], [])
        self.stale = False

"""airbench's data side: training batches with alternating flips and random translations, and
multi-crop test-time augmentation.

    batches = FlipTranslateBatches(x, y, batch_size=1024, translate=2, seed=0)
    model.fit(batches, epochs=10)          # len(batches) full batches per epoch
    logits = tta_logits(model, x_test)     # flip x 1-pixel translations, averaged

Flips are derandomised (airbench's "alternating flip"): each image draws a flip once, at random,
for epoch 0, and is flipped in every other epoch after that, so each image is seen flipped in
exactly half the epochs. Translations: each epoch, each image draws a shift (dy, dx) uniformly
from [-translate, translate]^2 and is cropped back to its size from its reflect-padded copy.
Every random choice comes from a generator seeded by (seed, epoch), so an epoch's batches depend
only on the seed and the epoch number: a run resumed at epoch e sees the same batches as one
that never stopped.
"""

import numpy as np

from ..autograd import Tensor, no_grad
from ..backend import asnumpy, to_device

_FLIP_STREAM = 0x5EED  # the generator key of the epoch-0 flips, apart from the epochs' keys


class FlipTranslateBatches:
    """An endless iterator of (x, y) batches, ``len()`` = N // batch_size full batches per epoch
    (the last partial batch dropped, as airbench does), epochs following each other.

    x (N, C, H, W) float images, y (N, ...) targets (rows follow their images); flip: alternate
    horizontal flips; translate: the largest shift in pixels (0: none); epoch: the epoch to start
    at (a resumed run passes the epochs already done)."""

    def __init__(self, x, y, batch_size, flip=True, translate=2, seed=0, epoch=0):
        x = np.asarray(x)
        if x.ndim != 4:
            raise ValueError(f"FlipTranslateBatches: x must be (N, C, H, W), got shape {x.shape}")
        if len(y) != len(x):
            raise ValueError(f"FlipTranslateBatches: x has {len(x)} images but y {len(y)} rows")
        if not 1 <= batch_size <= len(x):
            raise ValueError(
                f"FlipTranslateBatches: batch_size must be in 1..{len(x)} (the images), "
                f"got {batch_size}"
            )
        r = int(translate)
        if r < 0 or r >= min(x.shape[2:]):
            raise ValueError(
                f"FlipTranslateBatches: translate must be in 0..{min(x.shape[2:]) - 1}, got {translate}"
            )
        self.x, self.y, self.batch_size = x, np.asarray(y), int(batch_size)
        self.flip, self.translate, self.seed = bool(flip), r, int(seed)
        self.epoch, self._batch = int(epoch), 0
        pad = ((0, 0), (0, 0), (r, r), (r, r))
        self.padded = np.pad(x, pad, mode="reflect") if r else x
        self.first_flips = np.random.default_rng([self.seed, _FLIP_STREAM]).random(len(x)) < 0.5
        self._plan = None

    def __len__(self):
        return len(self.x) // self.batch_size

    def __iter__(self):
        return self

    def flips(self, epoch):
        """(N,) bool: which images epoch ``epoch`` shows flipped."""
        return self.first_flips ^ bool(epoch % 2) if self.flip else np.zeros(len(self.x), bool)

    def plan(self, epoch):
        """(order (N,), shifts (N, 2) as (dy, dx)) of epoch ``epoch``."""
        gen = np.random.default_rng([self.seed, epoch])
        order = gen.permutation(len(self.x))
        r = self.translate
        shifts = (
            gen.integers(-r, r + 1, size=(len(self.x), 2)) if r else np.zeros((len(self.x), 2), int)
        )
        return order, shifts

    def images(self, idx, shifts, flips):
        """The images ``idx`` shifted by ``shifts`` (len(idx), 2) and flipped where ``flips``."""
        n, c, h, w = len(idx), *self.x.shape[1:]
        r = self.translate
        out = np.empty((n, c, h, w), dtype=self.x.dtype)
        for dy in range(-r, r + 1):
            for dx in range(-r, r + 1):
                sel = np.flatnonzero((shifts[:, 0] == dy) & (shifts[:, 1] == dx))
                if len(sel):
                    out[sel] = self.padded[idx[sel], :, r + dy : r + dy + h, r + dx : r + dx + w]
        flipped = np.flatnonzero(flips)
        out[flipped] = out[flipped, :, :, ::-1]
        return out

    def __next__(self):
        if self._plan is None:
            self._plan = (*self.plan(self.epoch), self.flips(self.epoch))
        order, shifts, flips = self._plan
        i, b = self._batch, self.batch_size
        idx = np.sort(order[i * b : (i + 1) * b])  # rows read in memory order
        batch = self.images(idx, shifts[idx], flips[idx]), self.y[idx]
        self._batch += 1
        if self._batch == len(self):
            self.epoch, self._batch, self._plan = self.epoch + 1, 0, None
        return batch


def tta_logits(model, x, level=2, batch_size=500):
    """airbench's test-time augmentation: the model's logits (its output before the final
    softmax, ``call_pre_activation``) averaged over views of each image (N, C, H, W).

    level 0: the image alone; 1: the mean of it and its mirror; 2: 0.5 * level 1 of the image +
    0.25 * level 1 of each of two 1-pixel translations of its reflect-padded copy (up-left and
    down-right): weights 1/4, 1/4 and 1/8 x 4 over 6 views. Returns NumPy (N, K)."""
    if level not in (0, 1, 2):
        raise ValueError(f"tta_logits: level must be 0, 1 or 2, got {level!r}")
    x = np.asarray(asnumpy(x))

    def logits(v):
        v = to_device(np.ascontiguousarray(v, dtype=model.dtype), model.device)
        return asnumpy(model.call_pre_activation(Tensor(v), training=False).data)

    def mirror(v):
        return logits(v) if level == 0 else 0.5 * logits(v) + 0.5 * logits(v[..., ::-1])

    out = []
    with no_grad():
        for start in range(0, len(x), batch_size):
            v = x[start : start + batch_size]
            y = mirror(v)
            if level == 2:
                h, w = v.shape[2:]
                p = np.pad(v, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="reflect")
                moved = mirror(p[:, :, :h, :w]) + mirror(p[:, :, 2 : h + 2, 2 : w + 2])
                y = 0.5 * y + 0.25 * moved
            out.append(y.astype(model.dtype))
    return np.concatenate(out)

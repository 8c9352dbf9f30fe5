"""Batch iterators over arrays, Keras-style: ``len()`` batches per epoch, looping forever.

Batch ``index`` of epoch ``epoch`` depends only on (seed, epoch, index): the order of an epoch comes
from ``default_rng([seed, epoch])`` and any randomness inside a batch from
``default_rng([seed, epoch, index])``. So a batch is the same whoever computes it and when, which
is what lets a background thread prepare exactly the batches of the synchronous path.
"""

import math

import numpy as np


class BatchIterator:
    """Base class: the epoch/index bookkeeping; subclasses define ``_make(indices, rng)``."""

    def __init__(self, n, batch_size=32, shuffle=True, seed=None):
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(
                f"{type(self).__name__}: batch_size must be a positive int, got {batch_size!r}"
            )
        if n < 1:
            raise ValueError(f"{type(self).__name__}: no samples to iterate over (n={n})")
        self.n, self.batch_size, self.shuffle = int(n), int(batch_size), bool(shuffle)
        self.seed = int(np.random.SeedSequence().entropy % 2**63) if seed is None else int(seed)
        self.epoch = 0
        self.batch_index = 0
        self.total_batches_seen = 0
        self._order = (None, None)

    def __len__(self):
        """Batches per epoch (the last one may be smaller)."""
        return math.ceil(self.n / self.batch_size)

    def order(self, epoch):
        """The sample order of ``epoch``: a permutation when shuffling, else 0..n-1."""
        cached_epoch, order = self._order
        if cached_epoch != epoch:
            order = (
                np.random.default_rng([self.seed, epoch]).permutation(self.n)
                if self.shuffle
                else np.arange(self.n)
            )
            self._order = (epoch, order)
        return order

    def batch(self, epoch, index):
        """Batch ``index`` (0 <= index < len(self)) of ``epoch``; pure, thread-safe."""
        indices = self.order(epoch)[index * self.batch_size : (index + 1) * self.batch_size]
        return self._make(indices, np.random.default_rng([self.seed, epoch, index]))

    def _make(self, indices, rng):
        raise NotImplementedError

    def positions(self, epoch, index):
        """(epoch, index) pairs from the given one onward, forever."""
        while True:
            yield epoch, index
            index += 1
            if index == len(self):
                epoch, index = epoch + 1, 0

    def _advance(self):
        self.batch_index += 1
        self.total_batches_seen += 1
        if self.batch_index == len(self):
            self.epoch, self.batch_index = self.epoch + 1, 0

    def __next__(self):
        out = self.batch(self.epoch, self.batch_index)
        self._advance()
        return out

    def __iter__(self):
        return self

    def __getitem__(self, index):
        """Batch ``index`` of the current epoch (Keras Sequence style); does not move the iterator."""
        if not 0 <= index < len(self):
            raise IndexError(
                f"{type(self).__name__}: batch index {index} out of range 0..{len(self) - 1}"
            )
        return self.batch(self.epoch, index)

    def reset(self):
        """Start the current epoch over at its first batch."""
        self.batch_index = 0

    def close(self):
        """Nothing to release for a synchronous iterator (present so every iterator can be closed)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class ArrayIterator(BatchIterator):
    """Batches ``x[idx]`` (or ``(x[idx], y[idx])`` when ``y`` is given) of any arrays with a first axis."""

    def __init__(self, x, y=None, batch_size=32, shuffle=True, seed=None):
        x = np.asarray(x)
        if y is not None:
            y = np.asarray(y)
            if len(y) != len(x):
                raise ValueError(
                    f"{type(self).__name__}: x and y differ in length: {len(x)} != {len(y)}"
                )
        self.x, self.y = x, y
        super().__init__(len(x), batch_size, shuffle, seed)

    def _make(self, indices, rng):
        xb = self._transform(self.x[indices], rng)
        return xb if self.y is None else (xb, self.y[indices])

    def _transform(self, xb, rng):
        return xb


class NumpyArrayIterator(ArrayIterator):
    """What :meth:`ImageDataGenerator.flow` returns: batches augmented and standardised by ``generator``."""

    def __init__(self, x, y, generator, batch_size=32, shuffle=True, seed=None):
        x = np.asarray(x)
        if x.ndim != 4:
            raise ValueError(
                f"ImageDataGenerator.flow: expected images (N, C, H, W), got shape {x.shape}"
            )
        self.generator = generator
        super().__init__(x, y, batch_size, shuffle, seed)

    def _transform(self, xb, rng):
        return self.generator.standardize(self.generator.augment(xb, rng))

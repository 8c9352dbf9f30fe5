"""Where the training loop gets its batches: host arrays (ArrayData) or an iterator of tuples
(IteratorData). Both yield tuples of host arrays with the same number of rows (x first, then
the targets and sample weights the model asked for); the model moves them to its device."""

import math

import numpy as np

from ..backend import rng


class ArrayData:
    """Batches of the arrays in ``arrays`` (a tuple, N rows each).

    shuffle: a fresh permutation each epoch (each batch's rows in ascending order, which reads
    memory in order); drop_remainder: only full batches (BatchNorm in a GAN needs them);
    max_steps: at most this many batches per epoch.
    """

    def __init__(self, arrays, batch_size, shuffle, drop_remainder=False, max_steps=None):
        self.arrays, self.batch_size, self.shuffle = tuple(arrays), int(batch_size), shuffle
        n = len(self.arrays[0])
        steps = n // self.batch_size if drop_remainder else math.ceil(n / self.batch_size)
        if max_steps is not None:
            steps = min(steps, int(max_steps))
        self.steps, self.rows = steps, n
        self.samples = min(n, steps * self.batch_size)

    def batches(self):
        bs = self.batch_size
        order = rng().permutation(self.rows) if self.shuffle else None
        for step in range(self.steps):
            start = step * bs
            if order is None:
                idx = slice(start, start + bs)
            else:
                idx = np.sort(order[start : start + bs])
            yield tuple(a[idx] for a in self.arrays)

    def split(self, fraction, who):
        """(training part, validation part): the last ``fraction`` of the rows, before shuffling,
        held out (Keras's validation_split)."""
        if not 0 <= fraction < 1:
            raise ValueError(f"{who}: validation_split must be in [0, 1), got {fraction}")
        n = self.rows
        cut = int(n * (1 - fraction))
        if cut == 0 or cut == n:
            raise ValueError(
                f"{who}: validation_split={fraction} leaves no "
                f"{'training' if cut == 0 else 'validation'} samples out of {n}"
            )
        return ([a[:cut] for a in self.arrays], [a[cut:] for a in self.arrays])


class IteratorData:
    """Batches from an iterator of tuples, turned into host arrays by ``convert(item)``.

    steps: batches per epoch (default len(iterator)); samples: Keras 1's samples_per_epoch, an
    epoch then ends once that many samples were seen.
    """

    def __init__(self, it, steps, samples, convert, who):
        if steps is None and samples is None:
            steps = len(it) if hasattr(it, "__len__") else None
            if steps is None:
                raise ValueError(
                    f"{who}: steps_per_epoch (validation_steps) is required for an "
                    f"iterator without len()"
                )
        self.it, self.convert, self.who = it, convert, who
        self.steps, self.samples = steps, samples

    def batches(self):
        done_steps = done_samples = 0
        while (
            (done_steps < self.steps) if self.steps is not None else (done_samples < self.samples)
        ):
            try:
                item = next(self.it)
            except StopIteration:
                raise ValueError(
                    f"{self.who}: the iterator ran out after {done_steps} batches; "
                    f"it must yield at least steps_per_epoch batches per epoch "
                    f"(an infinite iterator, or fewer steps)"
                ) from None
            arrays = self.convert(item)
            done_steps += 1
            done_samples += len(arrays[0])
            yield arrays


def is_iterator(x):
    return x is not None and hasattr(x, "__next__")


def as_array(x, what):
    if x is None:
        raise ValueError(f"{what} is required")
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return x
    return np.asarray(x)


def unpack_item(item, who):
    """(x, y, sample_weight or None) from an iterator's (x, y) or (x, y, sample_weight) tuple."""
    if not isinstance(item, (tuple, list)) or len(item) not in (2, 3):
        raise ValueError(
            f"{who}: an iterator must yield (x, y) or (x, y, sample_weight) tuples, "
            f"got {type(item).__name__}"
        )
    return item[0], item[1], item[2] if len(item) == 3 else None

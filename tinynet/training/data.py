"""Where the training loop gets its batches: host arrays (ArrayData) or an iterator of tuples
(IteratorData). Both yield tuples of host arrays with the same number of rows (x first, then
the targets and sample weights the model asked for); the model moves them to its device."""

import math
import numbers
import warnings

import numpy as np

from ..backend import asnumpy, rng


class ArrayData:
    """Batches of the arrays in ``arrays`` (a tuple, N rows each).

    shuffle: a fresh permutation each epoch (each batch's rows in ascending order, which reads
    memory in order); drop_remainder: only full batches (BatchNorm in a GAN needs them);
    max_steps: at most this many batches per epoch; merge_single: a last batch of one row joins
    the batch before it (BatchNorm cannot train on one row), with one warning naming ``who``.
    """

    def __init__(
        self,
        arrays,
        batch_size,
        shuffle,
        drop_remainder=False,
        max_steps=None,
        merge_single=False,
        who="fit",
    ):
        self.arrays, self.batch_size, self.shuffle = tuple(arrays), int(batch_size), shuffle
        n = len(self.arrays[0])
        for a in self.arrays[1:]:
            if len(a) != n:
                raise ValueError(f"{who}: the arrays have {n} and {len(a)} rows; give equal rows")
        bs = self.batch_size
        steps = n // bs if drop_remainder else math.ceil(n / bs)
        starts = [i * bs for i in range(steps)] + [min(steps * bs, n)]
        if merge_single and not drop_remainder and steps > 1 and n % bs == 1:
            warnings.warn(
                f"{who}: the last batch would hold 1 sample ({n} samples, batch_size {bs}), "
                f"which BatchNormalization cannot train on; it joins the batch before it "
                f"({bs + 1} samples)",
                UserWarning,
                stacklevel=3,
            )
            steps -= 1
            starts = starts[:-2] + [n]
        if max_steps is not None:
            steps = min(steps, int(max_steps))
        self.bounds = list(zip(starts[:steps], starts[1 : steps + 1]))
        self.steps, self.rows = steps, n
        self.samples = self.bounds[-1][1] if self.bounds else 0

    def batches(self):
        order = rng().permutation(self.rows) if self.shuffle else None
        for start, stop in self.bounds:
            if order is None:
                idx = slice(start, stop)
            else:
                idx = np.sort(order[start:stop])
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


def check_int(value, name, who, minimum=1, allow_none=False):
    """``value`` as an int, or ValueError/TypeError naming the argument, its value and what is
    allowed (an integer >= ``minimum``; None too when ``allow_none``). Bools are refused."""
    if value is None and allow_none:
        return None
    allowed = f"an integer >= {minimum}" + (" or None" if allow_none else "")
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{who}: {name} must be {allowed}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{who}: {name} must be {allowed}, got {value}")
    return int(value)


def check_batch_size(batch_size, default, who):
    return default if batch_size is None else check_int(batch_size, "batch_size", who)


def check_rows(arrays, what, who):
    """Refuse data with no samples (an empty fit would record a loss of 0 and learn nothing)."""
    if len(arrays[0]) == 0:
        raise ValueError(f"{who}: {what} has no samples (0 rows); give at least one sample")


def first_nonfinite(arrays, names=("x", "y", "sample_weight")):
    """'x row 3' for the first host array holding a NaN or inf (floats only), else None."""
    for name, a in zip(names, arrays):
        a = asnumpy(a)
        if a.dtype.kind != "f" or a.ndim == 0:
            continue
        bad = ~np.isfinite(a.reshape(len(a), -1)).all(axis=1)
        if bad.any():
            return f"{name} row {int(np.argmax(bad))}"
    return None


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

"""Random streams in data-parallel training: one shared stream and this rank's noise.

Every rank draws the epoch's permutation from the shared stream (the seeded generator of
``tinynet.backend``), so every rank cuts the same global batches. Noise drawn during a step
(dropout masks) comes in one of two modes:

- ``"global"``: each rank draws the noise of the whole global batch from the shared stream and
  keeps its own rows, so the masks are those one process would draw: training equals one
  process's (and the shared stream stays in step on every rank). Each rank draws ``size`` times
  its own share of noise: meant for checks and for few ranks.
- ``"rank"``: each rank draws from its own stream, seeded from the shared stream and the rank
  (reproducible; different on every rank); one process's training is matched in distribution
  only.

The draw's batch axis is the one the caller names (``batch_axis``: dropout's masks, drawn in
their activation's memory order, say where the batch lies, e.g. second for a conv output laid
out (C, N, H, W)); else the first axis of the local batch's size. Without the name, when another
axis has that size too (32 channels, 32 rows a rank) the draw still has the right shape and the
stream stays in step, but its values differ from one process's. fit broadcasts rank 0's NumPy
stream; CuPy's generators agree when every rank seeded tinynet alike (tn.seed) and drew alike.
"""

import contextlib

import numpy as np

from .. import backend

MODES = ("global", "rank")
# the shaped draws, and where each takes ``size`` when it is given by position
SHAPED = {"random": 0, "standard_normal": 0, "normal": 2, "uniform": 2, "integers": 2}


class ShardedGenerator:
    """A generator standing in for the backend's: permutations from ``shared``, step noise per
    ``mode`` (see the module docstring). ``rows`` = (offset, n_local, n_global) of the step."""

    takes_batch_axis = True  # random(..., batch_axis=k): tinynet.backend.uniform tells it

    def __init__(self, shared, mode, own=None):
        self.shared, self.mode, self.own, self.rows = shared, mode, own, None

    def __getattr__(self, name):
        if name == "random" and self.mode == "rank":  # batch_axis: for slicing, not NumPy
            own = self.own.random
            return lambda *args, batch_axis=None, **kwargs: own(*args, **kwargs)
        if self.mode == "rank" and name not in ("permutation", "shuffle", "bit_generator"):
            return getattr(self.own, name)
        if self.mode == "global" and name in SHAPED:
            return self._sliced(name)
        return getattr(self.shared, name)

    def _sliced(self, name):
        draw = getattr(self.shared, name)

        def sliced(*args, size=None, batch_axis=None, **kwargs):
            at = SHAPED[name]
            if size is None and len(args) > at:
                size, args = args[at], args[:at] + args[at + 1 :]
                if at == 0 and args:  # random(size, dtype), standard_normal(size, dtype)
                    kwargs["dtype"], args = args[0], args[1:]
            if self.rows is None or size is None:
                return draw(*args, size=size, **kwargs)
            offset, n, total = self.rows
            shape = (size,) if np.isscalar(size) else tuple(size)
            axis = batch_axis
            if axis is None or shape[axis] != n:
                axis = next((k for k, d in enumerate(shape) if d == n), None)
            if axis is None or n == total:
                return draw(*args, size=size, **kwargs)
            full = list(shape)
            full[axis] = total
            out = draw(*args, size=tuple(full), **kwargs)
            index = (slice(None),) * axis + (slice(offset, offset + n),)
            return _contiguous(out[index])

        return sliced


def _contiguous(a):
    return a.copy() if not a.flags.c_contiguous else a


@contextlib.contextmanager
def sharded_streams(comm, mode, modules=("numpy",)):
    """Stand a ShardedGenerator in for the backend's generators of ``modules`` ("numpy",
    "cupy") while the block runs; yields the list of them (set ``rows`` on each per step)."""
    if mode not in MODES:
        raise ValueError(f"fit: noise must be one of {MODES}, got {mode!r}")
    gens, saved = [], {}
    for name in modules:
        xp = np if name == "numpy" else backend.cupy
        shared = backend.rng(xp)
        own = None
        if mode == "rank":
            entropy = int(shared.integers(2**62))  # the same on every rank: shared streams agree
            seq = np.random.SeedSequence(entropy, spawn_key=(comm.rank,))
            own = (
                np.random.default_rng(seq)
                if xp is np
                else xp.random.default_rng(int(seq.generate_state(1, np.uint64)[0]))
            )
        gen = ShardedGenerator(shared, mode, own)
        # the backend keeps one generator per array module; there is no setter to swap it
        saved[name] = backend._rngs.get(xp.__name__)
        backend._rngs[xp.__name__] = gen
        gens.append(gen)
    try:
        yield gens
    finally:
        for name, prev in saved.items():
            key = (np if name == "numpy" else backend.cupy).__name__
            if prev is None:
                backend._rngs.pop(key, None)
            else:
                backend._rngs[key] = prev

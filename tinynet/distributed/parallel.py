"""DataParallel: what ``fit(..., distributed=comm)`` does on each rank.

``batch_size`` is the global batch. Every rank draws the same permutation, cuts the same global
batches and takes its own contiguous part of each (rank r: rows [r*n//size, (r+1)*n//size) of a
batch of n, in the order one process would use), so an uneven last batch splits unevenly and each
rank's gradients count by its share of the batch (:class:`DistributedOptimizer`). A last batch
too small to give every rank a row (two with BatchNormalization) joins the batch before it.

An iterator (``fit(batches, ...)``) must be built alike on every rank (the same data and seed),
so every rank draws the same global batches; each rank keeps its contiguous rows of each item.
A rank's share is its part of the weight the model's loss divides by (``model.batch_weight``:
the rows, or WaveNet's sum of per-position weights), so the sum over ranks of share * gradient
is one process's gradient for batches of any shape. A rank left without rows (a global batch of
fewer rows than ranks) trains on a copy of the batch's first row at share 0: it joins the
collectives and adds nothing (models with BatchNormalization refuse such batches instead). While
an item is drawn the step's noise slicing is off, so draws the iterator makes from tinynet's
stream stay whole and alike on every rank.

BatchNormalization layers normalise with the moments of the global batch (an Allreduce of the
moments in forward and of the two gradient sums in backward). Step noise follows ``noise``
(:mod:`.noise`). Each step's logs are averaged over the global batch on every rank, so
EarlyStopping, ReduceLROnPlateau and the stop at a NaN decide alike everywhere (and a
``stop_training`` set on some ranks only, by a time budget, stops every rank); the progress bar
and the callbacks marked ``main_rank_only`` (CSVLogger, ModelCheckpoint) run on rank 0 only.
Validation data is split the same way and its means reduced. A GAN's two optimizers are wrapped
alike and both players' BatchNormalization layers synchronised. At the start of fit the weights
(moving statistics included), the optimizer's state, iteration count and numeric learning rate
are broadcast from rank 0, and so is the state of the shared random stream: a run resumed on
rank 0 alone carries on everywhere.
"""

import contextlib
import warnings

import numpy as np

from ..backend import asnumpy, rng
from ..layers.norm import BatchNormalization
from .noise import MODES, sharded_streams
from .optimizer import DistributedOptimizer

# a model's optimizers and the part of it each one steps (a GAN has one per player)
OPTIMIZERS = {"optimizer": None, "d_optimizer": "discriminator", "g_optimizer": "generator"}


def members(model):
    """The models whose weights ``model`` trains: itself, or a GAN's generator and
    discriminator."""
    if isinstance(getattr(model, "weights", None), list):
        return [model]
    return [m for m in (getattr(model, k, None) for k in ("generator", "discriminator")) if m]


def optimizers(model):
    """[(attribute name, optimizer, the model it steps)] of ``model``'s optimizers."""
    out = []
    for name, part in OPTIMIZERS.items():
        opt = getattr(model, name, None)
        owner = model if part is None else getattr(model, part, None)
        if opt is not None and owner is not None and hasattr(opt, "step"):
            out.append((name, opt, owner))
    return out


def batch_norm_layers(model):
    """The BatchNormalization layers of ``model`` (a GAN: of both players), nested models
    included."""
    stack = [layer for part in members(model) for layer in getattr(part, "layers", ())]
    seen, found = set(), []
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        if isinstance(layer, BatchNormalization):
            found.append(layer)
        stack.extend(getattr(layer, "layers", ()))
    return found


def broadcast_stream(comm, root=0):
    """Give every rank root's shared random stream (the NumPy generator of tinynet.backend), so
    permutations agree even when the ranks drew differently before (a model built on some ranks
    only)."""
    if comm.size == 1:
        return
    gen = rng()
    state = comm.broadcast_object(gen.bit_generator.state, root)
    gen.bit_generator.state = state


def broadcast_model(model, comm, root=0):
    """Give every rank root's weights (all of them, in place) and optimizers' state."""
    if comm.size == 1:
        return
    for part in members(model):
        for w in part.weights:
            data = w.data if w.data.flags.c_contiguous else w.data.copy()
            comm.broadcast(data, root)
            if data is not w.data:
                w.data[...] = data
    for _, opt, owner in optimizers(model):
        if not hasattr(opt, "state_arrays"):
            continue
        state = opt.state_arrays(owner.weights) if comm.rank == root else None
        state = {k: asnumpy(v) for k, v in state.items()} if state is not None else None
        lr = opt.lr if not callable(opt.lr) else None
        state, iterations, lr = comm.broadcast_object((state, opt.iterations, lr), root)
        opt.load_state(owner.weights, state, iterations)
        if lr is not None:
            opt.lr = lr


class DataParallel:
    """The distributed side of one fit on ``model`` with communicator ``comm``."""

    def __init__(self, model, comm, noise="global", who="fit"):
        for name in ("rank", "size", "allreduce", "average", "broadcast_object"):
            if not hasattr(comm, name):
                raise TypeError(
                    f"{who}: distributed must be a communicator (tn.distributed.init()), got "
                    f"{type(comm).__name__}"
                )
        if noise not in MODES:
            raise ValueError(f"{who}: noise must be one of {MODES}, got {noise!r}")
        self.model, self.comm, self.noise, self.who = model, comm, noise, who
        self.bn = batch_norm_layers(model)
        self.rows = None  # (offset, n_local, n_global) of the current batch
        self.share = 1.0  # this rank's share of the current global batch's loss weight
        self.count = 0.0  # share * n_global: this rank's rows, in the global batch's units
        self.wrapped, self._gens = [], []

    # ----- data -----
    def shard(self, data, training=True):
        """This rank's part of ``data``: an ArrayData (ShardedData) or an IteratorData
        (ShardedIterator)."""
        if data is None:
            return None
        if hasattr(data, "bounds"):
            return ShardedData(data, self, training)
        return ShardedIterator(data, self, training)

    def enter_batch(self, offset, n, total, share=None):
        """The step ahead: this rank's rows [offset, offset + n) of a global batch of ``total``
        and its share of the loss weight (default n / total)."""
        self.rows = (offset, n, total)
        self.share = n / total if share is None else float(share)
        self.count = n if share is None else self.share * total
        for gen in self._gens:
            gen.rows = self.rows
        for opt in self.wrapped:
            opt.share = self.share

    def leave_batch(self):
        """Between steps (an iterator drawing its next item): noise draws are whole again."""
        for gen in self._gens:
            gen.rows = None

    def any(self, flag):
        """True on every rank when ``flag`` is true on any (stop_training set by a callback
        that ran, or decided, on some ranks only)."""
        buf = np.array([1.0 if flag else 0.0])
        self.comm.allreduce(buf)
        return bool(buf[0] > 0)

    # ----- the loop -----
    def callbacks(self, callbacks, verbose):
        """(callbacks, verbose) for this rank: rank 0 keeps all; the others drop the progress
        bar and the callbacks marked ``main_rank_only``."""
        if self.comm.rank == 0:
            return callbacks, verbose
        kept = [c for c in (callbacks or []) if not getattr(c, "main_rank_only", False)]
        return kept, 0

    def average(self, values):
        """A step's {name: local batch mean} -> the global batch's means."""
        return self.comm.average(values, weight=self.share)

    def reduce_sums(self, sums, seen):
        """Validation: ({name: sum}, count) over the local rows -> the same over all ranks."""
        names = list(self.model.metrics_names)  # the same on every rank, even one without rows
        names += [k for k in sums if k not in names]
        buf = np.array([float(sums.get(k, 0.0)) for k in names] + [float(seen)], dtype=np.float64)
        self.comm.allreduce(buf)
        return dict(zip(names, buf[:-1].tolist())), buf[-1]

    @contextlib.contextmanager
    def training(self):
        """Broadcast from rank 0, then wrap the optimizer, sync BatchNorm and shard the noise
        while the block runs; everything is put back after."""
        model, comm = self.model, self.comm
        broadcast_model(model, comm)
        broadcast_stream(comm)
        inner = optimizers(model)
        for name, opt, _ in inner:
            self.wrapped.append(DistributedOptimizer(opt, comm))
            setattr(model, name, self.wrapped[-1])
        for layer in self.bn:
            layer.sync = comm
        modules = ("numpy", "cupy") if getattr(model, "device", "cpu") == "gpu" else ("numpy",)
        try:
            with sharded_streams(comm, self.noise, modules) as gens:
                self._gens = gens
                yield self
        finally:
            self._gens = []
            for layer in self.bn:
                layer.sync = None
            for name, opt, _ in inner:
                setattr(model, name, opt)
            self.wrapped = []


class ShardedData:
    """This rank's rows of each global batch of an ArrayData (see the module docstring)."""

    def __init__(self, data, parallel, training):
        self.data, self.parallel, self.training = data, parallel, training
        self.arrays, self.shuffle = data.arrays, data.shuffle
        size = parallel.comm.size
        least = size * (2 if training and parallel.bn else 1)
        bounds = list(data.bounds)
        if training and bounds and bounds[-1][1] - bounds[-1][0] < least:
            n = bounds[-1][1] - bounds[-1][0]
            if len(bounds) == 1:
                raise ValueError(
                    f"{parallel.who}: a global batch of {n} samples cannot give each of the "
                    f"{size} ranks {least // size} (batch_size counts the global batch); give "
                    f"more samples or fewer ranks"
                )
            warnings.warn(
                f"{parallel.who}: the last global batch ({n} samples) is too small for "
                f"{size} ranks; it joins the batch before it",
                UserWarning,
                stacklevel=4,
            )
            bounds = bounds[:-2] + [(bounds[-2][0], bounds[-1][1])]
        self.bounds = bounds
        self.steps, self.rows, self.samples = len(bounds), data.rows, data.samples

    def batches(self):
        comm = self.parallel.comm
        order = rng().permutation(self.data.rows) if self.shuffle else None
        for start, stop in self.bounds:
            n = stop - start
            a, b = comm.rank * n // comm.size, (comm.rank + 1) * n // comm.size
            if order is None:
                idx = slice(start + a, start + b)
            else:
                idx = np.sort(order[start:stop])[a:b]
            self.parallel.enter_batch(a, b - a, n)
            if b == a:  # validation only: this rank has no rows of this batch
                continue
            yield tuple(x[idx] for x in self.arrays)


class ShardedIterator:
    """This rank's rows of each global batch an IteratorData yields (see the module
    docstring); the epoch's steps and samples are the global ones."""

    def __init__(self, data, parallel, training):
        self.data, self.parallel, self.training = data, parallel, training
        self.steps, self.samples = data.steps, data.samples

    def batches(self):
        parallel = self.parallel
        comm, model = parallel.comm, parallel.model
        least = 2 if self.training and parallel.bn else 1
        weight = getattr(model, "batch_weight", None) or rows_weight
        for host in self.data.batches():
            n = len(host[0])
            a, b = comm.rank * n // comm.size, (comm.rank + 1) * n // comm.size
            if parallel.bn and self.training and n < least * comm.size:
                raise ValueError(
                    f"{parallel.who}: a global batch of {n} samples from the iterator cannot "
                    f"give each of the {comm.size} ranks {least} (BatchNormalization); make "
                    f"every batch at least {least * comm.size} samples"
                )
            local = tuple(None if x is None else x[a:b] for x in host)
            total = float(weight(host))
            share = float(weight(local)) / total if total > 0 else (b - a) / n
            if b == a:
                if not self.training:  # validation: nothing to add, no collective to join
                    parallel.enter_batch(0, 0, n, 0.0)
                    continue
                # a stand-in row at share 0: this rank joins the step's collectives, adds 0
                local, share, a = tuple(None if x is None else x[:1] for x in host), 0.0, 0
            parallel.enter_batch(a, len(local[0]), n, share)
            yield local
            parallel.leave_batch()


def rows_weight(arrays):
    """The loss weight of a batch for models that average over rows: its number of rows."""
    return len(arrays[0])

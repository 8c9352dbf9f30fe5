"""DistributedOptimizer: one optimizer step from the gradients of every rank.

    opt = DistributedOptimizer(Adam(1e-3), comm)
    opt.share = n_local / n_global      # this rank's share of the global batch (fit sets it)
    opt.step(params)                    # reduce, then the wrapped optimizer's clip and update

Before the wrapped optimizer's step, every gradient is multiplied by ``share`` and summed over
the ranks with one Allreduce of a single flat buffer (allocated once for the parameters' layout,
re-made only when the layout changes). With each rank's loss the mean over its own rows, the sum
of share * gradient is the gradient of the mean over the global batch, uneven splits included.
Clipping and the update then run on identical numbers on every rank. A parameter without a
gradient on a rank is reduced as zeros; one without a gradient on every rank keeps ``grad``
None, so the wrapped optimizer skips it as it would in one process. Anything else (lr,
iterations, state, get_config) is the wrapped optimizer's.
"""

import numpy as np

from ..backend import get_array_module


class DistributedOptimizer:
    """Wraps ``optimizer`` (anything with ``step(params)``) for the communicator ``comm``."""

    def __init__(self, optimizer, comm, share=None):
        if not callable(getattr(optimizer, "step", None)):
            raise TypeError(
                f"DistributedOptimizer: optimizer must have a step(params) method, got "
                f"{type(optimizer).__name__}"
            )
        for name in ("allreduce", "size", "rank"):
            if not hasattr(comm, name):
                raise TypeError(
                    f"DistributedOptimizer: comm must be a communicator (tn.distributed.init()), "
                    f"got {type(comm).__name__} without {name!r}"
                )
        self.__dict__.update(optimizer=optimizer, comm=comm, _layout=None, _buffer=None)
        self.share = 1.0 / comm.size if share is None else share

    def __getattr__(self, name):
        return getattr(self.__dict__["optimizer"], name)

    def __setattr__(self, name, value):
        if name in ("share", "optimizer", "comm") or name.startswith("_"):
            object.__setattr__(self, name, value)
        else:  # lr, clipnorm, ...: callbacks set them on the optimizer itself
            setattr(self.optimizer, name, value)

    def reduce(self, params):
        """Replace each parameter's ``grad`` by sum over ranks of share * grad (see the module
        docstring); the same list of parameters, in the same order, on every rank."""
        if self.comm.size == 1 and self.share == 1:
            return
        buf, offsets = self._flat(params)
        xp = get_array_module(buf)
        scale = buf.dtype.type(self.share)
        flags = buf[offsets[-1] :]
        for i, p in enumerate(params):
            part = buf[offsets[i] : offsets[i + 1]]
            if p.grad is None:
                part.fill(0)
                flags[i] = 0
            else:
                xp.multiply(p.grad.reshape(-1), scale, out=part, casting="unsafe")
                flags[i] = 1
        self.comm.allreduce(buf)
        present = flags > 0
        present = present.get() if hasattr(present, "get") else present
        for i, p in enumerate(params):
            if not present[i]:
                p.grad = None
                continue
            g = buf[offsets[i] : offsets[i + 1]].reshape(p.shape)
            p.grad = g if g.dtype == p.dtype else g.astype(p.dtype)

    def step(self, params):
        params = list(params)
        self.reduce(params)
        self.optimizer.step(params)

    def _flat(self, params):
        """The flat buffer: every parameter's elements in order, then one presence flag each."""
        layout = tuple(
            (tuple(p.shape), p.dtype.str, get_array_module(p.data).__name__) for p in params
        )
        if layout != self._layout:
            sizes = [int(np.prod(shape)) for shape, _, _ in layout]
            offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist()
            dtype = np.result_type(*[p.dtype for p in params]) if params else np.float32
            xp = get_array_module(*[p.data for p in params])
            self._buffer = (xp.zeros(offsets[-1] + len(params), dtype=dtype), offsets)
            self._layout = layout
        return self._buffer

    @property
    def buffer_size(self):
        """Elements in the flat buffer (the gradients and one flag per parameter), 0 before the
        first step."""
        return 0 if self._buffer is None else int(self._buffer[0].size)

    def __repr__(self):
        return f"DistributedOptimizer({self.optimizer!r}, {self.comm!r})"

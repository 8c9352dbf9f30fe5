"""Reverse-mode automatic differentiation: Tensor, Function, backward, no_grad.

A ``Function`` computes on raw arrays (``forward``) and maps the gradients of its outputs to the
gradients of its inputs (``backward``). Calling it on Tensors unwraps them, runs ``forward``, wraps
the outputs and, when a gradient is wanted, records itself as their ``creator``. ``backward()``
walks the recorded graph iteratively in reverse topological order.

The arithmetic operators of Tensor (``+ - * / ** @``, indexing, ``sum`` ...) are installed by
one call, ``tinynet.functional.operators.install_operators()``, made when tinynet.functional is
imported: the ops are built on Tensor, so Tensor cannot import them.
"""

import contextlib
import weakref

import numpy

from . import backend


class _Config:
    grad_enabled = True


def is_grad_enabled():
    return _Config.grad_enabled


@contextlib.contextmanager
def no_grad():
    """Inside this block, ops record no graph (inference, parameter updates)."""
    previous = _Config.grad_enabled
    _Config.grad_enabled = False
    try:
        yield
    finally:
        _Config.grad_enabled = previous


def _as_array(data):
    if isinstance(data, Tensor):
        return data.data
    if isinstance(data, numpy.ndarray) or backend.is_gpu_array(data):
        return data
    array = numpy.asarray(data)
    if array.dtype == numpy.float64 and not isinstance(data, numpy.generic):
        array = array.astype(numpy.float32)  # Python floats and lists default to float32
    return array


class Tensor:
    """An array (NumPy or CuPy) with an optional gradient.

    ``data`` is the raw array; ``grad`` is a raw array of the same shape and dtype, or None.
    A Tensor made by a Function remembers it as ``creator``; a Tensor made by the user is a leaf.
    """

    __slots__ = (
        "data",
        "grad",
        "requires_grad",
        "creator",
        "name",
        "_retain_grad",
        "_index",
        "__weakref__",
    )
    __array_ufunc__ = None  # make NumPy defer to Tensor's reflected operators (ndarray + Tensor)

    def __init__(self, data, requires_grad=False, name=None):
        self.data = _as_array(data)
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.creator = None
        self.name = name
        self._retain_grad = False

    # ----- description -----
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def device(self):
        return backend.device_of(self.data)

    @property
    def is_leaf(self):
        return self.creator is None

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        body = str(backend.asnumpy(self.data)).replace("\n", "\n       ")
        extra = f", device='{self.device}'" if self.device != "cpu" else ""
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({body}, dtype={self.dtype}{extra}{grad})"

    # ----- conversion -----
    def numpy(self):
        """The data as a NumPy array (copied from the GPU when needed)."""
        return backend.asnumpy(self.data)

    def item(self):
        return self.data.item()

    def to(self, device):
        """A leaf copy of this tensor on ``device`` ("cpu" or "gpu"); itself when already there."""
        if device == self.device:
            return self
        return Tensor(
            backend.to_device(self.data, device), requires_grad=self.requires_grad, name=self.name
        )

    def detach(self):
        """A new leaf sharing this tensor's data, cut from the graph."""
        return Tensor(self.data, requires_grad=False, name=self.name)

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward (for studying gradients)."""
        self._retain_grad = True
        return self

    # ----- backward -----
    def backward(self, gy=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) * gy into the ``.grad`` of every leaf that requires grad.

        gy: array of self's shape; may be omitted only when self is a scalar (then gy = 1).
        The graph is freed afterwards unless ``retain_graph=True``.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad (no input of the "
                "computation had requires_grad=True, or it was made under no_grad)"
            )
        xp = backend.get_array_module(self.data)
        if gy is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: gy may be omitted only for a scalar output; this "
                    f"output has shape {self.shape}"
                )
            gy = xp.ones_like(self.data)
        else:
            gy = _as_array(gy)
            if gy.shape != self.shape:
                raise ValueError(
                    f"backward: gy has shape {gy.shape}, expected the output's shape {self.shape}"
                )
            if backend.device_of(gy) != self.device:
                raise TypeError(
                    f"backward: gy is on {backend.device_of(gy)} but the output is on "
                    f"{self.device}; move gy with tinynet.to_device"
                )
            if gy.dtype != self.dtype:
                raise TypeError(
                    f"backward: gy has dtype {gy.dtype} but the output has dtype "
                    f"{self.dtype}; convert gy (e.g. gy.astype('{self.dtype}'))"
                )
        if self.creator is None:
            _accumulate_leaf(self, gy, {id(gy)})  # the caller's array is not the leaf's to keep
            return
        run_backward(self, gy, retain_graph)


def _accumulate_leaf(t, g, given=None):
    """t.grad += g, never in place. A gradient that may share memory with another one (a view,
    a read-only broadcast, an array already handed to another leaf) is copied on first store,
    so every leaf owns its ``.grad``."""
    if t.grad is not None:
        g = t.grad + g
    elif given is not None:
        if (
            not hasattr(g, "base")
            or g.base is not None
            or not getattr(g.flags, "writeable", True)
            or id(g) in given
        ):
            g = g.copy()
        given.add(id(g))
    if g.ndim == 0 and not isinstance(g, type(t.data)):  # NumPy turns 0-d results into scalars
        g = backend.get_array_module(t.data).asarray(g, dtype=t.data.dtype)
    t.grad = g


def _topological_order(root_fn):
    """Functions reachable from root_fn, each after every function that consumes its outputs."""
    order, visited = [], set()
    stack = [(root_fn, False)]
    while stack:
        fn, expanded = stack.pop()
        if expanded:
            order.append(fn)
            continue
        if id(fn) in visited:
            continue
        visited.add(id(fn))
        if fn.inputs is None:
            raise RuntimeError(
                f"backward: the graph through {type(fn).__name__} was already freed by an earlier "
                f"backward(); call backward(retain_graph=True) the first time to go through it "
                f"twice"
            )
        stack.append((fn, True))
        for x in fn.inputs:
            if x is not None and x.creator is not None and id(x.creator) not in visited:
                stack.append((x.creator, False))
    order.reverse()  # post-order reversed: consumers before producers
    return order


def run_backward(output, gy, retain_graph=False):
    # Gradients are keyed by (producing function, output index), not by tensor: a consumer may
    # free an intermediate tensor before its producer is reached.
    root = output.creator
    grads = {id(root): [None] * len(root.outputs)}
    grads[id(root)][output._index] = gy
    given = {id(gy)}
    for fn in _topological_order(root):
        gys = grads.pop(id(fn), None)
        if gys is None:
            if not retain_graph:
                fn.release()
            continue
        if any(g is None for g in gys):
            xp = backend.get_array_module(*[g for g in gys if g is not None])
            gys = [
                xp.zeros(shape, dtype) if g is None else g
                for g, (shape, dtype) in zip(gys, fn.output_meta)
            ]
        gxs = fn.backward(*gys)
        if not isinstance(gxs, tuple):
            gxs = (gxs,)
        for ref, g in zip(fn.outputs, gys):
            o = ref()
            if o is not None and o._retain_grad:
                _accumulate_leaf(o, g, given)
        for x, gx in zip(fn.inputs, gxs):
            if gx is None or x is None or not x.requires_grad:
                continue
            if x.creator is None:
                _accumulate_leaf(x, gx, given)
            else:
                slots = grads.setdefault(id(x.creator), [None] * len(x.creator.outputs))
                i = x._index
                slots[i] = gx if slots[i] is None else slots[i] + gx
        if not retain_graph:
            fn.release()


class Function:
    """One differentiable op. Subclasses define ``forward(*arrays)`` and ``backward(*grads)``,
    and ``check_inputs(*arrays)`` when their inputs can be wrong.

    ``check_inputs`` receives the raw input arrays before ``forward`` and raises a ValueError
    (shapes) or TypeError (dtypes) that names the op, the argument and the values, "expected ...,
    got ..."; keeping the checks at the door leaves ``forward`` to compute. ``forward`` receives
    raw arrays and returns an array or a tuple of arrays; ``backward`` receives one gradient per
    output and returns one gradient (or None) per input. State needed by backward is kept on
    ``self``.
    """

    inputs = None

    def __call__(self, *inputs):
        tensors = [x if isinstance(x, Tensor) or x is None else Tensor(x) for x in inputs]
        arrays = [None if t is None else t.data for t in tensors]
        if len(arrays) > 1 and backend.cupy is not None:
            backend.check_device(
                type(self).__name__,
                [(f"input {i} {a.shape}", a) for i, a in enumerate(arrays) if a is not None],
            )
        self.check_inputs(*arrays)
        ys = self.forward(*arrays)
        single = not isinstance(ys, tuple)
        if single:
            ys = (ys,)
        outputs = [Tensor(y) for y in ys]
        needs_grad = tuple(t is not None and t.requires_grad for t in tensors)
        if _Config.grad_enabled and any(needs_grad):
            self.inputs, self.needs_grad = tensors, needs_grad
            self.outputs = [weakref.ref(o) for o in outputs]
            self.output_meta = [(y.shape, y.dtype) for y in ys]
            for i, o in enumerate(outputs):
                o.requires_grad, o.creator, o._index = True, self, i
        return outputs[0] if single else tuple(outputs)

    def release(self):
        """Drop the inputs and saved arrays; a later backward through here is an error."""
        self.inputs = None
        for name in list(vars(self)):
            if name not in ("inputs", "outputs", "output_meta", "needs_grad"):
                delattr(self, name)

    def check_inputs(self, *xs):
        """Raise if the raw input arrays ``xs`` do not fit this op; by default accept them."""

    def forward(self, *xs):
        raise NotImplementedError

    def backward(self, *gys):
        raise NotImplementedError

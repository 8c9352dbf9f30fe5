"""Reverse-mode automatic differentiation: Tensor, Function, backward, no_grad.

A ``Function`` computes on raw arrays (``forward``) and maps the gradients of its outputs to the
gradients of its inputs (``backward``). Calling it on Tensors unwraps them, runs ``forward``, wraps
the outputs and, when a gradient is wanted, records itself as their ``creator``. ``backward()``
walks the recorded graph iteratively in reverse topological order.

The arithmetic operators of Tensor (``+ - * / ** @``, indexing, ``sum`` ...) are installed by
one call, ``tinynet.functional.operators.install_operators()``, made when tinynet.functional is
imported: the ops are built on Tensor, so Tensor cannot import them.

Saved-tensor versions (PyTorch's idea): every Tensor carries ``_version``, bumped by each
in-place change made through tinynet while a live graph holds it: writes through ``t.data``
(``t.data[...] = v``, ``t.data -= g``, ``t.data.fill(0)``: while the tensor is an input of a
recorded op not yet freed, ``t.data`` is a view that counts its writes), assigning
``t.data = array``, and ``t.bump_version()`` (what code writing into a raw array it kept from
earlier should call). A Function records its inputs' versions when it records itself; backward
through it after one of them changed raises a RuntimeError naming the op and the tensor, instead
of computing a wrong gradient. No copy is made; the check is one integer comparison per input.
On the GPU (CuPy arrays cannot be watched) only assignment, ``bump_version()`` and the
optimizers' updates count. Tinynet's ``+=`` on a Tensor is not in place (it makes a new node), so
it cannot corrupt a graph.

Hooks: ``t.register_hook(fn)`` calls ``fn(grad)`` (a raw array) when t's gradient is complete in
a backward pass; a non-None result (array or Tensor of the same shape) replaces the gradient.
Hooks must not write into ``grad``: it may be shared with another branch of the graph.

Higher-order gradients: ``backward(create_graph=True)`` and :func:`grad` walk the graph with
each Function's ``backward_graph(*gys)``, which takes and returns Tensors and is written with
tinynet ops, so the gradients it returns have a graph of their own and can be differentiated
again (double backward, Hessian-vector products, gradient penalties). The first-order path
(:func:`run_backward`, ``Function.backward`` on raw arrays) is untouched by it. After
``backward(create_graph=True)`` a leaf's ``.grad`` is still the raw array (the contract);
``leaf.grad_tensor`` is the same gradient as a Tensor with its graph. :func:`grad` returns
Tensors and leaves ``.grad`` alone. docs/higher_order.md shows both.

Tracing: ``_tracer`` is None unless a profiler (tinynet.viz.profiler) watches every op; the
normal path pays one module-global check per op and per backward step.
"""

import contextlib
import weakref

import numpy

from . import backend


class _Config:
    grad_enabled = True


# Set by tinynet.viz.profiler while a profile() block is open: an object with
# ``call(fn, inputs) -> outputs`` (which must call ``fn.apply(inputs)``) and
# ``backward(fn, gys) -> gxs`` (which must call ``fn.backward(*gys)``).
_tracer = None
# Names of the layers being called, innermost last; Layer.__call__ pushes them only while a
# tracer is set, so recorded Functions can say which layer made them (``fn.scope``).
_scopes = []


def set_tracer(tracer):
    """Install ``tracer`` (or None) as the watcher of every op; returns the previous one."""
    global _tracer
    previous, _tracer = _tracer, tracer
    return previous


class RemovableHandle:
    """Removes one hook from the dict it was registered in (PyTorch's handle); a context
    manager too (``with t.register_hook(fn): ...``)."""

    _ids = iter(range(1 << 62))

    def __init__(self, hooks, fn):
        self.hooks, self.id = hooks, next(RemovableHandle._ids)
        hooks[self.id] = fn

    def remove(self):
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


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
        return data._data
    if isinstance(data, numpy.ndarray):
        return data.view(numpy.ndarray) if type(data) is _WatchedArray else data
    if backend.is_gpu_array(data):
        return data
    array = numpy.asarray(data)
    if array.dtype == numpy.float64 and not isinstance(data, numpy.generic):
        array = array.astype(numpy.float32)  # Python floats and lists default to float32
    return array


class _WatchedArray(numpy.ndarray):
    """A view of a Tensor's NumPy data, handed out by ``Tensor.data`` while the tensor is an input
    of a recorded op that backward has not freed yet: writes through it (item assignment,
    including ``t.data[1:] += 1``, in-place ufuncs such as ``t.data -= g``, ``fill``) bump the
    tensor's version first. Anything computed from it is a plain ndarray. Writes through an array
    taken before the graph was recorded, a slice kept in a variable, or ``np.copyto`` are not
    seen: call ``tensor.bump_version()`` after those."""

    _owner = None  # a weak reference to the Tensor; None on slices and other derived arrays

    def _bump(self):
        owner = self._owner() if self._owner is not None else None
        if owner is not None:
            owner._version += 1

    def __setitem__(self, key, value):
        self._bump()
        numpy.ndarray.__setitem__(self.view(numpy.ndarray), key, _plain(value))

    def fill(self, value):
        self._bump()
        self.view(numpy.ndarray).fill(value)

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        if out is not None:
            for o in out:
                if type(o) is _WatchedArray:
                    o._bump()
            kwargs["out"] = tuple(_plain(o) for o in out)
        result = getattr(ufunc, method)(*[_plain(x) for x in inputs], **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return result

    def __repr__(self):
        return repr(self.view(numpy.ndarray))


def _plain(a):
    return a.view(numpy.ndarray) if type(a) is _WatchedArray else a


class Tensor:
    """An array (NumPy or CuPy) with an optional gradient.

    ``data`` is the raw array (while a recorded op holds the tensor as input: a view that counts
    in-place writes, see the module's note on versions); ``grad`` is a raw array of the same shape
    and dtype, or None. A Tensor made by a Function remembers it as ``creator``; a Tensor made by
    the user is a leaf.
    """

    __slots__ = (
        "_data",
        "grad",
        "requires_grad",
        "creator",
        "name",
        "_retain_grad",
        "_index",
        "_version",
        "_saved",
        "_hooks",
        "_view",
        "_grad_graph",  # (Tensor, array) from backward(create_graph=True); unset until then
        "_edge",  # its _Edge, made once when an op that keeps no input data first takes it
        "__weakref__",
    )
    __array_ufunc__ = None  # make NumPy defer to Tensor's reflected operators (ndarray + Tensor)

    def __init__(self, data, requires_grad=False, name=None):
        self._data = _as_array(data)
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.creator = None
        self.name = name
        self._retain_grad = False
        self._version = 0
        self._saved = 0  # how many recorded Functions hold this tensor as an input
        self._hooks = None
        self._view = None  # the watched view of _data, made once when first asked for
        self._edge = None

    # ----- data and its version -----
    @property
    def data(self):
        if self._saved:  # an input of a recorded op that has not been freed yet
            view = self._view
            if view is None and type(self._data) is numpy.ndarray:
                view = self._view = self._data.view(_WatchedArray)
                view._owner = weakref.ref(self)
            if view is not None:
                return view
        return self._data

    @data.setter
    def data(self, value):
        self._data = _plain(value)
        self._view = None
        self._version += 1

    def bump_version(self):
        """Say that ``data`` was changed in place behind tinynet's back (e.g. through a raw
        array kept from before): backward through a graph that saved the old values raises."""
        self._version += 1

    # ----- description -----
    @property
    def shape(self):
        return self._data.shape

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def size(self):
        return self._data.size

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def device(self):
        return backend.device_of(self._data)

    @property
    def is_leaf(self):
        return self.creator is None

    def __len__(self):
        return len(self._data)

    def __repr__(self):
        body = str(backend.asnumpy(self._data)).replace("\n", "\n       ")
        extra = f", device='{self.device}'" if self.device != "cpu" else ""
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({body}, dtype={self.dtype}{extra}{grad})"

    # ----- conversion -----
    def numpy(self):
        """The data as a NumPy array (copied from the GPU when needed)."""
        return backend.asnumpy(self._data)

    def item(self):
        return self._data.item()

    def to(self, device):
        """A leaf copy of this tensor on ``device`` ("cpu" or "gpu"); itself when already there."""
        if device == self.device:
            return self
        return Tensor(
            backend.to_device(self._data, device), requires_grad=self.requires_grad, name=self.name
        )

    def detach(self):
        """A new leaf sharing this tensor's data, cut from the graph."""
        return Tensor(self._data, requires_grad=False, name=self.name)

    @property
    def grad_tensor(self):
        """The gradient that the last ``backward(create_graph=True)`` left in ``.grad``, as a
        Tensor with its graph (differentiable again); None when ``.grad`` did not come from
        such a call (it was cleared, replaced or accumulated into by a first-order backward)."""
        kept = getattr(self, "_grad_graph", None)
        return kept[0] if kept is not None and kept[1] is self.grad else None

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward (for studying gradients)."""
        self._retain_grad = True
        return self

    def register_hook(self, fn):
        """Call ``fn(grad)`` with this tensor's gradient (a raw array) once it is complete in
        each backward pass; a non-None result replaces it (for the leaf's ``.grad`` and for
        everything upstream). Returns a handle whose ``remove()`` unregisters the hook."""
        if not callable(fn):
            raise TypeError(f"register_hook: expected a callable, got {type(fn).__name__}")
        if not self.requires_grad:
            raise RuntimeError(
                "register_hook: this tensor does not require grad, so no gradient will reach it"
            )
        if self._hooks is None:
            self._hooks = {}
            if self.creator is not None:  # kept by the node: the tensor itself may be gone
                if self.creator.output_hooks is None:
                    self.creator.output_hooks = {}
                self.creator.output_hooks[self._index] = self._hooks
        return RemovableHandle(self._hooks, fn)

    # ----- backward -----
    def backward(self, gy=None, retain_graph=None, create_graph=False):
        """Accumulate d(self)/d(leaf) * gy into the ``.grad`` of every leaf that requires grad.

        gy: array of self's shape (a Tensor too when ``create_graph``); may be omitted only when
        self is a scalar (then gy = 1). The graph is freed afterwards unless ``retain_graph``
        (by default: ``create_graph``). ``create_graph=True`` records the backward pass itself
        (each op's ``backward_graph``): each leaf's ``.grad`` is then still a raw array, and
        ``.grad_tensor`` the same gradient as a Tensor that can be differentiated again.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad (no input of the "
                "computation had requires_grad=True, or it was made under no_grad)"
            )
        if create_graph:
            gy = _check_gy("backward", self, gy, as_tensor=True)
            general_backward(
                [self], [gy], None, True if retain_graph is None else retain_graph, True
            )
            return
        gy = _check_gy("backward", self, gy)
        if self.creator is None:
            if self._hooks:
                gy = _run_hooks(self._hooks, gy, _describe(self))
            _accumulate_leaf(self, gy, {id(gy)})  # the caller's array is not the leaf's to keep
            return
        run_backward(self, gy, retain_graph)


def _check_gy(op, t, gy, as_tensor=False, who="the output"):
    """The upstream gradient for output t: ones for a scalar t when gy is None; else gy checked
    against t's shape, device and dtype. A raw array, or a Tensor when ``as_tensor`` (a given
    Tensor is kept as it is, graph and all)."""
    xp = backend.get_array_module(t._data)
    if gy is None:
        if t._data.size != 1:
            raise RuntimeError(
                f"{op}: gy may be omitted only for a scalar output; {who} has shape {t.shape}"
            )
        gy = xp.ones_like(t._data)
    else:
        a = _as_array(gy)
        if a.shape != t.shape:
            raise ValueError(f"{op}: gy has shape {a.shape}, expected {who}'s shape {t.shape}")
        if backend.device_of(a) != t.device:
            raise TypeError(
                f"{op}: gy is on {backend.device_of(a)} but {who} is on "
                f"{t.device}; move gy with tinynet.to_device"
            )
        if a.dtype != t.dtype:
            raise TypeError(
                f"{op}: gy has dtype {a.dtype} but {who} has dtype "
                f"{t.dtype}; convert gy (e.g. gy.astype('{t.dtype}'))"
            )
        if not (as_tensor and isinstance(gy, Tensor)):
            gy = a
    if as_tensor and not isinstance(gy, Tensor):
        gy = Tensor(gy)
    return gy


def _accumulate_leaf(t, g, given=None):
    """t.grad += g, never in place. A gradient that may share memory with another one (a view,
    a read-only broadcast, an array already handed to another leaf) is copied on first store,
    so every leaf owns its ``.grad``."""
    if t.grad is not None:
        g = t.grad + g
    elif given is not None:
        g = _owned(g, given, t._data)
    if g.ndim == 0 and not isinstance(g, type(t._data)):  # NumPy turns 0-d results into scalars
        g = backend.get_array_module(t._data).asarray(g, dtype=t._data.dtype)
    t.grad = g


def _topological_order(root_fn):
    """Functions reachable from root_fn, each after every function that consumes its outputs."""
    return _post_order([root_fn], None)[0]


def _describe(t):
    name = f"'{t.name}'" if t.name else "(unnamed)"
    return f"tensor {name} of shape {t.shape}"


def _run_hooks(hooks, g, who):
    """g after every hook in ``hooks`` has seen (and possibly replaced) it."""
    for fn in list(hooks.values()):
        result = fn(g)
        if result is None:
            continue
        result = _as_array(result)
        if result.shape != g.shape or result.dtype != g.dtype:
            raise ValueError(
                f"backward: the hook {getattr(fn, '__name__', fn)!r} on {who} returned "
                f"a gradient of shape {result.shape} and dtype {result.dtype}; expected "
                f"{g.shape} and {g.dtype}"
            )
        g = result
    return g


def _check_versions(fn):
    """Raise if an input of fn, or one of its outputs, changed in place since fn recorded it."""
    for x, v in zip(fn.inputs, fn.versions):
        if v is not None and x._version != v:
            _version_error(fn)
    for ref in fn.outputs:
        o = ref()
        if o is not None and o._version:
            _version_error(fn)


def _version_error(fn):
    op = type(fn).__name__
    for i, (x, v) in enumerate(zip(fn.inputs, fn.versions)):
        if v is not None and x._version != v:
            raise RuntimeError(
                f"backward: input {i} of {op}, {_describe(x)}, was modified in place after {op} "
                f"saved it for backward (version {x._version}, saved at version {v}); its "
                f"gradient would be computed from the new values. Change a copy instead, or make "
                f"the change before the forward pass or after backward()"
            )
    for i, ref in enumerate(fn.outputs):
        o = ref()
        if o is not None and o._version:
            raise RuntimeError(
                f"backward: output {i} of {op}, {_describe(o)}, was modified in place after the "
                f"forward pass (version {o._version}); change a copy instead"
            )


def run_backward(output, gy, retain_graph=False):
    # Gradients are keyed by (producing function, output index), not by tensor: a consumer may
    # free an intermediate tensor before its producer is reached.
    root = output.creator
    grads = {id(root): [None] * len(root.outputs)}
    grads[id(root)][output._index] = gy
    given = {id(gy)}
    hooked_leaves = {}  # id -> (leaf, summed gradient): a leaf's hooks see its whole gradient
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
        _check_versions(fn)
        if fn.output_hooks:
            for i, hooks in fn.output_hooks.items():
                gys[i] = _run_hooks(hooks, gys[i], f"output {i} of {type(fn).__name__}")
        for i, ref in enumerate(fn.outputs):
            o = ref()
            if o is not None and o._retain_grad:
                _accumulate_leaf(o, gys[i], given)
        fn.final_backward = not retain_graph
        if _tracer is None:
            gxs = fn.backward(*gys)
        else:
            gxs = _tracer.backward(fn, gys)
        if not isinstance(gxs, tuple):
            gxs = (gxs,)
        for x, gx in zip(fn.inputs, gxs):
            if gx is None or x is None or not x.requires_grad:
                continue
            if x.creator is None:
                if x._hooks:
                    prev = hooked_leaves.get(id(x))
                    hooked_leaves[id(x)] = (x, gx if prev is None else prev[1] + gx)
                else:
                    _accumulate_leaf(x, gx, given)
            else:
                slots = grads.setdefault(id(x.creator), [None] * len(x.creator.outputs))
                i = x._index
                slots[i] = gx if slots[i] is None else slots[i] + gx
        if not retain_graph:
            fn.release()
    for x, g in hooked_leaves.values():
        _accumulate_leaf(x, _run_hooks(x._hooks, g, _describe(x)), given)


def _post_order(roots, targets):
    """(order, needed): the Functions reachable from ``roots``, each after every function that
    consumes its outputs, and, when ``targets`` (ids of tensors) is given, the ids of those
    through which a gradient reaches a target (the others need not run)."""
    post, visited, needed = [], set(), set()
    stack = [(fn, False) for fn in reversed(roots)]
    while stack:
        fn, expanded = stack.pop()
        if expanded:
            post.append(fn)
            if targets is not None and any(
                x is not None
                and x.requires_grad
                and (id(x) in targets or (x.creator is not None and id(x.creator) in needed))
                for x in fn.inputs
            ):
                needed.add(id(fn))
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
    post.reverse()
    return post, needed


def _owned(g, given, like=None):
    """g, or a copy of it when it may share memory with another gradient already handed out;
    the copy is laid out in memory like ``like`` when given (a leaf's data: a transposing copy
    of a batch-last image gradient into C order costs several times a plain one)."""
    if (
        not hasattr(g, "base")
        or g.base is not None
        or not getattr(g.flags, "writeable", True)
        or id(g) in given
    ):
        if like is not None and like.shape == g.shape:
            xp = backend.get_array_module(g)
            keep = {"subok": False} if xp is numpy else {}  # a plain array, not a memmap
            copy = xp.empty_like(like, dtype=g.dtype, **keep)
            copy[...] = g
            g = copy
        else:
            g = g.copy()
    given.add(id(g))
    return g


def _hooked(hooks, g, who, graph):
    """_run_hooks on a gradient that is a raw array, or (``graph``) a Tensor: its hooks see the
    raw array; a replacement that is a Tensor is kept with its graph, an array as a constant."""
    if not graph:
        return _run_hooks(hooks, g, who)
    for fn in list(hooks.values()):
        result = fn(g._data)
        if result is None or result is g._data:  # the gradient handed back: keep its graph
            continue
        a = _as_array(result)
        if a.shape != g.shape or a.dtype != g.dtype:
            raise ValueError(
                f"backward: the hook {getattr(fn, '__name__', fn)!r} on {who} returned "
                f"a gradient of shape {a.shape} and dtype {a.dtype}; expected "
                f"{g.shape} and {g.dtype}"
            )
        g = result if isinstance(result, Tensor) else Tensor(a)
    return g


def general_backward(outputs, gys, targets, retain_graph, create_graph):
    """Backpropagate ``gys`` (one per tensor of ``outputs``) through the recorded graph.

    targets None: accumulate into every leaf's ``.grad`` (and ``.grad_tensor`` when
    ``create_graph``), as ``backward`` does. targets a list of tensors (leaves or not): return
    their gradients, one per target (None where no gradient reaches it), touching no ``.grad``;
    only the functions through which a gradient reaches a target run. ``create_graph``: the
    gradients are Tensors computed by each op's ``backward_graph`` with the graph recorded
    (as far as grad mode is on); otherwise raw arrays from ``backward``.
    """
    target_ids = None if targets is None else {id(t): k for k, t in enumerate(targets)}
    found = [None] * (0 if targets is None else len(targets))
    at_slot = {}  # (id(creator), index) -> target positions, for targets that are not leaves
    for k, t in enumerate(targets or ()):
        if t.creator is not None:
            at_slot.setdefault((id(t.creator), t._index), []).append(k)
    grads, roots, leaves, given = {}, [], {}, set()

    def add_leaf(x, g):
        prev = leaves.get(id(x))
        leaves[id(x)] = (x, g if prev is None else prev[1] + g)

    for o, g in zip(outputs, gys):
        given.add(id(g._data if isinstance(g, Tensor) else g))
        if o.creator is None:
            add_leaf(o, g)
            continue
        slots = grads.get(id(o.creator))
        if slots is None:
            slots = grads[id(o.creator)] = [None] * len(o.creator.outputs)
            roots.append(o.creator)
        i = o._index
        slots[i] = g if slots[i] is None else slots[i] + g
    order, needed = _post_order(roots, target_ids)
    for fn in order:
        gys = grads.pop(id(fn), None)
        if gys is None:
            continue
        op = type(fn).__name__
        if any(g is None for g in gys):
            g0 = next(g for g in gys if g is not None)
            xp = backend.get_array_module(g0._data if create_graph else g0)
            gys = [
                (Tensor(xp.zeros(shape, dtype)) if create_graph else xp.zeros(shape, dtype))
                if g is None
                else g
                for g, (shape, dtype) in zip(gys, fn.output_meta)
            ]
        _check_versions(fn)
        if fn.output_hooks:
            for i, hooks in fn.output_hooks.items():
                gys[i] = _hooked(hooks, gys[i], f"output {i} of {op}", create_graph)
        if targets is None:
            for i, ref in enumerate(fn.outputs):
                o = ref()
                if o is not None and o._retain_grad:
                    _accumulate_leaf(o, gys[i]._data if create_graph else gys[i], given)
        else:
            for i in range(len(gys)):
                for k in at_slot.get((id(fn), i), ()):
                    found[k] = gys[i]
            if id(fn) not in needed:
                continue
        wanted = fn.needs_grad
        if targets is not None:
            wanted = tuple(
                w and (id(x) in target_ids or (x.creator is not None and id(x.creator) in needed))
                for w, x in zip(wanted, fn.inputs)
            )
        kept_mask, fn.needs_grad = fn.needs_grad, wanted
        fn.final_backward = not retain_graph
        try:
            gxs = fn.backward_graph(*gys) if create_graph else fn.backward(*gys)
        finally:
            fn.needs_grad = kept_mask
        if not isinstance(gxs, tuple):
            gxs = (gxs,)
        for x, gx, w in zip(fn.inputs, gxs, wanted):
            if gx is None or x is None or not w:
                continue
            if create_graph:
                if not isinstance(gx, Tensor):
                    gx = Tensor(gx)
                if gx.shape != x.shape:
                    raise RuntimeError(
                        f"backward: {op}.backward_graph returned a gradient of shape "
                        f"{gx.shape} for its input of shape {x.shape}"
                    )
            if x.creator is None:
                add_leaf(x, gx)
            else:
                slots = grads.setdefault(id(x.creator), [None] * len(x.creator.outputs))
                i = x._index
                slots[i] = gx if slots[i] is None else slots[i] + gx
        if not retain_graph:
            fn.release()
    for x, g in leaves.values():
        if x._hooks:
            g = _hooked(x._hooks, g, _describe(x), create_graph)
        if targets is not None:
            k = target_ids.get(id(x))
            if k is not None:
                found[k] = g
        elif create_graph:
            if x.grad is not None:  # accumulate, on the earlier gradient's graph if it has one
                kept = x.grad_tensor
                g = (kept if kept is not None else Tensor(x.grad)) + g
                x.grad = None
            _accumulate_leaf(x, g._data, given)
            x._grad_graph = (g, x.grad)
        else:
            _accumulate_leaf(x, g, given)
    if targets is not None and not create_graph:
        found = [None if g is None else _owned(g, given, t._data) for g, t in zip(found, targets)]
    return found


def grad(
    outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False
):
    """The gradients of ``outputs`` with respect to ``inputs``, as PyTorch's
    ``torch.autograd.grad``: a tuple of Tensors, one per input, of the inputs' shapes.

    outputs, inputs: a Tensor or a sequence of Tensors (inputs may be any tensors of the graph,
    leaves or not). grad_outputs: the upstream gradient of each output (arrays or Tensors; None
    for a scalar output means 1). create_graph: the returned gradients carry a graph, so they
    can be differentiated again; else they are constants. retain_graph (default: create_graph):
    keep the graph for another backward. allow_unused: give None for an input that the outputs
    do not depend on, instead of raising. No ``.grad`` is touched.
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor) or hasattr(grad_outputs, "shape"):
        grad_outputs = [grad_outputs] * len(outputs) if len(outputs) == 1 else grad_outputs
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(
            f"grad: {len(grad_outputs)} grad_outputs for {len(outputs)} outputs; give one each"
        )
    for i, o in enumerate(outputs):
        if not isinstance(o, Tensor):
            raise TypeError(f"grad: output {i} must be a Tensor, got {type(o).__name__}")
        if not o.requires_grad:
            raise RuntimeError(
                f"grad: output {i}, {_describe(o)}, does not require grad (no input of its "
                f"computation had requires_grad=True, or it was made under no_grad)"
            )
    for k, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: input {k} must be a Tensor, got {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {k}, {_describe(t)}, does not require grad")
    gys = [
        _check_gy("grad", o, g, as_tensor=create_graph, who=f"output {i}")
        for i, (o, g) in enumerate(zip(outputs, grad_outputs))
    ]
    retain = create_graph if retain_graph is None else retain_graph
    found = general_backward(outputs, gys, inputs, retain, create_graph)
    result = []
    for k, (t, g) in enumerate(zip(inputs, found)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {k}, {_describe(t)}, was not used to compute the outputs (no "
                    f"gradient reaches it); pass allow_unused=True to get None for it"
                )
            result.append(None)
        else:
            result.append(g if isinstance(g, Tensor) else Tensor(g))
    return tuple(result)


class _Edge:
    """A non-leaf tensor's place in the graph without its array: what an op whose backward needs
    no input data (``Function.keeps_inputs = False``) holds instead of the tensor, so that the
    array is freed as soon as nothing else holds the tensor (Chainer's retained inputs; PyTorch's
    graph nodes hold no inputs either). ``Function.inputs`` gives the tensor itself while it is
    alive, else this stand-in: creator, index and description, no data, no gradient."""

    __slots__ = ("tensor", "creator", "_index", "shape", "dtype", "device", "__weakref__")
    requires_grad = True
    name = grad = _data = None  # what a graph picture reads of a tensor

    def __init__(self, t):
        self.tensor = weakref.ref(t)
        self.creator, self._index = t.creator, t._index
        self.shape, self.dtype, self.device = t.shape, t.dtype, t.device

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(numpy.prod(self.shape))

    def resolve(self):
        """The tensor while it is alive, else this stand-in."""
        t = self.tensor()
        return self if t is None else t


# Inputs of at most this many elements are kept even by ops that need no input data: they cost
# nothing, and graph pictures (tinynet.viz.graph) can show their values and gradients.
KEEP_SMALL = 4096


def _edge_of(t):
    if t._edge is None:
        t._edge = _Edge(t)
    return t._edge


_KEPT = ("outputs", "output_meta", "needs_grad", "scope", "output_hooks")


class Function:
    """One differentiable op. Subclasses define ``forward(*arrays)`` and ``backward(*grads)``,
    and ``check_inputs(*arrays)`` when their inputs can be wrong.

    ``check_inputs`` receives the raw input arrays before ``forward`` and raises a ValueError
    (shapes) or TypeError (dtypes) that names the op, the argument and the values, "expected ...,
    got ..."; keeping the checks at the door leaves ``forward`` to compute. ``forward`` receives
    raw arrays and returns an array or a tuple of arrays; ``backward`` receives one gradient per
    output and returns one gradient (or None) per input. State needed by backward is kept on
    ``self``; parameters are set in ``__init__`` and survive ``release()``. One instance may be
    called any number of times (each call records its own node). docs/custom_ops.md shows how to
    write one.

    ``keeps_inputs = False`` declares that neither ``backward`` nor ``backward_graph`` reads the
    inputs' data (only what ``forward`` saved, and shapes): the op then holds each non-leaf input
    of more than ``KEEP_SMALL`` elements as an :class:`_Edge`, and the input's array is freed once
    no one else holds the tensor.
    ``final_backward`` is True while ``backward`` runs for the last time before ``release()``
    (no ``retain_graph``): an op may then drop a saved array as soon as it has used it.
    """

    keeps_inputs = True
    final_backward = False
    _inputs = None
    output_hooks = None  # {output index: {id: hook}}, set by Tensor.register_hook
    scope = None  # the innermost layer calling this op, recorded while a tracer watches

    def __call__(self, *inputs):
        """Run the op on Tensors (or arrays, taken as constants) and record it when a gradient
        is wanted. An instance may be called again, even while its first graph is alive: each
        later call runs on a fresh copy made from the attributes ``__init__`` set, so every call
        records its own node."""
        state = self.__dict__
        params = state.get("_init_params")
        if params is None:
            state["_init_params"] = dict(state)
            fn = self
        else:
            fn = object.__new__(type(self))
            fn.__dict__.update(params)
            fn._init_params = params
        if _tracer is not None:
            return _tracer.call(fn, inputs)
        return fn.apply(inputs)

    def apply(self, inputs):
        """The body of a call on this very instance: check, forward, wrap, record."""
        tensors = [x if isinstance(x, Tensor) or x is None else Tensor(x) for x in inputs]
        arrays = [None if t is None else t._data for t in tensors]
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
            kept, versions = [], []
            for t in tensors:
                if t is None:
                    versions.append(None)
                else:
                    t._saved += 1  # watched even as an edge: its creator may have saved it
                    if self.keeps_inputs or t.creator is None or t._data.size <= KEEP_SMALL:
                        versions.append(t._version)
                    else:
                        t = _edge_of(t)
                        versions.append(None)  # this op reads no data of it: nothing to check
                kept.append(t)
            self._inputs, self.needs_grad, self.versions = kept, needs_grad, versions
            self.outputs = [weakref.ref(o) for o in outputs]
            self.output_meta = [(y.shape, y.dtype) for y in ys]
            if _scopes:
                self.scope = _scopes[-1]
            for i, o in enumerate(outputs):
                o.requires_grad, o.creator, o._index = True, self, i
        return outputs[0] if single else tuple(outputs)

    def release(self):
        """Drop the inputs and saved arrays (a later backward through here is an error); what
        ``__init__`` set stays, so the op can still be described (and called)."""
        state = self.__dict__
        if state.get("_inputs") is not None:
            for t in state["_inputs"]:
                if type(t) is _Edge:
                    t = t.tensor()
                if t is not None:
                    t._saved -= 1
        params = state.get("_init_params") or {}
        kept = {k: state[k] for k in _KEPT if k in state}
        state.clear()
        state.update(params)
        state.update(kept)
        state["_init_params"] = params

    @property
    def inputs(self):
        """The recorded inputs (Tensors; an input that a ``keeps_inputs = False`` op did not keep
        and that is gone is its :class:`_Edge`), or None before recording and after release."""
        kept = self._inputs
        if kept is None or self.keeps_inputs:
            return kept
        return [x.resolve() if type(x) is _Edge else x for x in kept]

    def check_inputs(self, *xs):
        """Raise if the raw input arrays ``xs`` do not fit this op; by default accept them."""

    def forward(self, *xs):
        raise NotImplementedError

    def backward(self, *gys):
        raise NotImplementedError

    def backward_graph(self, *gys):
        """The gradients of the inputs, as ``backward``, but taking and returning Tensors and
        computed with tinynet ops (so they are differentiable again); used only by
        ``backward(create_graph=True)`` and ``tinynet.grad(..., create_graph=True)``. The
        inputs are ``self.inputs`` (Tensors); arrays saved by ``forward`` are constants."""
        raise RuntimeError(
            f"create_graph: {type(self).__name__} has no backward_graph, so its gradient cannot "
            f"be differentiated again (define backward_graph(self, *gys) on Tensors with "
            f"tinynet ops; see docs/higher_order.md)"
        )

"""Ops that rearrange values without computing new ones: reshape, transpose, indexing,
concat_channels, pad2d."""

import math

from ..autograd import Function, Tensor
from ..backend import get_array_module
from .layout import dense_order, in_dense_order, new_images, prefers_batch_last


class Reshape(Function):
    keeps_inputs = False

    def __init__(self, shape):
        self.shape = shape

    def check_inputs(self, x):
        known = [n for n in self.shape if n != -1]
        count, free = math.prod(known), len(self.shape) - len(known)
        if (
            free > 1
            or min(known, default=0) < 0
            or (count != x.size if free == 0 else (count == 0 or x.size % count))
        ):
            raise ValueError(
                f"reshape: cannot reshape an array of shape {x.shape} "
                f"({x.size} elements) into {self.shape}"
            )

    def forward(self, x):
        self.x_shape, self.x_order = x.shape, dense_order(x)
        return x.reshape(self.shape)

    def backward(self, gy):
        # in x's memory layout: the ops before the reshape then read gradient and saved arrays
        # in the same order (a batch-last image and a C-ordered gradient would not be)
        return in_dense_order(gy.reshape(self.x_shape), self.x_order)

    def backward_graph(self, gy):
        return reshape(gy, self.x_shape)


class Transpose(Function):
    keeps_inputs = False

    def __init__(self, axes=None):
        self.axes = axes

    def check_inputs(self, x):
        if self.axes is not None and sorted(a % max(x.ndim, 1) for a in self.axes) != list(
            range(x.ndim)
        ):
            raise ValueError(
                f"transpose: axes {tuple(self.axes)} are not a permutation for shape {x.shape}"
            )

    def forward(self, x):
        axes = tuple(reversed(range(x.ndim))) if self.axes is None else tuple(self.axes)
        self.inverse = tuple(sorted(range(x.ndim), key=lambda i: axes[i] % x.ndim))
        return x.transpose(axes)

    def backward(self, gy):
        return gy.transpose(self.inverse)

    def backward_graph(self, gy):
        return transpose(gy, self.inverse)


class GetItem(Function):
    keeps_inputs = False

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.x_shape, self.x_dtype = x.shape, x.dtype
        try:
            return x[self.index]
        except IndexError as e:
            raise IndexError(
                f"getitem: index {self.index!r} does not fit a tensor of shape {x.shape}: {e}"
            ) from None

    def backward(self, gy):
        return _scatter(gy, self.index, self.x_shape, self.x_dtype)

    def backward_graph(self, gy):
        return ScatterAdd(self.index, self.x_shape)(gy)


def _scatter(gy, index, shape, dtype):
    """zeros(shape)[index] += gy, repeated elements of a fancy index summed."""
    xp = get_array_module(gy)
    gx = xp.zeros(shape, dtype)
    if _is_basic_index(index):
        gx[index] = gy
    elif xp.__name__ == "cupy":  # fancy indices may repeat an element: accumulate
        import cupyx

        cupyx.scatter_add(gx, index, gy)
    else:
        xp.add.at(gx, index, gy)
    return gx


class ScatterAdd(Function):
    """g -> zeros(shape) with g summed in at ``index``: the adjoint of indexing (GetItem's
    gradient, as an op so that it can be differentiated again: its gradient is indexing)."""

    keeps_inputs = False

    def __init__(self, index, shape):
        self.index, self.shape = index, shape

    def forward(self, g):
        return _scatter(g, self.index, self.shape, g.dtype)

    def backward(self, gy):
        return gy[self.index]

    def backward_graph(self, gy):
        return GetItem(self.index)(gy)


def _raw_index(index):
    """An index with any Tensor in it replaced by its array (indices carry no gradient)."""
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index.data if isinstance(index, Tensor) else index


def _is_basic_index(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, slice)) or i is None or i is Ellipsis for i in items)


class ConcatChannels(Function):
    """a (N, Ca, *S) and b (N, Cb, *S) -> (N, Ca + Cb, *S), joined along axis 1 (channels-first:
    S is (H, W) for images, () for feature rows). The backward splits the gradient at Ca."""

    keeps_inputs = False

    def check_inputs(self, a, b):
        if a.ndim < 2 or a.ndim != b.ndim or a.shape[0] != b.shape[0] or a.shape[2:] != b.shape[2:]:
            raise ValueError(
                f"concat_channels: expected (N, Ca, ...) and (N, Cb, ...) with the "
                f"same N and trailing dimensions, got shapes {a.shape} and {b.shape}"
            )
        if a.dtype != b.dtype:
            raise TypeError(
                f"concat_channels: dtypes differ ({a.dtype} and {b.dtype}); convert "
                f"one explicitly (ops never change dtype silently)"
            )

    def forward(self, a, b):
        self.split = a.shape[1]
        return get_array_module(a, b).concatenate([a, b], axis=1)

    def backward(self, gy):
        return gy[:, : self.split], gy[:, self.split :]

    def backward_graph(self, gy):
        return gy[:, : self.split], gy[:, self.split :]


class Pad2d(Function):
    """(N, C, H, W) -> (N, C, top + H + bottom, left + W + right), filled with ``value``.
    The result is in the memory layout conv2d reads (batch-last on NumPy)."""

    keeps_inputs = False

    def __init__(self, pads, value=0.0):
        (self.top, self.bottom), (self.left, self.right) = pads
        self.value = value

    def check_inputs(self, x):
        if x.ndim != 4:
            raise ValueError(f"pad2d: x must be (N, C, H, W), got shape {x.shape}")

    def forward(self, x):
        N, C, H, W = x.shape
        shape = (N, C, self.top + H + self.bottom, self.left + W + self.right)
        out = new_images(
            get_array_module(x),
            shape,
            x.dtype,
            prefers_batch_last(x),
            fill=x.dtype.type(self.value),
        )
        out[:, :, self.top : self.top + H, self.left : self.left + W] = x
        self.hw = H, W
        return out

    def backward(self, gy):
        H, W = self.hw
        return gy[:, :, self.top : self.top + H, self.left : self.left + W]

    def backward_graph(self, gy):
        H, W = self.hw
        return gy[:, :, self.top : self.top + H, self.left : self.left + W]


class Concat(Function):
    """Arrays of one dtype, equal but along ``axis``, joined along it; the backward slices."""

    keeps_inputs = False

    def __init__(self, axis=0):
        self.axis = axis

    def check_inputs(self, *xs):
        shapes = [x.shape for x in xs]
        if not xs or any(
            x.ndim != xs[0].ndim or x.shape[:a] + x.shape[a + 1 :] != rest
            for x in xs
            for a in [self.axis % max(xs[0].ndim, 1)]
            for rest in [xs[0].shape[:a] + xs[0].shape[a + 1 :]]
        ):
            raise ValueError(f"concat: shapes {shapes} differ off axis {self.axis}")
        if len({x.dtype for x in xs}) > 1:
            raise TypeError(f"concat: dtypes differ: {[str(x.dtype) for x in xs]}")

    def forward(self, *xs):
        self.axis %= xs[0].ndim
        self.sizes = [x.shape[self.axis] for x in xs]
        return get_array_module(*xs).concatenate(xs, axis=self.axis)

    def _pieces(self, gy):
        lead, start, out = (slice(None),) * self.axis, 0, []
        for n in self.sizes:
            out.append(gy[lead + (slice(start, start + n),)])
            start += n
        return tuple(out)

    def backward(self, gy):
        return self._pieces(gy)

    def backward_graph(self, gy):
        return self._pieces(gy)


def concat(xs, axis=0):
    """Tensors (or arrays) joined along ``axis``, differentiable in each."""
    return Concat(axis)(*xs)


def reshape(x, *shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return Reshape(shape)(x)


def transpose(x, *axes):
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    return Transpose(axes or None)(x)


def getitem(x, index):
    """x[index] for basic and fancy indices (a Tensor in the index is used as its array)."""
    return GetItem(_raw_index(index))(x)


def concat_channels(a, b):
    """Tensors or arrays a (N, Ca, ...), b (N, Cb, ...) -> Tensor (N, Ca + Cb, ...),
    differentiable in both (e.g. images and label planes for a conditional discriminator)."""
    return ConcatChannels()(a, b)


def pad2d(x, pads, value=0.0):
    """Pad Tensor x (N, C, H, W) by pads ((top, bottom), (left, right))."""
    return Pad2d(pads, value)(x)

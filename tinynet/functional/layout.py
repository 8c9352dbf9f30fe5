"""Memory layouts of image batches behind the channels-first (N, C, H, W) API.

On NumPy, convolution and pooling keep images **batch-last**, (C, H, W, N) in memory: a window
slice ``x[:, :, i:i + oh, j:j + ow]`` then reads runs of ow * N contiguous numbers instead of
rows of ow, so the slice loops of im2col, col2im and pooling cost a few long copies rather than
N * C * oh short ones. The CuPy kernels use (C, N, H, W) memory. Either way the arrays the ops
return are (N, C, H, W) views; elementwise ops preserve the memory order (``order="K"``).
"""

import numpy as np

from ..backend import dense_order as dense_order  # re-exported: the layouts' vocabulary
from ..backend import get_array_module, is_gpu_array, uniform
from ..backend import memory_order as memory_order


def prefers_batch_last(a):
    """The layout conv2d and its friends make for ``a``'s backend: batch-last on NumPy."""
    return not is_gpu_array(a)


def is_batch_last(a):
    """True when the batch axis of the (N, C, H, W) array ``a`` is innermost in memory."""
    return a.ndim == 4 and a.shape[0] > 1 and a.strides[0] == a.itemsize


def empty_in_order(xp, shape, dtype, order):
    """An uninitialised array of ``shape`` whose axes lie in memory in ``order`` (outermost
    first, e.g. from :func:`memory_order`)."""
    mem = xp.empty(tuple(shape[k] for k in order), dtype=dtype)
    return mem.transpose(tuple(int(k) for k in np.argsort(order)))


def in_dense_order(a, order):
    """``a`` itself if its :func:`dense_order` is ``order`` (None: any), else a copy laid out in
    that order: how a gradient takes the memory layout of the array it is the gradient of."""
    if order is None or dense_order(a) == order:
        return a
    full = order + tuple(k for k in range(a.ndim) if k not in order)
    out = empty_in_order(get_array_module(a), a.shape, a.dtype, full)
    out[...] = a
    return out


def copy_like(a, like):
    """a's values in a new array laid out in memory like ``like`` (same shape)."""
    out = get_array_module(a).empty_like(like, dtype=a.dtype)
    out[...] = a
    return out


def new_images(xp, shape, dtype, batch_last, fill=None):
    """An (N, C, H, W) array in (C, H, W, N) memory if ``batch_last``, else (C, N, H, W);
    uninitialised unless ``fill`` is given."""
    N, C, H, W = shape
    make = xp.zeros if fill is not None and fill == 0 else xp.empty
    if batch_last:
        a = make((C, H, W, N), dtype=dtype).transpose(3, 0, 1, 2)
    else:
        a = make((C, N, H, W), dtype=dtype).transpose(1, 0, 2, 3)
    if fill is not None and fill != 0:
        a[...] = fill
    return a


def to_columns(a, batch_last):
    """(N, C, H, W) -> the (C, N*H*W) matrix a GEMM reads, columns ordered (h, w, n) if
    ``batch_last``, else (n, h, w); a view when ``a`` is laid out that way."""
    if batch_last:
        return a.transpose(1, 2, 3, 0).reshape(a.shape[1], -1)
    return a.transpose(1, 0, 2, 3).reshape(a.shape[1], -1)


def from_columns(m, N, H, W, batch_last):
    """The inverse of :func:`to_columns`: (C, N*H*W) -> an (N, C, H, W) view."""
    C = m.shape[0]
    if batch_last:
        return m.reshape(C, H, W, N).transpose(3, 0, 1, 2)
    return m.reshape(C, N, H, W).transpose(1, 0, 2, 3)


def uniform_like(a):
    """Uniform [0, 1) samples of ``a``'s shape and dtype, laid out in ``a``'s memory order (so an
    elementwise product with ``a`` walks both arrays contiguously)."""
    order = memory_order(a)
    back = tuple(int(k) for k in np.argsort(order))  # back[0]: where the batch axis 0 lies
    u = uniform(get_array_module(a), tuple(a.shape[k] for k in order), a.dtype, back[0])
    return u.transpose(back)


def channel_rows(x):
    """For (N, C) or (N, C, H, W) arrays laid out like x: (to_rows, from_rows), where
    ``to_rows(a)`` is the (C, M) matrix of each channel's values, its columns in one fixed order,
    and ``from_rows`` maps a (C, M) result back to an array of x's shape. For x itself both are
    views when the channel axis is outermost in memory and x is not a crop (conv outputs on
    either backend); from_rows keeps x's memory order whenever its channel axis is outermost.
    Otherwise (and for an array laid out differently) ``to_rows`` copies."""
    C, order = x.shape[1], memory_order(x)
    if not (x.ndim == 4 and order[0] == 1):  # else: columns in memory order, even if x is a crop
        order = (1,) + tuple(k for k in range(x.ndim) if k != 1)
    shape = tuple(x.shape[k] for k in order)
    back = tuple(int(k) for k in np.argsort(order))
    return (lambda a: a.transpose(order).reshape(C, -1), lambda r: r.reshape(shape).transpose(back))


def sum_axes(a, axes):
    """``a.sum(axis=axes, keepdims=True)`` as one matrix-vector product when the summed axes are
    one block of a's memory order (a contiguous in some order, a float dtype): NumPy's
    reductions run their inner loop over the innermost axis, a handful of cells long in the
    batch-last layout, while a GEMV reads the block at memory speed. A matrix's row sums are one
    GEMV whatever its strides (BLAS takes any row or column stride). Otherwise NumPy's sum."""
    axes = tuple(sorted(axes))
    if not axes or a.dtype.kind != "f" or a.size == 0:
        return a.sum(axis=axes, keepdims=True)
    if a.ndim == 2 and axes == (1,):
        return (a @ get_array_module(a).ones(a.shape[1], dtype=a.dtype))[:, None]
    order = memory_order(a)
    mem = a.transpose(order)
    where = [order.index(k) for k in axes]
    lo, hi = min(where), max(where) + 1
    if hi - lo != len(axes) or not mem.flags.c_contiguous:
        return a.sum(axis=axes, keepdims=True)
    xp = get_array_module(a)
    outer = int(np.prod(mem.shape[:lo], dtype=np.int64))
    red = int(np.prod(mem.shape[lo:hi], dtype=np.int64))
    inner = int(np.prod(mem.shape[hi:], dtype=np.int64))
    ones = xp.ones(red, dtype=a.dtype)
    if inner == 1:
        s = mem.reshape(outer, red) @ ones
    else:
        s = xp.matmul(ones, mem.reshape(outer, red, inner))  # (outer, inner)
    kept = mem.shape[:lo] + (1,) * (hi - lo) + mem.shape[hi:]
    return s.reshape(kept).transpose(tuple(int(k) for k in np.argsort(order)))

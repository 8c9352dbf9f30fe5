"""Elementwise arithmetic, matmul, reductions and shape ops; installs Tensor's operators.

Binary ops follow NumPy broadcasting; their backward sums each gradient back to its input's shape.
A Python scalar operand takes the dtype of the tensor it meets, so float32 stays float32.
"""
import builtins
import operator

from ..autograd import Function, Tensor
from ..backend import get_array_module


def unbroadcast(g, shape):
    """Sum ``g`` over the axes that broadcasting added or stretched, giving an array of ``shape``."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(i + extra for i, n in enumerate(shape)
                                       if n == 1 and g.shape[i + extra] != 1)
    g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def _broadcast_shapes(op, a, b):
    try:
        return get_array_module(a, b).broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast together") from None


def _same_float_dtype(op, a, b):
    """(a, b) with an integer or bool operand cast to the other's floating dtype; two different
    floating dtypes are an error: ops never change dtype silently."""
    fa, fb = a.dtype.kind == "f", b.dtype.kind == "f"
    if fa and fb and a.dtype != b.dtype:
        raise TypeError(f"{op}: operands have dtypes {a.dtype} and {b.dtype}; convert one "
                        f"explicitly (ops never change dtype silently)")
    if fa and not fb:
        b = b.astype(a.dtype)
    elif fb and not fa:
        a = a.astype(b.dtype)
    return a, b


class _Binary(Function):
    def forward(self, a, b):
        a, b = _same_float_dtype(type(self).__name__, a, b)
        if a.shape != b.shape:
            _broadcast_shapes(type(self).__name__, a, b)
        self.a_shape, self.b_shape = a.shape, b.shape
        return self.compute(a, b)


class Add(_Binary):
    def compute(self, a, b):
        return a + b

    def backward(self, gy):
        return unbroadcast(gy, self.a_shape), unbroadcast(gy, self.b_shape)


class Sub(_Binary):
    def compute(self, a, b):
        return a - b

    def backward(self, gy):
        return unbroadcast(gy, self.a_shape), unbroadcast(-gy, self.b_shape)


class Mul(_Binary):
    def compute(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, gy):
        ga = unbroadcast(gy * self.b, self.a_shape) if self.needs_grad[0] else None
        gb = unbroadcast(gy * self.a, self.b_shape) if self.needs_grad[1] else None
        return ga, gb


class Div(_Binary):
    def compute(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, gy):
        ga = gy / self.b
        gb = unbroadcast(-ga * self.a / self.b, self.b_shape) if self.needs_grad[1] else None
        return unbroadcast(ga, self.a_shape), gb


class Pow(_Binary):
    """a ** b, elementwise; the gradient for b needs a > 0 where it is used."""

    def compute(self, a, b):
        self.a, self.b = a, b
        self.y = a ** b
        return self.y

    def backward(self, gy):
        xp = get_array_module(gy)
        ga = gb = None
        if self.needs_grad[0]:
            ga = unbroadcast(gy * self.b * self.a ** (self.b - 1), self.a_shape)
        if self.needs_grad[1]:
            gb = unbroadcast(gy * self.y * xp.log(xp.where(self.a > 0, self.a, 1)), self.b_shape)
        return ga, gb


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class Exp(Function):
    def forward(self, x):
        self.y = get_array_module(x).exp(x)
        return self.y

    def backward(self, gy):
        return gy * self.y


class Log(Function):
    def forward(self, x):
        self.x = x
        return get_array_module(x).log(x)

    def backward(self, gy):
        return gy / self.x


class MatMul(Function):
    """a (..., n, k) @ b (..., k, m); 1-D operands as in NumPy."""

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: operands must have at least 1 dimension, got shapes "
                             f"{a.shape} and {b.shape}")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ValueError(f"matmul: inner dimensions differ: {a.shape} @ {b.shape}")
        self.a, self.b = _same_float_dtype("matmul", a, b)
        return self.a @ self.b

    def backward(self, gy):
        xp = get_array_module(gy)
        if self.a.ndim == 1 and self.b.ndim == 1:  # a dot product: gy is a scalar
            return gy * self.b, gy * self.a
        a = self.a[None, :] if self.a.ndim == 1 else self.a
        b = self.b[:, None] if self.b.ndim == 1 else self.b
        if self.a.ndim == 1:
            gy = xp.expand_dims(gy, -2)
        if self.b.ndim == 1:
            gy = xp.expand_dims(gy, -1)
        ga = gy @ xp.swapaxes(b, -1, -2)
        gb = xp.swapaxes(a, -1, -2) @ gy
        ga = unbroadcast(ga, a.shape).reshape(self.a.shape)
        gb = unbroadcast(gb, b.shape).reshape(self.b.shape)
        return ga, gb


def normalize_axis(axis, shape, op="reduction"):
    """``axis`` (None, an int or a tuple of ints) of an array of ``shape`` as a tuple of axes in
    [0, ndim); a ValueError naming ``op``, the axis and the shape otherwise."""
    ndim = len(shape)
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    result = []
    for a in axes:
        try:
            a = operator.index(a)
        except TypeError:
            raise ValueError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}") from None
        if not -ndim <= a < ndim:
            raise ValueError(f"{op}: axis {axis!r} is out of range for x of shape {tuple(shape)} "
                             f"({ndim} dimensions)")
        result.append(a % ndim)
    return tuple(result)


def _expand_reduced(g, shape, axes):
    """Reshape a reduced gradient so it broadcasts against the input of ``shape``."""
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
    return g.reshape(kept)


class Sum(Function):
    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.shape = x.shape
        self.axes = normalize_axis(self.axis, x.shape, type(self).__name__.lower())
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        xp = get_array_module(gy)
        return xp.broadcast_to(_expand_reduced(gy, self.shape, self.axes), self.shape)


class Mean(Sum):
    def forward(self, x):
        y = super().forward(x)
        self.count = x.size // builtins.max(y.size, 1) if x.size else 0
        return y / x.dtype.type(builtins.max(self.count, 1))

    def backward(self, gy):
        return super().backward(gy / gy.dtype.type(builtins.max(self.count, 1)))


class Max(Function):
    """Maximum over ``axis``; the gradient is shared equally among tied maxima."""

    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.x = x
        self.axes = normalize_axis(self.axis, x.shape, "max")
        self.y = x.max(axis=self.axes, keepdims=True)
        return self.y if self.keepdims else self.y.reshape(
            tuple(n for i, n in enumerate(x.shape) if i not in self.axes))

    def backward(self, gy):
        mask = (self.x == self.y).astype(gy.dtype)
        mask /= mask.sum(axis=self.axes, keepdims=True)
        return mask * _expand_reduced(gy, self.x.shape, self.axes)


class Reshape(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        try:
            return x.reshape(self.shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape an array of shape {x.shape} "
                             f"({x.size} elements) into {self.shape}") from None

    def backward(self, gy):
        return gy.reshape(self.x_shape)


class Transpose(Function):
    def __init__(self, axes=None):
        self.axes = axes

    def forward(self, x):
        axes = tuple(reversed(range(x.ndim))) if self.axes is None else tuple(self.axes)
        if sorted(a % x.ndim for a in axes) != list(range(x.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation for shape {x.shape}")
        self.inverse = tuple(sorted(range(x.ndim), key=lambda i: axes[i] % x.ndim))
        return x.transpose(axes)

    def backward(self, gy):
        return gy.transpose(self.inverse)


class GetItem(Function):
    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.x_shape, self.x_dtype = x.shape, x.dtype
        try:
            return x[self.index]
        except IndexError as e:
            raise IndexError(f"getitem: index {self.index!r} does not fit a tensor of shape "
                             f"{x.shape}: {e}") from None

    def backward(self, gy):
        xp = get_array_module(gy)
        gx = xp.zeros(self.x_shape, self.x_dtype)
        if _is_basic_index(self.index):
            gx[self.index] = gy
        elif xp.__name__ == "cupy":  # fancy indices may repeat an element: accumulate
            import cupyx
            cupyx.scatter_add(gx, self.index, gy)
        else:
            xp.add.at(gx, self.index, gy)
        return gx


def _raw_index(index):
    """An index with any Tensor in it replaced by its array (indices carry no gradient)."""
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index.data if isinstance(index, Tensor) else index


def _is_basic_index(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, slice)) or i is None or i is Ellipsis for i in items)


# ----- functional spellings -----
def _pair(a, b):
    """Wrap a Python scalar operand in an array of the other operand's dtype."""
    if isinstance(a, Tensor) and not isinstance(b, Tensor):
        b = _scalar_like(b, a.data)
    elif isinstance(b, Tensor) and not isinstance(a, Tensor):
        a = _scalar_like(a, b.data)
    return a, b


def _scalar_like(value, like):
    """A constant operand (Python number, list or array) in the dtype of the tensor it meets,
    when that tensor is floating point: constants never change a tensor's dtype."""
    xp = get_array_module(like)
    if like.dtype.kind == "f":
        if isinstance(value, (int, float, bool)) or not hasattr(value, "dtype"):
            return xp.asarray(value, dtype=like.dtype)
        if value.dtype != like.dtype and value.dtype.kind in "fiub":
            return value.astype(like.dtype)
        return value
    return value if hasattr(value, "shape") else xp.asarray(value)


def add(a, b):
    return Add()(*_pair(a, b))


def sub(a, b):
    return Sub()(*_pair(a, b))


def mul(a, b):
    return Mul()(*_pair(a, b))


def div(a, b):
    return Div()(*_pair(a, b))


def pow(a, b):
    return Pow()(*_pair(a, b))


def neg(x):
    return Neg()(x)


def exp(x):
    return Exp()(x)


def log(x):
    return Log()(x)


def matmul(a, b):
    return MatMul()(*_pair(a, b))


def sum(x, axis=None, keepdims=False):
    return Sum(axis, keepdims)(x)


def mean(x, axis=None, keepdims=False):
    return Mean(axis, keepdims)(x)


def max(x, axis=None, keepdims=False):
    return Max(axis, keepdims)(x)


def reshape(x, *shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return Reshape(shape)(x)


def transpose(x, *axes):
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    return Transpose(axes or None)(x)


def _install_operators():
    T = Tensor
    T.__add__ = add
    T.__radd__ = lambda self, other: add(other, self)
    T.__sub__ = sub
    T.__rsub__ = lambda self, other: sub(other, self)
    T.__mul__ = mul
    T.__rmul__ = lambda self, other: mul(other, self)
    T.__truediv__ = div
    T.__rtruediv__ = lambda self, other: div(other, self)
    T.__pow__ = pow
    T.__rpow__ = lambda self, other: pow(other, self)
    T.__matmul__ = matmul
    T.__rmatmul__ = lambda self, other: matmul(other, self)
    T.__neg__ = neg
    T.__getitem__ = lambda self, index: GetItem(_raw_index(index))(self)
    T.reshape = reshape
    T.transpose = transpose
    T.T = property(lambda self: Transpose(None)(self))
    T.sum = sum
    T.mean = mean
    T.max = max
    T.exp = exp
    T.log = log


_install_operators()

"""Elementwise arithmetic and matmul: add, sub, mul, div, pow, neg, exp, log, clip, matmul.

Binary ops follow NumPy broadcasting; their backward sums each gradient back to its input's shape.
A Python scalar operand takes the dtype of the tensor it meets, so float32 stays float32.

Each op's ``backward_graph`` is its backward written with these ops on Tensors (for
``create_graph``); gradients are summed back to an input's shape by :func:`.reduction.sum_to`.
"""

from .. import threads
from ..autograd import Function, Tensor
from ..backend import get_array_module
from .layout import sum_axes
from .reduction import sum_to


def unbroadcast(g, shape):
    """Sum ``g`` over the axes that broadcasting added or stretched: an array of ``shape``."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and g.shape[i + extra] != 1
    )
    return sum_axes(g, axes).reshape(shape)


def _broadcast_shapes(op, a, b):
    try:
        return get_array_module(a, b).broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast together"
        ) from None


def _check_float_dtypes(op, a, b):
    """Two different floating dtypes are an error: ops never change dtype silently."""
    if a.dtype.kind == "f" and b.dtype.kind == "f" and a.dtype != b.dtype:
        raise TypeError(
            f"{op}: operands have dtypes {a.dtype} and {b.dtype}; convert one "
            f"explicitly (ops never change dtype silently)"
        )


def _same_float_dtype(a, b):
    """(a, b) with an integer or bool operand cast to the other's floating dtype."""
    fa, fb = a.dtype.kind == "f", b.dtype.kind == "f"
    if fa and not fb:
        b = b.astype(a.dtype)
    elif fb and not fa:
        a = a.astype(b.dtype)
    return a, b


def _elementwise(ufunc, a, b):
    """ufunc(a, b), the result laid out like the operand of the result's shape when the other
    one is broadcast (NumPy's order="K" falls back to C order when layouts differ, which would
    make the next convolution copy its input back into the engine's layout)."""
    if a.shape != b.shape:
        shape = get_array_module(a, b).broadcast_shapes(a.shape, b.shape)
        full = a if a.shape == shape else b if b.shape == shape else None
        if full is not None and full.ndim > 1 and not full.flags.c_contiguous:
            return ufunc(a, b, out=get_array_module(full).empty_like(full))
    return ufunc(a, b)


class _Binary(Function):
    def check_inputs(self, a, b):
        _check_float_dtypes(type(self).__name__, a, b)
        if a.shape != b.shape:
            _broadcast_shapes(type(self).__name__, a, b)

    def forward(self, a, b):
        a, b = _same_float_dtype(a, b)
        self.a_shape, self.b_shape = a.shape, b.shape
        return self.compute(a, b)


class Add(_Binary):
    keeps_inputs = False

    def compute(self, a, b):
        return _elementwise(get_array_module(a, b).add, a, b)

    def backward(self, gy):
        return unbroadcast(gy, self.a_shape), unbroadcast(gy, self.b_shape)

    def backward_graph(self, gy):
        ng = self.needs_grad
        return (sum_to(gy, self.a_shape) if ng[0] else None), (
            sum_to(gy, self.b_shape) if ng[1] else None
        )


class Sub(_Binary):
    keeps_inputs = False

    def compute(self, a, b):
        return _elementwise(get_array_module(a, b).subtract, a, b)

    def backward(self, gy):
        return unbroadcast(gy, self.a_shape), unbroadcast(-gy, self.b_shape)

    def backward_graph(self, gy):
        ng = self.needs_grad
        return (sum_to(gy, self.a_shape) if ng[0] else None), (
            sum_to(-gy, self.b_shape) if ng[1] else None
        )


class Mul(_Binary):
    def compute(self, a, b):
        self.a, self.b = a, b
        return _elementwise(get_array_module(a, b).multiply, a, b)

    def backward(self, gy):
        ga = unbroadcast(gy * self.b, self.a_shape) if self.needs_grad[0] else None
        gb = unbroadcast(gy * self.a, self.b_shape) if self.needs_grad[1] else None
        return ga, gb

    def backward_graph(self, gy):
        a, b = self.inputs
        ga = sum_to(gy * b, self.a_shape) if self.needs_grad[0] else None
        gb = sum_to(gy * a, self.b_shape) if self.needs_grad[1] else None
        return ga, gb


class Div(_Binary):
    def compute(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, gy):
        ga = gy / self.b
        gb = unbroadcast(-ga * self.a / self.b, self.b_shape) if self.needs_grad[1] else None
        return unbroadcast(ga, self.a_shape), gb

    def backward_graph(self, gy):
        a, b = self.inputs
        ga = gy / b
        gb = sum_to(-ga * a / b, self.b_shape) if self.needs_grad[1] else None
        return (sum_to(ga, self.a_shape) if self.needs_grad[0] else None), gb


class Pow(_Binary):
    """a ** b, elementwise; the gradient for b needs a > 0 where it is used."""

    def compute(self, a, b):
        self.a, self.b = a, b
        self.y = a**b
        return self.y

    def backward(self, gy):
        xp = get_array_module(gy)
        ga = gb = None
        if self.needs_grad[0]:
            ga = unbroadcast(gy * self.b * self.a ** (self.b - 1), self.a_shape)
        if self.needs_grad[1]:
            gb = unbroadcast(gy * self.y * xp.log(xp.where(self.a > 0, self.a, 1)), self.b_shape)
        return ga, gb

    def backward_graph(self, gy):
        a, b = self.inputs
        ga = gb = None
        if self.needs_grad[0]:
            ga = sum_to(gy * b * a ** (b - 1), self.a_shape)
        if self.needs_grad[1]:
            positive = (self.a > 0).astype(gy.dtype)
            safe = a * positive + (1 - positive)  # a where a > 0, else 1 (log's argument)
            gb = sum_to(gy * a**b * log(safe), self.b_shape)
        return ga, gb


class Neg(Function):
    keeps_inputs = False

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy

    def backward_graph(self, gy):
        return -gy


class Exp(Function):
    def forward(self, x):
        self.y = get_array_module(x).exp(x)
        return self.y

    def backward(self, gy):
        return gy * self.y

    def backward_graph(self, gy):
        return gy * exp(self.inputs[0])


class Log(Function):
    def forward(self, x):
        self.x = x
        return get_array_module(x).log(x)

    def backward(self, gy):
        return gy / self.x

    def backward_graph(self, gy):
        return gy / self.inputs[0]


class Clip(Function):
    """x clipped to [lo, hi]; the gradient passes only strictly inside (lo, hi) (zero at and
    beyond the bounds, as the probability clip of Keras's cross-entropies)."""

    keeps_inputs = False

    def __init__(self, lo, hi):
        if not lo <= hi:
            raise ValueError(f"clip: expected lo <= hi, got lo={lo!r}, hi={hi!r}")
        self.lo, self.hi = lo, hi

    def forward(self, x):
        lo, hi = x.dtype.type(self.lo), x.dtype.type(self.hi)
        self.inside = (x > lo) & (x < hi)
        return get_array_module(x).clip(x, lo, hi)

    def backward(self, gy):
        return gy * self.inside

    def backward_graph(self, gy):
        return gy * self.inside


class MatMul(Function):
    """a (..., n, k) @ b (..., k, m); 1-D operands as in NumPy."""

    def check_inputs(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(
                f"matmul: operands must have at least 1 dimension, got shapes "
                f"{a.shape} and {b.shape}"
            )
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ValueError(f"matmul: inner dimensions differ: {a.shape} @ {b.shape}")
        _check_float_dtypes("matmul", a, b)

    def forward(self, a, b):
        self.a, self.b = _same_float_dtype(a, b)
        return threads.matmul(self.a, self.b)  # 2-D NumPy operands: on both cores when split

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
        ga = threads.matmul(gy, xp.swapaxes(b, -1, -2))
        gb = threads.matmul(xp.swapaxes(a, -1, -2), gy)
        ga = unbroadcast(ga, a.shape).reshape(self.a.shape)
        gb = unbroadcast(gb, b.shape).reshape(self.b.shape)
        return ga, gb

    def backward_graph(self, gy):
        from .shape import transpose

        a, b = self.inputs
        if a.ndim == 1 and b.ndim == 1:
            return gy * b, gy * a
        a2 = a.reshape(1, -1) if a.ndim == 1 else a
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b
        if a.ndim == 1:
            gy = gy.reshape(gy.shape[:-1] + (1,) + gy.shape[-1:])
        if b.ndim == 1:
            gy = gy.reshape(gy.shape + (1,))

        def swap(t):
            return transpose(t, tuple(range(t.ndim - 2)) + (t.ndim - 1, t.ndim - 2))

        ga = sum_to(gy @ swap(b2), a2.shape).reshape(a.shape) if self.needs_grad[0] else None
        gb = sum_to(swap(a2) @ gy, b2.shape).reshape(b.shape) if self.needs_grad[1] else None
        return ga, gb


def _operands(a, b):
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
    return Add()(*_operands(a, b))


def sub(a, b):
    return Sub()(*_operands(a, b))


def mul(a, b):
    return Mul()(*_operands(a, b))


def div(a, b):
    return Div()(*_operands(a, b))


def pow(a, b):
    return Pow()(*_operands(a, b))


def neg(x):
    return Neg()(x)


def exp(x):
    return Exp()(x)


def log(x):
    return Log()(x)


def clip(x, lo, hi):
    """x of any shape clipped to [lo, hi] (Python numbers, taken in x's dtype)."""
    return Clip(lo, hi)(x)


def matmul(a, b):
    return MatMul()(*_operands(a, b))

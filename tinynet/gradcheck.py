"""Numerical gradient checking: compare backward() with central finite differences.

    from tinynet.gradcheck import check_grad
    check_grad(lambda x, w: F.conv2d(x, w, stride=2), [x, w])   # float64 Tensors or arrays

A random upstream gradient ``gy`` is drawn, so a backward that ignores its incoming gradient is
caught. The scalar probed is ``sum(fn(*inputs) * gy)``; its derivative in each input element is
estimated by (f(x + eps) - f(x - eps)) / (2 eps).
"""

import numpy

from .autograd import Tensor
from .backend import asnumpy, get_array_module


class GradcheckError(AssertionError):
    """backward() disagrees with the finite differences; the message names input and element."""


def _as_tensor(i, x):
    t = x if isinstance(x, Tensor) else Tensor(x)
    if t.dtype != numpy.float64:
        raise TypeError(
            f"check_grad: input {i} has dtype {t.dtype}; gradient checks need float64 "
            f"(e.g. Tensor(array.astype('float64'), requires_grad=True))"
        )
    return Tensor(t.data.copy(), requires_grad=True, name=t.name)


def numerical_grad(fn, tensors, gy, index, eps):
    """Central-difference gradient of sum(fn(*tensors) * gy) in tensors[index]."""
    x = tensors[index].data
    grad = numpy.zeros(x.shape, dtype=numpy.float64)
    flat = x.reshape(-1)  # a view: x is a fresh contiguous copy
    for k in range(flat.size):
        orig = flat[k].item()
        flat[k] = orig + eps
        f_plus = float((fn(*tensors).data * gy).sum())
        flat[k] = orig - eps
        f_minus = float((fn(*tensors).data * gy).sum())
        flat[k] = orig
        grad.reshape(-1)[k] = (f_plus - f_minus) / (2 * eps)
    return grad


def check_grad(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Raise GradcheckError unless backward agrees with finite differences for every input.

    fn: maps Tensors to one Tensor. inputs: float64 Tensors or arrays (copied; not modified).
    An element passes when |analytic - numeric| <= atol + rtol * |numeric|.
    Returns the list of analytic gradients (raw arrays) on success.
    """
    tensors = [_as_tensor(i, x) for i, x in enumerate(inputs)]
    y = fn(*tensors)
    if not isinstance(y, Tensor):
        raise TypeError(f"check_grad: fn must return a Tensor, got {type(y).__name__}")
    if y.dtype != numpy.float64:
        raise GradcheckError(
            f"check_grad: fn returned dtype {y.dtype}; a float64 check needs "
            f"float64 all the way through"
        )
    xp = get_array_module(y.data)
    gy = numpy.random.default_rng(seed).standard_normal(y.shape)
    y.backward(xp.asarray(gy, dtype=y.dtype))
    analytic = [t.grad for t in tensors]
    with_no_graph = [Tensor(t.data, requires_grad=False) for t in tensors]
    for i, t in enumerate(with_no_graph):
        a = numpy.zeros(t.shape) if analytic[i] is None else asnumpy(analytic[i])
        if a.shape != t.shape:
            raise GradcheckError(f"input {i}: gradient has shape {a.shape}, expected {t.shape}")
        if a.dtype != numpy.float64:
            raise GradcheckError(f"input {i}: gradient has dtype {a.dtype}, expected float64")
        n = numerical_grad(fn, with_no_graph, xp.asarray(gy), i, eps)
        err = numpy.abs(a - n) - (atol + rtol * numpy.abs(n))
        err = numpy.where(numpy.isnan(err), numpy.inf, err)  # a NaN gradient never passes
        if err.size and err.max() > 0:
            worst = numpy.unravel_index(int(err.argmax()), err.shape)
            name = f" ({tensors[i].name})" if tensors[i].name else ""
            raise GradcheckError(
                f"input {i}{name} of shape {t.shape}: at element {tuple(int(k) for k in worst)} "
                f"backward gives {a[worst]:.8g} but finite differences give {n[worst]:.8g} "
                f"(atol={atol}, rtol={rtol}; {int((err > 0).sum())} of {err.size} elements differ)"
            )
    return analytic

"""Numerical gradient checking: compare backward() with central finite differences.

    from tinynet.gradcheck import check_grad
    check_grad(lambda x, w: F.conv2d(x, w, stride=2), [x, w])   # float64 Tensors or arrays

A random upstream gradient ``gy`` is drawn, so a backward that ignores its incoming gradient is
caught. The scalar probed is ``sum(fn(*inputs) * gy)``; its derivative in each input element is
estimated by (f(x + eps) - f(x - eps)) / (2 eps).

:func:`check_gradgrad` does the same one order up (PyTorch's gradgradcheck): the gradient of
``<grad(fn), v>`` for a random v, through each op's ``backward_graph``, against central
differences of the first-order gradient.
"""

import numpy

from .autograd import Tensor
from .backend import asnumpy, get_array_module


class GradcheckError(AssertionError):
    """backward() disagrees with the finite differences; the message names input and element."""


def _as_tensor(i, x, op="check_grad"):
    t = x if isinstance(x, Tensor) else Tensor(x)
    if t.dtype != numpy.float64:
        raise TypeError(
            f"{op}: input {i} has dtype {t.dtype}; gradient checks need float64 "
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


def _float64_output(fn, tensors, who):
    """fn(*tensors), checked to be a float64 Tensor."""
    y = fn(*tensors)
    if not isinstance(y, Tensor):
        raise TypeError(f"{who}: fn must return a Tensor, got {type(y).__name__}")
    if y.dtype != numpy.float64:
        raise GradcheckError(
            f"{who}: fn returned dtype {y.dtype}; a float64 check needs float64 all the way through"
        )
    return y


def check_grad(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Raise GradcheckError unless backward agrees with finite differences for every input.

    fn: maps Tensors to one Tensor. inputs: float64 Tensors or arrays (copied; not modified).
    An element passes when |analytic - numeric| <= atol + rtol * |numeric|.
    Returns the list of analytic gradients (raw arrays) on success.
    """
    tensors = [_as_tensor(i, x) for i, x in enumerate(inputs)]
    y = _float64_output(fn, tensors, "check_grad")
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


def check_gradgrad(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """PyTorch's gradgradcheck: raise GradcheckError unless the double backward agrees with
    finite differences of the first-order gradient.

    With a random upstream gradient gy and random directions v_i (one per input), the scalar
    probed is s = sum_i <g_i, v_i>, g_i = d<fn(inputs), gy>/d input_i computed by
    ``tinynet.grad(..., create_graph=True)``; its gradient in every input and in gy (backward
    through each op's ``backward_graph``) is compared with central differences of s computed
    from first-order gradients (each op's ``backward``). fn, inputs and tolerances as
    :func:`check_grad`. Returns the analytic gradients of s (raw arrays), the inputs' then gy's.
    """
    from .autograd import grad

    tensors = [_as_tensor(i, x, "check_gradgrad") for i, x in enumerate(inputs)]
    y = _float64_output(fn, tensors, "check_gradgrad")
    xp = get_array_module(y.data)
    rng = numpy.random.default_rng(seed)
    gy = Tensor(xp.asarray(rng.standard_normal(y.shape)), requires_grad=True, name="gy")
    vs = [xp.asarray(rng.standard_normal(t.shape)) for t in tensors]

    def probe(ts, gy_t, create_graph):
        gs = grad(fn(*ts), ts, gy_t, create_graph=create_graph, allow_unused=True)
        terms = [(g * v).sum() for g, v in zip(gs, vs) if g is not None]
        if not terms:
            raise GradcheckError("check_gradgrad: fn's output depends on none of the inputs")
        total = terms[0]
        for t in terms[1:]:
            total = total + t
        return total

    s = probe(tensors, gy, True)
    everything = tensors + [gy]
    if not s.requires_grad:  # a gradient that is constant in the inputs and in gy: all zero
        analytic = [None] * len(everything)
    else:
        analytic = list(grad(s, everything, allow_unused=True))
    analytic = [
        numpy.zeros(t.shape) if a is None else asnumpy(a.data) for a, t in zip(analytic, everything)
    ]
    plain = [Tensor(t.data.copy(), requires_grad=True) for t in everything]

    def value(*_):
        with_graph = [Tensor(t.data, requires_grad=True) for t in plain[:-1]]
        return probe(with_graph, Tensor(plain[-1].data), False)

    for i, (a, t) in enumerate(zip(analytic, plain)):
        if a.shape != t.shape:
            raise GradcheckError(
                f"check_gradgrad: input {i}: gradient has shape {a.shape}, expected {t.shape}"
            )
        n = numerical_grad(value, plain, xp.asarray(1.0), i, eps)
        err = numpy.abs(a - n) - (atol + rtol * numpy.abs(n))
        err = numpy.where(numpy.isnan(err), numpy.inf, err)
        if err.size and err.max() > 0:
            worst = numpy.unravel_index(int(err.argmax()), err.shape)
            if i == len(tensors):
                who = "the upstream gradient gy"
            else:
                who = f"input {i}" + (f" ({tensors[i].name})" if tensors[i].name else "")
            raise GradcheckError(
                f"check_gradgrad: {who} of shape {t.shape}: at element "
                f"{tuple(int(k) for k in worst)} double backward gives {a[worst]:.8g} but finite "
                f"differences of the gradient give {n[worst]:.8g} (atol={atol}, rtol={rtol}; "
                f"{int((err > 0).sum())} of {err.size} elements differ)"
            )
    return analytic

"""Write your own differentiable op: forward and backward on raw arrays, checked with check_grad.

Two ops a student might add:
  Swish(beta): y = x * sigmoid(beta * x), a unary op with a parameter set in __init__;
  Hypot:       y = sqrt(a**2 + b**2), a binary op whose inputs broadcast (a (N, 3), b (3,)),
               so each gradient is summed back to its input's shape with ``unbroadcast``.
Both take their array module from their inputs (``get_array_module``), so the same code runs on
NumPy and on CuPy. See docs/custom_ops.md for the rules this follows.

    python examples/custom_op.py [--device cpu|gpu]
"""

import argparse

import numpy as np

import tinynet as tn
from tinynet import Function, get_array_module
from tinynet.functional import unbroadcast
from tinynet.gradcheck import check_grad


class Swish(Function):
    """y = x * sigmoid(beta * x); dy/dx = s + beta * x * s * (1 - s) with s = sigmoid(beta x)."""

    def __init__(self, beta=1.0):
        self.beta = beta  # set once; kept when the graph is freed, so the op can be called again

    def check_inputs(self, x):
        if x.dtype.kind != "f":
            raise TypeError(f"swish: expected a floating-point x, got dtype {x.dtype}")

    def forward(self, x):
        xp = get_array_module(x)  # numpy or cupy, whichever holds x
        self.x = x
        self.s = 1 / (1 + xp.exp(-self.beta * x))  # kept for backward
        return x * self.s

    def backward(self, gy):
        s = self.s
        return gy * (s + self.beta * self.x * s * (1 - s))


class Hypot(Function):
    """y = sqrt(a**2 + b**2) with NumPy broadcasting; dy/da = a / y, dy/db = b / y."""

    def check_inputs(self, a, b):
        if a.dtype != b.dtype:
            raise TypeError(f"hypot: dtypes differ: a {a.dtype}, b {b.dtype}")

    def forward(self, a, b):
        xp = get_array_module(a, b)
        self.a, self.b = a, b
        self.y = xp.sqrt(a * a + b * b)
        return self.y

    def backward(self, gy):
        ga = unbroadcast(gy * self.a / self.y, self.a.shape) if self.needs_grad[0] else None
        gb = unbroadcast(gy * self.b / self.y, self.b.shape) if self.needs_grad[1] else None
        return ga, gb


def swish(x, beta=1.0):
    return Swish(beta)(x)


def hypot(a, b):
    return Hypot()(a, b)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", choices=["cpu", "gpu"], default="cpu")
    args = p.parse_args(argv)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3))  # float64: gradient checks need it
    a, b = rng.standard_normal((4, 3)) + 2, rng.standard_normal(3) + 2

    # 1. check backward against central finite differences (raises GradcheckError if wrong)
    check_grad(lambda t: swish(t, beta=1.5), [x])
    check_grad(hypot, [a, b])
    print("check_grad: Swish and Hypot agree with finite differences")

    # 2. one instance used twice in one graph: each call records its own node
    op = Swish(0.5)
    t = tn.Tensor(x, requires_grad=True)
    op(op(t)).sum().backward()
    check_grad(lambda u: op(op(u)), [x])
    print("one Swish instance twice in a graph: gradients check")

    # 3. the same ops on the GPU (CuPy) when asked for and present
    if args.device == "gpu":
        if not tn.gpu_available():
            raise SystemExit("custom_op: --device gpu, but no CUDA GPU is usable")
        ta = tn.Tensor(a, requires_grad=True).to("gpu")
        tb = tn.Tensor(b, requires_grad=True).to("gpu")
        hypot(ta, tb).sum().backward()
        expected = a / np.hypot(a, b)
        np.testing.assert_allclose(tn.asnumpy(ta.grad), expected, rtol=1e-10)
        print(f"on the GPU: Hypot's gradient matches NumPy ({type(ta.grad).__module__})")
    return 0


if __name__ == "__main__":
    main()

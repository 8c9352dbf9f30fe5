"""Newton's method with the second derivative from double backpropagation (DeZero's step 33).

Minimise f(x) = x^4 - 2 x^2 from x = 2: each step takes f'(x) by backward(create_graph=True),
whose result (``x.grad_tensor``) is a Tensor with its own graph, then f''(x) by differentiating
f'(x) again, and moves x <- x - f'(x) / f''(x). Newton reaches the minimum x = 1 in a handful of
steps; gradient descent with a step size that converges from x = 2 takes far more:

    python examples/newton.py [--x0 2.0] [--steps 10]
"""

import argparse

import numpy as np

import tinynet as tn


def f(x):
    return x**4 - 2 * x**2


def newton(x0=2.0, steps=10, tol=1e-12):
    """The iterates x_0, x_1, ... of Newton's method on f, until |f'(x)| < tol or ``steps``."""
    x = tn.Tensor(np.array(x0), requires_grad=True)  # a float64 scalar
    path = [x.item()]
    for _ in range(steps):
        y = f(x)
        y.backward(create_graph=True)  # x.grad: f'(x) as an array; x.grad_tensor: with its graph
        gx = x.grad_tensor
        if abs(gx.item()) < tol:
            break
        x.grad = None
        gx.backward()  # x.grad is now f''(x)
        x.data = x.data - gx.data / x.grad
        x.grad = None
        path.append(x.item())
    return path


def newton_by_grad(x0=2.0, steps=10, tol=1e-12):
    """The same iterates with tinynet.grad (PyTorch's torch.autograd.grad), no .grad involved."""
    x = tn.Tensor(np.array(x0), requires_grad=True)
    path = [x.item()]
    for _ in range(steps):
        (g1,) = tn.grad(f(x), x, create_graph=True)
        if abs(g1.item()) < tol:
            break
        (g2,) = tn.grad(g1, x)
        x = tn.Tensor(x.data - g1.data / g2.data, requires_grad=True)
        path.append(x.item())
    return path


def gradient_descent(x0=2.0, lr=0.01, tol=1e-6, max_steps=100_000):
    """Steps of x <- x - lr f'(x) until |x - 1| < tol."""
    x = tn.Tensor(np.array(x0), requires_grad=True)
    for step in range(1, max_steps + 1):
        f(x).backward()
        x.data = x.data - lr * x.grad
        x.grad = None
        if abs(x.item() - 1) < tol:
            return step
    return None


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--x0", type=float, default=2.0)
    p.add_argument("--steps", type=int, default=10)
    args = p.parse_args(argv)
    path = newton(args.x0, args.steps)
    for i, x in enumerate(path):
        print(f"newton step {i}: x = {x:.15f}")
    same = newton_by_grad(args.x0, args.steps)
    print(f"tinynet.grad gives the same iterates: {np.allclose(path, same, rtol=0, atol=1e-15)}")
    gd = gradient_descent(args.x0)
    print(f"gradient descent (lr 0.01) needs {gd} steps to come within 1e-6 of the minimum")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

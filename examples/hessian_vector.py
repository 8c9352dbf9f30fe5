"""A Hessian-vector product of a small MLP's loss by double backpropagation, checked against
central finite differences of the gradient (Pearlmutter's trick, as torch.autograd.functional.hvp).

With g(w) = dL/dw the gradient of the loss in every weight, H v = d<g(w), v>/dw: one backward
pass with create_graph=True gives g with its graph, a second one differentiates <g, v>. The
finite-difference estimate (g(w + eps v) - g(w - eps v)) / (2 eps) needs two first-order
gradients; both are printed with their largest relative difference. float64 throughout.

    python examples/hessian_vector.py [--hidden 16] [--batch 32] [--seed 0]
"""

import argparse

import numpy as np

import tinynet as tn
from tinynet import functional as F


def mlp_loss(params, x, t):
    """Mean squared error of a 2-layer tanh MLP: params [w1 (d, h), b1 (h,), w2 (h, 1), b2 (1,)]."""
    w1, b1, w2, b2 = params
    return F.mean_squared_error(F.linear(F.tanh(F.linear(x, w1, b1)), w2, b2), t)


def hessian_vector_product(params, v, x, t):
    """H v as a list of arrays (one per parameter), by double backward."""
    grads = tn.grad(mlp_loss(params, x, t), params, create_graph=True)
    dot = grads[0] * v[0]
    total = dot.sum()
    for g, vi in zip(grads[1:], v[1:]):
        total = total + (g * vi).sum()
    return [h.data for h in tn.grad(total, params)]


def finite_difference_hvp(params, v, x, t, eps=1e-5):
    """(g(w + eps v) - g(w - eps v)) / (2 eps) from first-order gradients."""

    def gradient(sign):
        moved = [
            tn.Tensor(p.data + sign * eps * vi, requires_grad=True) for p, vi in zip(params, v)
        ]
        return [g.data for g in tn.grad(mlp_loss(moved, x, t), moved)]

    return [(a - b) / (2 * eps) for a, b in zip(gradient(1), gradient(-1))]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--inputs", type=int, default=5)
    p.add_argument("--hidden", type=int, default=16)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    d, h = args.inputs, args.hidden
    shapes = [(d, h), (h,), (h, 1), (1,)]
    params = [tn.Tensor(rng.normal(size=s) * 0.7, requires_grad=True) for s in shapes]
    x, t = rng.normal(size=(args.batch, d)), rng.normal(size=(args.batch, 1))
    v = [rng.normal(size=s) for s in shapes]
    exact = hessian_vector_product(params, v, x, t)
    approx = finite_difference_hvp(params, v, x, t)
    scale = max(np.abs(a).max() for a in approx)
    worst = max(np.abs(e - a).max() for e, a in zip(exact, approx)) / scale
    n = sum(int(np.prod(s)) for s in shapes)
    print(f"MLP {d}-{h}-1, {n} weights, batch {args.batch}")
    for name, e, a in zip(("w1", "b1", "w2", "b2"), exact, approx):
        print(
            f"  H v [{name}] first entries: double backward {e.ravel()[:3]}, finite diff {a.ravel()[:3]}"
        )
    print(f"largest difference relative to max |H v|: {worst:.2e}")
    return 0 if worst < 1e-6 else 1


if __name__ == "__main__":
    raise SystemExit(main())

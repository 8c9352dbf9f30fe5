"""Fully connected layer: y (N, out) = x (N, in) @ w (in, out) + b (out,)."""

from .. import threads
from ..autograd import Function


class Linear(Function):
    def check_inputs(self, x, w, b=None):
        if x.ndim != 2 or w.ndim != 2 or x.shape[1] != w.shape[0]:
            raise ValueError(
                f"linear: x must be (N, in) and w (in, out); got x {x.shape} with w {w.shape}"
            )
        if x.dtype != w.dtype or (b is not None and b.dtype != x.dtype):
            raise TypeError(
                f"linear: dtypes differ: x {x.dtype}, w {w.dtype}"
                + (f", b {b.dtype}" if b is not None else "")
            )
        if b is not None and b.shape != (w.shape[1],):
            raise ValueError(f"linear: b must have shape ({w.shape[1]},), got {b.shape}")

    def forward(self, x, w, b=None):
        self.x, self.w, self.has_b = x, w, b is not None
        y = threads.matmul(x, w)
        if b is not None:
            y += b
        return y

    def backward(self, gy):
        gx = None
        if self.needs_grad[0]:  # laid out like x (x.T is C-ordered for a flattened image batch)
            x_t = self.x.strides[0] < self.x.strides[1]
            gx = threads.matmul(self.w, gy.T).T if x_t else threads.matmul(gy, self.w.T)
        gw = threads.matmul(self.x.T, gy) if self.needs_grad[1] else None
        gb = gy.sum(axis=0) if self.has_b and self.needs_grad[2] else None
        return gx, gw, gb

    def backward_graph(self, gy):
        x, w = self.inputs[0], self.inputs[1]
        gx = gy @ w.T if self.needs_grad[0] else None
        gw = x.T @ gy if self.needs_grad[1] else None
        gb = gy.sum(axis=0) if self.has_b and self.needs_grad[2] else None
        return gx, gw, gb


def linear(x, w, b=None):
    return Linear()(x, w, b)

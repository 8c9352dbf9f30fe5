"""Adding features given per frame to a sequence given per sample (nearest upsampling)."""

from ..autograd import Function
from ..backend import get_array_module
from .layout import memory_order, sum_axes


class AddFrames(Function):
    """x (N, C, L) + frames (N, C, L // hop), each frame repeated over its hop samples; the
    result laid out in memory like x. The repeated frames are written once, in x's memory order
    (a broadcast add would run its inner loop over the innermost axis, the batch in the
    batch-last layout); the frames' gradient sums each frame's samples."""

    def __init__(self, hop):
        self.hop = int(hop)

    def check_inputs(self, x, frames):
        if x.ndim != 3 or frames.ndim != 3 or x.shape[:2] != frames.shape[:2]:
            raise ValueError(
                f"add_frames: x (N, C, L) and frames (N, C, F) must agree in N and C, got "
                f"{x.shape} and {frames.shape}"
            )
        if frames.shape[2] * self.hop != x.shape[2]:
            raise ValueError(
                f"add_frames: {frames.shape[2]} frames of hop {self.hop} cover "
                f"{frames.shape[2] * self.hop} samples, but x has {x.shape[2]}"
            )
        if x.dtype != frames.dtype:
            raise TypeError(f"add_frames: dtypes differ: x {x.dtype}, frames {frames.dtype}")

    def forward(self, x, frames):
        xp = get_array_module(x)
        order = memory_order(x)
        self.frames_shape = frames.shape
        up = xp.repeat(xp.ascontiguousarray(frames.transpose(order)), self.hop, order.index(2))
        up += x.transpose(order)
        return up.transpose(tuple(order.index(k) for k in range(3)))

    def backward(self, gy):
        N, C, F = self.frames_shape
        g = (
            sum_axes(gy.reshape(N, C, F, self.hop), (3,)).reshape(N, C, F)
            if self.needs_grad[1]
            else None
        )
        return gy, g

    def backward_graph(self, gy):
        N, C, F = self.frames_shape
        g = gy.reshape(N, C, F, self.hop).sum(axis=3) if self.needs_grad[1] else None
        return gy, g


def add_frames(x, frames, hop):
    """x (N, C, L) plus ``frames`` (N, C, L // hop) repeated ``hop`` times along L."""
    return AddFrames(hop)(x, frames)

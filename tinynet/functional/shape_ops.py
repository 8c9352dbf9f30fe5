"""Ops that rearrange values without computing new ones: concat_channels."""
from ..autograd import Function
from ..backend import get_array_module


class ConcatChannels(Function):
    """a (N, Ca, *S) and b (N, Cb, *S) -> (N, Ca + Cb, *S), joined along axis 1 (channels-first:
    S is (H, W) for images, () for feature rows). The backward splits the gradient at Ca."""

    def forward(self, a, b):
        if a.ndim < 2 or a.ndim != b.ndim or a.shape[0] != b.shape[0] or a.shape[2:] != b.shape[2:]:
            raise ValueError(f"concat_channels: expected (N, Ca, ...) and (N, Cb, ...) with the same N and "
                             f"trailing dimensions, got shapes {a.shape} and {b.shape}")
        if a.dtype != b.dtype:
            raise TypeError(f"concat_channels: dtypes differ ({a.dtype} and {b.dtype}); convert one "
                            f"explicitly (ops never change dtype silently)")
        self.split = a.shape[1]
        return get_array_module(a, b).concatenate([a, b], axis=1)

    def backward(self, gy):
        return gy[:, :self.split], gy[:, self.split:]


def concat_channels(a, b):
    """Tensors or arrays a (N, Ca, ...), b (N, Cb, ...) -> Tensor (N, Ca + Cb, ...),
    differentiable in both (e.g. images and label planes for a conditional discriminator)."""
    return ConcatChannels()(a, b)

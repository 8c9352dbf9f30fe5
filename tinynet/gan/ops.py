"""Small differentiable helpers the adversarial trainers need beside the engine's ops."""
from ..autograd import Function, Tensor
from ..backend import get_array_module


class ConcatChannels(Function):
    """Concatenate along axis 1: (N, Ca, ...) and (N, Cb, ...) -> (N, Ca + Cb, ...)."""

    def forward(self, a, b):
        if a.shape[0] != b.shape[0] or a.shape[2:] != b.shape[2:]:
            raise ValueError(f"concat_channels: shapes {a.shape} and {b.shape} differ outside axis 1")
        if a.dtype != b.dtype:
            raise TypeError(f"concat_channels: dtypes differ ({a.dtype} and {b.dtype})")
        self.split = a.shape[1]
        return get_array_module(a).concatenate([a, b], axis=1)

    def backward(self, gy):
        return gy[:, :self.split], gy[:, self.split:]


def concat_channels(a, b):
    """Tensors or arrays (N, Ca, ...), (N, Cb, ...) -> Tensor (N, Ca + Cb, ...), differentiable in both."""
    return ConcatChannels()(a, b)


def one_hot(labels, num_classes, xp, dtype):
    """Integer labels (N,) -> (N, num_classes) one-hot rows on the array module ``xp``."""
    labels = xp.asarray(labels)
    out = xp.zeros((labels.shape[0], num_classes), dtype=dtype)
    out[xp.arange(labels.shape[0]), labels] = 1
    return out


def label_planes(labels, num_classes, size, xp, dtype):
    """Integer labels (N,) -> (N, num_classes, H, W): plane k is all ones where the label is k."""
    h, w = size
    return xp.broadcast_to(one_hot(labels, num_classes, xp, dtype)[:, :, None, None],
                           (len(labels), num_classes, h, w))


def as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)

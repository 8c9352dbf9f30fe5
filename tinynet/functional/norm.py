"""Batch normalisation as one fused Function, for (N, C) and (N, C, H, W) inputs."""
from ..autograd import Function
from ..backend import get_array_module


class BatchNorm(Function):
    """y = gamma * (x - mean) / sqrt(var + eps) + beta, statistics per channel (axis 1).

    training: batch statistics are used, and ``running_mean`` / ``running_var`` (raw arrays of
    shape (C,)) are updated in place: running = momentum * running + (1 - momentum) * batch
    (Keras's momentum; the running variance takes the unbiased batch variance, as PyTorch does).
    inference: the running statistics are used.
    """

    def __init__(self, running_mean, running_var, training, momentum=0.99, eps=1e-3):
        self.running_mean, self.running_var = running_mean, running_var
        self.training, self.momentum, self.eps = training, momentum, eps

    def forward(self, x, gamma, beta):
        if x.ndim not in (2, 4):
            raise ValueError(f"batch_norm: x must be (N, C) or (N, C, H, W), got shape {x.shape}")
        C = x.shape[1]
        for name, a in (("gamma", gamma), ("beta", beta), ("running_mean", self.running_mean),
                        ("running_var", self.running_var)):
            if a is None:
                raise ValueError(f"batch_norm: {name} is required (an array of shape ({C},))")
            if a.shape != (C,):
                raise ValueError(f"batch_norm: {name} must have shape ({C},) for x of shape "
                                 f"{x.shape}, got {a.shape}")
        xp = get_array_module(x)
        self.axes = (0,) if x.ndim == 2 else (0, 2, 3)
        bshape = (1, C) if x.ndim == 2 else (1, C, 1, 1)
        if self.training:
            n = x.size // C  # n == 1 (a batch of one (N, C) row) gives xhat = 0, as in Keras
            mean = x.mean(axis=self.axes)
            xc = x - mean.reshape(bshape)
            var = (xc * xc).mean(axis=self.axes)
            m = self.momentum
            self.running_mean *= m
            self.running_mean += (1 - m) * mean
            self.running_var *= m
            self.running_var += (1 - m) * var * (n / max(n - 1, 1))
        else:
            xc = x - self.running_mean.reshape(bshape)
            var = self.running_var
        inv_std = (1 / xp.sqrt(var + x.dtype.type(self.eps))).astype(x.dtype, copy=False)
        self.xhat = xc * inv_std.reshape(bshape)
        self.inv_std, self.gamma, self.bshape = inv_std.reshape(bshape), gamma, bshape
        return self.xhat * gamma.reshape(bshape) + beta.reshape(bshape)

    def backward(self, gy):
        ggamma = (gy * self.xhat).sum(axis=self.axes)
        gbeta = gy.sum(axis=self.axes)
        g = gy * self.gamma.reshape(self.bshape)
        if self.training:
            n = gy.size // gy.shape[1]
            gx = (g - (gbeta.reshape(self.bshape) * self.gamma.reshape(self.bshape)
                       + self.xhat * (ggamma * self.gamma).reshape(self.bshape)) / n) * self.inv_std
        else:
            gx = g * self.inv_std
        return gx, ggamma, gbeta


def batch_norm(x, gamma, beta, running_mean, running_var, training=True, momentum=0.99, eps=1e-3):
    return BatchNorm(running_mean, running_var, training, momentum, eps)(x, gamma, beta)

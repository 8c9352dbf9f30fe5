"""Batch normalisation as one fused Function, for (N, C) and (N, C, H, W) inputs. Its
``backward_graph`` (for ``create_graph``) is the gradient of the same normalisation written
with tinynet ops."""

from ..autograd import Function
from ..backend import get_array_module
from ._graph import composite_vjp
from .layout import channel_rows, row_sums


def _row_dots(a, b):
    """(C, M), (C, M) -> (C,): the dot product of each row pair, as a batch of C GEMVs (no (C, M)
    temporary)."""
    return (a[:, None, :] @ b[:, :, None])[:, 0, 0]


class BatchNorm(Function):
    """y = gamma * (x - mean) / sqrt(var + eps) + beta, statistics per channel (axis 1).

    training: batch statistics are used, and ``running_mean`` / ``running_var`` (raw arrays of
    shape (C,)) are updated in place: running = momentum * running + (1 - momentum) * batch
    (Keras's momentum; the running variance takes the unbiased batch variance, as PyTorch does).
    inference: the running statistics are used. Training on one value per channel (a batch of
    one (1, C) row, or (1, C, 1, 1)) raises, as Keras and PyTorch do.
    sync: None, or (data-parallel training) a communicator whose ``allreduce(a)`` sums a float64
    array over the ranks in place: the statistics are then those of the global batch (the sums,
    then the squared deviations, reduced), and backward reduces the two gradient sums, each
    rank's weighted by its share of the global batch, so the result equals one process's.
    """

    def __init__(self, running_mean, running_var, training, momentum=0.99, eps=1e-3, sync=None):
        self.running_mean, self.running_var = running_mean, running_var
        self.training, self.momentum, self.eps = training, momentum, eps
        self.sync = sync if training else None

    def check_inputs(self, x, gamma, beta):
        if x.ndim not in (2, 4):
            raise ValueError(f"batch_norm: x must be (N, C) or (N, C, H, W), got shape {x.shape}")
        C = x.shape[1]
        for name, a in (
            ("gamma", gamma),
            ("beta", beta),
            ("running_mean", self.running_mean),
            ("running_var", self.running_var),
        ):
            if a is None:
                raise ValueError(f"batch_norm: {name} is required (an array of shape ({C},))")
            if a.shape != (C,):
                raise ValueError(
                    f"batch_norm: {name} must have shape ({C},) for x of shape "
                    f"{x.shape}, got {a.shape}"
                )
        if self.training and x.size == C:
            raise ValueError(
                f"batch_norm: expected more than 1 value per channel when training, got x of "
                f"shape {x.shape} (one sample per channel has variance 0: the layers before "
                f"would get zero gradient and the moving variance would decay to 0); train on "
                f"batches of 2 or more, or normalise in inference mode (training=False)"
            )
        if gamma.dtype != x.dtype or beta.dtype != x.dtype:
            raise TypeError(
                f"batch_norm: dtypes differ: x {x.dtype}, gamma {gamma.dtype}, beta "
                f"{beta.dtype}; convert them explicitly (ops never change dtype "
                f"silently)"
            )

    def forward(self, x, gamma, beta):
        xp = get_array_module(x)
        self.to_rows, self.from_rows = channel_rows(x)
        rows = self.to_rows(x)  # (C, M): each channel's values in one row
        n = rows.shape[1]
        if self.sync is not None:
            mean, xc, var, n = self._global_moments(rows)
        elif self.training:  # n >= 2 (check_inputs)
            mean = row_sums(rows) / x.dtype.type(n)
            xc = rows - mean[:, None]
            var = _row_dots(xc, xc) / x.dtype.type(n)
        if self.training:
            m = self.momentum
            self.running_mean *= m
            self.running_mean += (1 - m) * mean
            self.running_var *= m
            self.running_var += (1 - m) * var * (n / max(n - 1, 1))
        else:
            xc = rows - self.running_mean[:, None].astype(x.dtype, copy=False)
            var = self.running_var
        inv_std = (1 / xp.sqrt(var + x.dtype.type(self.eps))).astype(x.dtype, copy=False)
        # xhat = xc * inv_std is never stored: y and the gradients scale xc per channel instead
        self.xc, self.inv_std, self.gamma = xc, inv_std, gamma
        y = xc * (gamma * inv_std)[:, None]
        y += beta[:, None]
        return self.from_rows(y)

    def _global_moments(self, rows):
        """(mean, rows - mean, biased var, n) over every rank's rows (self.sync)."""
        xp, C, n = get_array_module(rows), rows.shape[0], rows.shape[1]
        sums = xp.empty(C + 1, dtype="float64")
        sums[:C], sums[C] = rows.sum(axis=1, dtype="float64"), n
        self.sync.allreduce(sums)
        total = float(sums[C])
        mean = (sums[:C] / total).astype(rows.dtype)
        xc = rows - mean[:, None]
        sq = xp.ascontiguousarray(_row_dots(xc, xc), dtype="float64")
        self.sync.allreduce(sq)
        self.share = n / total
        return mean, xc, (sq / total).astype(rows.dtype), total

    def backward(self, gy):
        g = self.to_rows(gy)  # columns in the order of xc's
        n = g.shape[1]
        gbeta = row_sums(g)
        ggamma = _row_dots(g, self.xc) * self.inv_std  # the sum of g * xhat
        scale = (self.gamma * self.inv_std)[:, None]
        if not self.training:
            return self.from_rows(g * scale), ggamma, gbeta
        sg, sgx = gbeta, ggamma
        if self.sync is not None:  # the global batch's sums, on the scale of this rank's loss
            xp, C = get_array_module(g), len(gbeta)
            both = xp.empty(2 * C, dtype="float64")
            both[:C], both[C:] = gbeta, ggamma
            both *= self.share
            self.sync.allreduce(both)
            sg, sgx = both[:C].astype(g.dtype), both[C:].astype(g.dtype)
        # gx = scale * (g - (xhat * sgx + sg) / n), in four passes over the batch
        minus_mean = gy.dtype.type(-1.0 / n)
        gx = self.xc * (sgx * self.inv_std * minus_mean)[:, None]
        gx += (sg * minus_mean)[:, None]
        gx += g
        gx *= scale
        return self.from_rows(gx), ggamma, gbeta

    def backward_graph(self, gy):
        if self.sync is not None:
            raise RuntimeError(
                "batch_norm: create_graph is not supported with synchronised batch statistics "
                "(sync=...): its gradient sums are reduced over the ranks by raw array calls"
            )
        x = self.inputs[0]
        axes = (0,) if x.ndim == 2 else (0, 2, 3)
        shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        eps = x.dtype.type(self.eps)

        def normalise(x, gamma, beta):
            if self.training:
                xc = x - x.mean(axis=axes, keepdims=True)
                xhat = xc * ((xc * xc).mean(axis=axes, keepdims=True) + eps) ** -0.5
            else:  # the running statistics, constants (as forward read them)
                xhat = (
                    x - self.running_mean.reshape(shape).astype(x.dtype)
                ) * self.inv_std.reshape(shape)
            return xhat * gamma.reshape(shape) + beta.reshape(shape)

        return composite_vjp(normalise, self.inputs, (gy,), self.needs_grad)


def batch_norm(
    x, gamma, beta, running_mean, running_var, training=True, momentum=0.99, eps=1e-3, sync=None
):
    return BatchNorm(running_mean, running_var, training, momentum, eps, sync)(x, gamma, beta)
